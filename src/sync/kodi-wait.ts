/** Waiting until a Kodi's library scan is over: the logic of `wait-scan-finished` for Kodi. */
import type { KodiConnection } from '../players/kodi/connection';
import { KODI_EVENTS, NotificationRecorder, pause, waitForScanEnd } from '../players/kodi/events';
import { isScanningVideo } from '../players/kodi/library';

export interface ScanFinishedOptions {
  timeoutMs: number;
  /** When Kodi is idle: pass at once (0), or wait this long for a scan to start. */
  startWaitMs: number;
  pollMs?: number;
  signal?: AbortSignal;
}

export interface ScanFinishedResult {
  status: 'finished' | 'idle' | 'timed-out';
  ok: boolean;
  /** Whether a scan was running or started while waiting. */
  scanned: boolean;
  completion?: 'event' | 'polling';
  waitedMs: number;
}

export async function kodiWaitScanFinished(
  conn: KodiConnection,
  options: ScanFinishedOptions,
): Promise<ScanFinishedResult> {
  const started = Date.now();
  const recorder = new NotificationRecorder(conn);
  const pollMs = options.pollMs ?? 500;
  try {
    let scanning = await isScanningVideo(conn);
    // Idle: pass at once, or give a scan that is about to start (e.g. one just requested) time to begin.
    while (!scanning && Date.now() - started < options.startWaitMs && !options.signal?.aborted) {
      if (recorder.has(KODI_EVENTS.scanStarted)) {
        scanning = true;
        break;
      }
      const left = options.startWaitMs - (Date.now() - started);
      await pause(recorder.reliable() ? left : Math.min(pollMs, left), recorder, options.signal);
      if (!recorder.reliable()) scanning = await isScanningVideo(conn);
    }
    if (!scanning) return { status: 'idle', ok: true, scanned: false, waitedMs: Date.now() - started };
    const end = await waitForScanEnd(conn, recorder, {
      timeoutMs: Math.max(0, options.timeoutMs - (Date.now() - started)),
      settleMs: 0,
      pollMs,
      signal: options.signal,
    });
    return {
      status: end.finished ? 'finished' : 'timed-out',
      ok: end.finished,
      scanned: true,
      completion: end.via,
      waitedMs: Date.now() - started,
    };
  } finally {
    recorder.stop();
  }
}
