/** Time helpers: waiting that an abort ends early, and capped exponential backoff. */

/** Resolves after `ms`, or earlier when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Delay before attempt `attempt` (0-based): min · 2^attempt, capped at max. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
}

/**
 * The pauses of an adaptive poll: `firstMs`, then 1.5 times longer each time, up to `maxMs`. Quick for what ends at
 * once (a targeted scan), cheap for what takes long (a server's delayed refresh).
 */
export function pollDelays(firstMs: number, maxMs: number): () => number {
  let next = Math.min(firstMs, maxMs);
  return () => {
    const delay = next;
    next = Math.min(maxMs, next * 1.5);
    return delay;
  };
}
