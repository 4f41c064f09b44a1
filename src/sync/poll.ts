/** Asking again until a condition holds, within a time limit. */

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

/**
 * Calls `check` until it returns a value that `done` accepts, or the time runs out. Returns the last value and
 * whether it was accepted.
 */
export async function pollUntil<T>(
  check: () => Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMs: number; pollMs: number; signal?: AbortSignal },
): Promise<{ ok: boolean; value: T; waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    const waitedMs = Date.now() - started;
    if (done(value)) return { ok: true, value, waitedMs };
    if (waitedMs >= options.timeoutMs || options.signal?.aborted) return { ok: false, value, waitedMs };
    await sleep(Math.min(options.pollMs, options.timeoutMs - waitedMs), options.signal);
  }
}
