/**
 * Waiting for Kodi: by its notifications while the WebSocket is up, by polling `Library.IsScanningVideo` when
 * it is not (or when the socket was replaced mid-wait and an event may have been lost).
 */
import { EventEmitter } from 'node:events';
import type { KodiConnection, KodiNotification } from './connection';
import { isScanningVideo } from './library';
import { isObject } from '../../core/values';
import { pollDelays, sleep } from '../../core/time';

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

/**
 * Whether Kodi is scanning its video library, as this connection knows it: asked once over HTTP, then followed by
 * the scan notifications while the WebSocket stays up, so that the check before each targeted scan costs no request
 * (XBMC.GetInfoBooleans runs on Kodi's GUI thread: 5–20 ms each).
 */
class ScanState {
  private known?: { scanning: boolean; socket: number; at: number };
  /** Scan notifications seen so far: an answer asked before the latest one is already out of date. */
  private heard = 0;

  constructor(private readonly conn: KodiConnection) {
    conn.onNotification((n) => {
      if (n.method !== KODI_EVENTS.scanStarted && n.method !== KODI_EVENTS.scanFinished) return;
      this.heard++;
      const scanning = n.method === KODI_EVENTS.scanStarted;
      this.known = this.conn.websocketUp
        ? { scanning, socket: this.conn.socketsOpened, at: Date.now() }
        : undefined;
    });
  }

  /** Whether the WebSocket that was open (the n-th opened) is still the one up. */
  private sameSocket(socket: number): boolean {
    return this.conn.websocketUp && this.conn.socketsOpened === socket;
  }

  /** Whether Kodi scans now: from the notifications when they can be trusted (and `ask` is false), else asked. */
  async scanning(ask: boolean): Promise<boolean> {
    const { known } = this;
    // Kodi announces OnScanFinished a moment before its scan job is gone, and a Scan sent in that moment stops
    // instead of starting: "idle" is trusted only a while after the announcement.
    if (
      !ask &&
      known &&
      this.sameSocket(known.socket) &&
      (known.scanning || Date.now() - known.at >= IDLE_GRACE_MS)
    ) {
      return known.scanning;
    }
    const heard = this.heard;
    const socket = this.conn.websocketUp ? this.conn.socketsOpened : -1;
    let scanning = await isScanningVideo(this.conn);
    // Still "scanning" just after OnScanFinished (and nothing heard since) is a scan winding down, not a new one:
    // no notification will say when it is gone, so Kodi is asked again shortly, for a moment.
    const windingDown = (): boolean =>
      known !== undefined &&
      !known.scanning &&
      this.heard === heard &&
      this.sameSocket(known.socket) &&
      Date.now() - known.at < WIND_DOWN_MS;
    while (scanning && windingDown()) {
      await sleep(10);
      scanning = await isScanningVideo(this.conn);
    }
    // Only an answer no notification overtook, on a socket that stayed up all along, is kept; and only "idle":
    // "scanning" is known from the notifications, which also say when it ends.
    if (!scanning && socket >= 0 && this.heard === heard && this.sameSocket(socket)) {
      this.known = { scanning, socket, at: 0 };
    }
    return scanning;
  }
}

/** How long after OnScanFinished Kodi is asked rather than taken to be idle (see ScanState.scanning). */
const IDLE_GRACE_MS = 250;
/** How long after OnScanFinished a "scanning" answer is taken for the scan winding down. */
const WIND_DOWN_MS = 1000;

const scanStates = new WeakMap<KodiConnection, ScanState>();

/** Whether this Kodi is scanning its video library now (see ScanState); `ask` always asks Kodi. */
export function isScanning(conn: KodiConnection, ask = false): Promise<boolean> {
  let state = scanStates.get(conn);
  if (!state) {
    state = new ScanState(conn);
    scanStates.set(conn, state);
  }
  return state.scanning(ask);
}

export interface ScanWaitOptions {
  timeoutMs: number;
  /** The longest pause between two questions when polling (default 2 s). */
  pollMs?: number;
  /** The first pause when polling (default 100 ms); each next one is half as long again, up to pollMs. */
  firstPollMs?: number;
  /**
   * What the finished work leaves behind (the scanned item in the library), asked while polling: a scan too quick
   * to be seen running still ends the wait as soon as its result is there.
   */
  expected?: () => Promise<boolean>;
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
  const pollMs = options.pollMs ?? 2000;
  const delay = pollDelays(options.firstPollMs ?? 100, pollMs);
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
      else if (
        sawScan ||
        Date.now() - started >= settleMs ||
        (options.expected && (await options.expected()))
      ) {
        return { finished: true, via, sawScan, waitedMs: Date.now() - started };
      }
      await pause(Math.min(delay(), options.timeoutMs - (Date.now() - started)), recorder, options.signal);
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
      // After a wait, Kodi itself is asked: the notifications may have missed the end of that scan.
      if (!(await isScanning(conn, waited))) return { waited, idle: true, waitedMs: Date.now() - started };
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
