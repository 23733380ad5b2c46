import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { kubeCall } from '../client.js';
import type { Upstream } from '../upstream.js';

/** The parts of a Kubernetes object a watcher keeps. */
export interface KubeObject {
  metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string>; labels?: Record<string, string>; creationTimestamp?: string; uid?: string };
  status?: { phase?: string };
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; message?: string };
}

/** The watch's resourceVersion is too old (410 Gone): the caller lists again. */
export class WatchExpiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WatchExpiredError';
  }
}

export async function listObjects(upstream: Upstream, path: string): Promise<{ items: KubeObject[]; resourceVersion: string }> {
  const list = await kubeCall<{ items: KubeObject[]; metadata: { resourceVersion: string } }>(upstream, 'GET', path);
  return { items: list.items, resourceVersion: list.metadata.resourceVersion };
}

/**
 * One Kubernetes watch from `resourceVersion`: calls `onEvent` per event as it arrives, resolves when the
 * server ends the watch (it does so every few minutes; watch again from the last version seen), rejects on
 * errors (WatchExpiredError when the version is too old). `signal` ends it.
 */
export function watchObjects(upstream: Upstream, path: string, resourceVersion: string, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
  const send = upstream.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const query = `watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}`;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        protocol: upstream.url.protocol,
        hostname: upstream.url.hostname.replace(/^\[|\]$/g, ''),
        port: upstream.url.port,
        path: `${upstream.url.pathname.replace(/\/+$/, '')}${path}${path.includes('?') ? '&' : '?'}${query}`,
        agent: upstream.agent,
        signal,
        headers: { accept: 'application/json', ...(upstream.authorization ? { authorization: upstream.authorization } : {}) },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          const err = res.statusCode === 410 ? new WatchExpiredError(`${path}: 410 Gone`) : new Error(`${path}: watch answered ${res.statusCode}`);
          reject(err);
          return;
        }
        let pending = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          pending += chunk;
          let newline: number;
          while ((newline = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, newline);
            pending = pending.slice(newline + 1);
            if (line.trim() === '') continue;
            const event = JSON.parse(line) as WatchEvent;
            if (event.type === 'ERROR') {
              req.destroy(event.object.code === 410 ? new WatchExpiredError(event.object.message ?? 'expired') : new Error(event.object.message ?? 'watch error'));
              return;
            }
            onEvent(event);
          }
        });
        res.on('end', () => resolve());
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
