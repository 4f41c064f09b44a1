/** wait-scan-finished for servers that can only be asked (Jellyfin's scan task, Plex's refreshing sections). */
import type { ScanFinishedOptions, ScanFinishedResult } from './kodi-wait';
import { sleep } from '../core/time';

export async function waitScanFinishedByPolling(
  isScanning: () => Promise<boolean>,
  options: ScanFinishedOptions,
): Promise<ScanFinishedResult> {
  const started = Date.now();
  const pollMs = options.pollMs ?? 2000;
  const elapsed = (): number => Date.now() - started;
  let scanning = await isScanning();
  while (!scanning && elapsed() < options.startWaitMs && !options.signal?.aborted) {
    await sleep(Math.min(pollMs, options.startWaitMs - elapsed()), options.signal);
    scanning = await isScanning();
  }
  if (!scanning) return { status: 'idle', ok: true, scanned: false, waitedMs: elapsed() };
  while (scanning) {
    if (elapsed() >= options.timeoutMs || options.signal?.aborted) {
      return { status: 'timed-out', ok: false, scanned: true, completion: 'polling', waitedMs: elapsed() };
    }
    await sleep(Math.min(pollMs, options.timeoutMs - elapsed()), options.signal);
    scanning = await isScanning();
  }
  return { status: 'finished', ok: true, scanned: true, completion: 'polling', waitedMs: elapsed() };
}
