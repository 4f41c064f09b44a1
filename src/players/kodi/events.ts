/**
 * Waiting for Kodi: by its notifications while the WebSocket is up, by polling `Library.IsScanningVideo` when
 * it is not (or when the socket was replaced mid-wait and an event may have been lost).
 */
import { EventEmitter } from 'node:events';
import type { KodiConnection, KodiNotification } from './connection';
import { isScanningVideo } from './library';
import { isObject } from '../../core/values';

/** The notifications player-sync listens for, by what they mean. */
export const KODI_EVENTS = {
  scanStarted: 'VideoLibrary.OnScanStarted',
  scanFinished: 'VideoLibrary.OnScanFinished',
  cleanStarted: 'VideoLibrary.OnCleanStarted',
  cleanFinished: 'VideoLibrary.OnCleanFinished',
  libraryUpdate: 'VideoLibrary.OnUpdate',
  playbackStopped: 'Player.OnStop',
} as const;

/** What a `VideoLibrary.OnUpdate` notification says, when its data has the documented shape. */
export interface LibraryUpdate {
  added: boolean;
  id?: number;
  type?: string;
}

/** Decodes `VideoLibrary.OnUpdate`; anything else, or data of another shape, is undefined (ignored). */
export function decodeLibraryUpdate(n: KodiNotification): LibraryUpdate | undefined {
  if (n.method !== KODI_EVENTS.libraryUpdate || !isObject(n.data)) return undefined;
  const item = isObject(n.data.item) ? n.data.item : {};
  return {
    added: n.data.added === true,
    id: typeof item.id === 'number' && Number.isInteger(item.id) ? item.id : undefined,
    type: typeof item.type === 'string' ? item.type : undefined,
  };
}

/** Resolves after `ms`, or earlier when `wake` emits 'wake' or `signal` aborts. */
export function pause(ms: number, wake?: EventEmitter, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      wake?.off('wake', finish);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, Math.max(0, ms));
    wake?.once('wake', finish);
    signal?.addEventListener('abort', finish, { once: true });
  });
}

/** Records a connection's notifications from the moment it is made until stop(): subscribe before you send. */
export class NotificationRecorder extends EventEmitter {
  readonly seen: KodiNotification[] = [];
  private readonly unsubscribe: () => void;
  /** The socket count when recording began: if it changes, notifications may have been missed. */
  private readonly socketsAtStart: number;

  constructor(private readonly conn: KodiConnection) {
    super();
    this.socketsAtStart = conn.socketsOpened;
    this.unsubscribe = conn.onNotification((n) => {
      this.seen.push(n);
      this.emit('wake');
    });
  }

  /** True while every notification since the start can have reached us. */
  reliable(): boolean {
    return this.conn.websocketUp && this.conn.socketsOpened === this.socketsAtStart;
  }

  has(method: string, since = 0): boolean {
    return this.seen.slice(since).some((n) => n.method === method);
  }

  stop(): void {
    this.unsubscribe();
    this.removeAllListeners();
  }
}

export interface ScanWaitOptions {
  timeoutMs: number;
  /** How often to ask Kodi when polling. */
  pollMs?: number;
  /** In polling mode, how long "not scanning" must last, from the start, to count as done when no scan was seen. */
  settleMs?: number;
  signal?: AbortSignal;
  /** While events flow, also ask Library.IsScanningVideo now and then, in case one was lost (default true). */
  safetyPoll?: boolean;
}

export interface ScanWaitResult {
  finished: boolean;
  via: 'event' | 'polling';
  /** Whether a scan was seen running at all (by event or poll). */
  sawScan: boolean;
  waitedMs: number;
}

/**
 * Waits until the scan started (or about to start) is over: `VideoLibrary.OnScanFinished` (or, with
 * `doneEvent`, another notification such as OnCleanFinished), or polling when events cannot be trusted.
 */
export async function waitForScanEnd(
  conn: KodiConnection,
  recorder: NotificationRecorder,
  options: ScanWaitOptions & { startEvent?: string; doneEvent?: string },
): Promise<ScanWaitResult> {
  const started = Date.now();
  const pollMs = options.pollMs ?? 500;
  const settleMs = options.settleMs ?? 1500;
  const startEvent = options.startEvent ?? KODI_EVENTS.scanStarted;
  const doneEvent = options.doneEvent ?? KODI_EVENTS.scanFinished;
  let sawScan = false;
  let via: ScanWaitResult['via'] = 'event';
  for (;;) {
    const elapsed = Date.now() - started;
    if (recorder.has(startEvent)) sawScan = true;
    if (recorder.has(doneEvent)) return { finished: true, via, sawScan: true, waitedMs: elapsed };
    if (options.signal?.aborted || elapsed >= options.timeoutMs) {
      return { finished: false, via, sawScan, waitedMs: elapsed };
    }
    if (!recorder.reliable()) {
      via = 'polling';
      const scanning = await isScanningVideo(conn);
      if (scanning) sawScan = true;
      else if (sawScan || Date.now() - started >= settleMs) {
        return { finished: true, via, sawScan, waitedMs: Date.now() - started };
      }
      await pause(Math.min(pollMs, options.timeoutMs - (Date.now() - started)), recorder, options.signal);
    } else {
      // Events are the signal; a slow poll is the safety net for one lost on a socket that stayed up.
      const safetyMs = Math.max(pollMs, Math.min(5000, options.timeoutMs / 4));
      await pause(Math.min(safetyMs, options.timeoutMs - elapsed), recorder, options.signal);
      if (options.safetyPoll === false || recorder.has(doneEvent) || !recorder.reliable()) continue;
      if (Date.now() - started < settleMs) continue;
      if (!(await isScanningVideo(conn)) && !recorder.has(doneEvent)) {
        return {
          finished: true,
          via: 'polling',
          sawScan: sawScan || recorder.has(startEvent),
          waitedMs: Date.now() - started,
        };
      }
    }
  }
}

/**
 * If Kodi is scanning now (started by anyone), waits until it is not: a Scan sent now would stop the running one.
 * `idle` is false when the time ran out first.
 */
export async function waitOutRunningScan(
  conn: KodiConnection,
  options: ScanWaitOptions,
): Promise<{ waited: boolean; idle: boolean; waitedMs: number }> {
  const started = Date.now();
  let waited = false;
  for (;;) {
    const recorder = new NotificationRecorder(conn);
    try {
      if (!(await isScanningVideo(conn))) return { waited, idle: true, waitedMs: Date.now() - started };
      waited = true;
      const left = options.timeoutMs - (Date.now() - started);
      if (left <= 0 || options.signal?.aborted)
        return { waited, idle: false, waitedMs: Date.now() - started };
      await waitForScanEnd(conn, recorder, { ...options, timeoutMs: left, settleMs: 0 });
    } finally {
      recorder.stop();
    }
  }
}
