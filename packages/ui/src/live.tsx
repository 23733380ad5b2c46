import { useEffect, useRef, useState } from 'react';
import type { Resource } from './api';

/**
 * Live changes over `/v3/subscribe` (norman's event stream): `resource.change` and `resource.remove` for the
 * given types, as the caller may see them. No polling: a page loads its data once, then applies events.
 * The stream carries no history, so each time it (re)opens `onResync` asks the page to load again.
 */
export interface LiveEvent {
  name: 'resource.change' | 'resource.remove';
  data: Resource;
}

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

/** The server pings every 5 s; this long without anything means the connection is dead. */
const SILENCE_MS = 15_000;

export function useLive(types: string[], onEvent: (e: LiveEvent) => void, onResync: () => void): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const handlers = useRef({ onEvent, onResync });
  handlers.current = { onEvent, onResync };
  const key = types.join(',');

  useEffect(() => {
    let ws: WebSocket | undefined;
    let stopped = false;
    let attempt = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let watchdog: ReturnType<typeof setTimeout> | undefined;

    const connect = () => {
      const params = key.split(',').map((t) => `resourceTypes=${encodeURIComponent(t)}`).join('&');
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      ws = new WebSocket(`${scheme}://${location.host}/v3/subscribe?${params}`);
      const alive = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => ws?.close(), SILENCE_MS);
      };
      ws.onopen = () => {
        attempt = 0;
        setStatus('live');
        alive();
        // Events from before this moment are not sent: load again (the first load may have raced the
        // subscription, and anything may have changed while we were away).
        handlers.current.onResync();
      };
      ws.onmessage = (msg) => {
        alive();
        let event: { name?: string; data?: Resource };
        try {
          event = JSON.parse(String(msg.data)) as typeof event;
        } catch {
          return;
        }
        if ((event.name === 'resource.change' || event.name === 'resource.remove') && event.data) {
          handlers.current.onEvent({ name: event.name, data: event.data });
        }
      };
      ws.onclose = () => {
        clearTimeout(watchdog);
        if (stopped) return;
        setStatus('reconnecting');
        const delay = Math.min(10_000, 500 * 2 ** attempt++);
        retry = setTimeout(connect, delay);
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      clearTimeout(watchdog);
      ws?.close();
    };
  }, [key]);

  return status;
}
