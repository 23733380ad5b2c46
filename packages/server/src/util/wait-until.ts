/** Anything that reports changes (an informer's addHandler). */
export interface ChangeSource {
  addHandler(handler: { add?: () => void; update?: () => void; delete?: () => void }): () => void;
}

/**
 * Resolves true once `check()` holds, checked now and after every change any of `sources` reports; false
 * after `timeoutMs`. No polling: for a request waiting for controllers to finish what it started.
 */
export function waitUntil(check: () => boolean, sources: readonly ChangeSource[], timeoutMs: number): Promise<boolean> {
  if (check()) return Promise.resolve(true);
  return new Promise((resolve) => {
    // Informers replay their cached objects to a new handler; nothing has changed until that is over.
    let armed = false;
    const recheck = () => {
      if (armed && check()) finish(true);
    };
    const removers = sources.map((s) => s.addHandler({ add: recheck, update: recheck, delete: recheck }));
    const timer = setTimeout(() => finish(false), timeoutMs);
    armed = true;
    function finish(result: boolean) {
      clearTimeout(timer);
      for (const remove of removers) remove();
      resolve(result);
    }
  });
}
