/** Asking again until a condition holds, within a time limit. */
import { pollDelays, sleep } from '../core/time';

/**
 * Calls `check` until it returns a value that `done` accepts, or the time runs out. Returns the last value and
 * whether it was accepted. The pauses grow from `firstPollMs` (default: `pollMs`) by half each time up to `pollMs`.
 */
export async function pollUntil<T>(
  check: () => Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMs: number; pollMs: number; firstPollMs?: number; signal?: AbortSignal },
): Promise<{ ok: boolean; value: T; waitedMs: number }> {
  const started = Date.now();
  const delay = pollDelays(options.firstPollMs ?? options.pollMs, options.pollMs);
  for (;;) {
    const value = await check();
    const waitedMs = Date.now() - started;
    if (done(value)) return { ok: true, value, waitedMs };
    if (waitedMs >= options.timeoutMs || options.signal?.aborted) return { ok: false, value, waitedMs };
    await sleep(Math.min(delay(), options.timeoutMs - waitedMs), options.signal);
  }
}
