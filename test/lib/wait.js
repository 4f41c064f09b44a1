// Waiting on a condition, never on the clock: resolves as soon as `check` is true, fails with `what` after the
// limit (a limit, not a pause: a passing test never waits it out).
'use strict';

async function until(check, what, limitMs = 10000) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves with the first argument of the next `event` on `emitter` that passes `filter` (e.g. helper nodes'
 * 'input', 'call:status'). */
function next(emitter, event, what = event, limitMs = 10000, filter = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, listener);
      reject(new Error(`timed out waiting for ${what}`));
    }, limitMs);
    function listener(...args) {
      if (!filter(...args)) return;
      clearTimeout(timer);
      emitter.removeListener(event, listener);
      resolve(args[0]);
    }
    emitter.on(event, listener);
  });
}

module.exports = { until, next };
