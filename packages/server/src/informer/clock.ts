/**
 * Time as the work queue sees it, injectable so that backoff and delayed adds can be tested without sleeping.
 *
 * Contract: `now()` returns milliseconds that never go backwards. `setTimer(fn, ms)` calls `fn` once, no
 * sooner than `ms` milliseconds from now, unless the returned cancel function is called first (cancelling an
 * already fired timer does nothing).
 */
export interface Clock {
  now(): number;
  setTimer(callback: () => void, ms: number): () => void;
}

/** The process clock: `performance.now()` and `setTimeout`. */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimer(callback, ms) {
    const timer = setTimeout(callback, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};

/** A timer of {@link FakeClock}; `seq` orders timers due at the same time. */
interface FakeTimer {
  at: number;
  seq: number;
  callback: () => void;
}

/** A manual clock for tests: time moves only when `step` is called, firing due timers in due-time order. */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Set<FakeTimer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, ms: number): () => void {
    const timer: FakeTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, callback };
    this.#timers.add(timer);
    return () => {
      this.#timers.delete(timer);
    };
  }

  /** Timers set and neither fired nor cancelled. */
  pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, running each timer that falls due (timers set by callbacks included). */
  step(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const t of this.#timers) {
        if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      this.#timers.delete(next);
      this.#now = next.at;
      next.callback();
    }
    this.#now = target;
  }
}
