/**
 * Plex Media Server's notification WebSocket (`/:/websockets/notifications`): one per `plex-server`, shared by its
 * flow nodes, reconnecting with capped backoff, pinged to find a dead connection. Knows nothing of Node-RED.
 *
 * Frames are `{NotificationContainer: {type, ...}}`; what is used here: `activity` (ActivityNotification[] with
 * event started|updated|ended and Activity{type, Context{librarySectionID}}: a section's refresh) and `timeline`
 * (TimelineEntry[]: items created, processed, deleted). Every frame is outside data: one of another shape is
 * ignored and counted. The token goes in a header, to the server's own origin, never in the URL.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { backoffDelay } from '../../core/time';
import { isObject } from '../../core/values';
import { PLEX_PRODUCT, PLEX_VERSION, PlexEndpoint, plexLabel } from './client';

/** A section's refresh (Plex's activity `library.update.section`), as the notifications tell it. */
export interface PlexActivity {
  event: 'started' | 'updated' | 'ended';
  uuid: string;
  type: string;
  /** The library section the activity works on, where it says. */
  sectionKey?: string;
}

/** An item's step in the library (state 0 created … 5 processed, 9 deleted), as the notifications tell it. */
export interface PlexTimelineEntry {
  itemId: string;
  sectionKey?: string;
  state: number;
}

/** connected: the socket is up; polling: it is not (refused, unreachable), and waiting is done by polling. */
export type PlexNotificationState = 'idle' | 'connecting' | 'connected' | 'polling';

interface Events {
  state: [PlexNotificationState];
  activity: [PlexActivity];
  timeline: [PlexTimelineEntry];
  debug: [string];
}

/** The largest frame taken; Plex's notifications are small. */
const MAX_FRAME_BYTES = 1024 * 1024;

export interface PlexNotificationOptions {
  pingMs?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** The notification socket's URL for a server URL (http → ws, https → wss); undefined for a URL that is not one. */
export function notificationUrl(serverUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/:/websockets/notifications`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** The activities and timeline entries of one frame; undefined when it is not a notification of a known shape. */
export function decodeNotification(
  raw: unknown,
): { activities: PlexActivity[]; timeline: PlexTimelineEntry[] } | undefined {
  if (!isObject(raw) || !isObject(raw.NotificationContainer)) return undefined;
  const c = raw.NotificationContainer;
  const activities: PlexActivity[] = [];
  const timeline: PlexTimelineEntry[] = [];
  if (c.type === 'activity' && Array.isArray(c.ActivityNotification)) {
    for (const n of c.ActivityNotification as unknown[]) {
      if (!isObject(n) || !isObject(n.Activity)) continue;
      const { event, uuid } = n;
      const a = n.Activity;
      if (event !== 'started' && event !== 'updated' && event !== 'ended') continue;
      if (typeof uuid !== 'string' || typeof a.type !== 'string') continue;
      const context = isObject(a.Context) ? a.Context : {};
      const section = context.librarySectionID;
      activities.push({
        event,
        uuid,
        type: a.type,
        sectionKey: typeof section === 'string' || typeof section === 'number' ? String(section) : undefined,
      });
    }
  } else if (c.type === 'timeline' && Array.isArray(c.TimelineEntry)) {
    for (const e of c.TimelineEntry as unknown[]) {
      if (!isObject(e) || (typeof e.itemID !== 'string' && typeof e.itemID !== 'number')) continue;
      if (typeof e.state !== 'number') continue;
      const section = e.sectionID;
      timeline.push({
        itemId: String(e.itemID),
        state: e.state,
        sectionKey: typeof section === 'string' || typeof section === 'number' ? String(section) : undefined,
      });
    }
  } else if (typeof c.type !== 'string') return undefined;
  return { activities, timeline };
}

export class PlexNotifications extends EventEmitter<Events> {
  private ws?: WebSocket;
  private running = false;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;
  private alive = false;
  private current: PlexNotificationState = 'idle';
  /** Frames ignored because of their shape or size. */
  ignoredFrames = 0;
  /** Why the socket is not up, for the status and the log (never holds the token). */
  reason?: string;

  constructor(
    private readonly endpoint: PlexEndpoint,
    private readonly options: PlexNotificationOptions = {},
  ) {
    super();
  }

  get state(): PlexNotificationState {
    return this.current;
  }

  /** Whether notifications can be received now. */
  get up(): boolean {
    return this.current === 'connected';
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    this.connect();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    this.reconnectTimer = undefined;
    this.pingTimer = undefined;
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => undefined); // a late error of a socket being closed is nobody's concern
      ws.terminate();
    }
    this.setState('idle');
  }

  private setState(state: PlexNotificationState): void {
    if (state === this.current) return;
    this.current = state;
    this.emit('state', state);
  }

  private connect(): void {
    const url = notificationUrl(this.endpoint.url);
    if (!url || !this.endpoint.token) {
      this.reason = url ? 'no token is set' : 'the URL is not an http(s) URL';
      this.setState('polling');
      return;
    }
    if (this.current !== 'polling') this.setState('connecting');
    const ws = new WebSocket(url, {
      headers: {
        'X-Plex-Token': this.endpoint.token,
        'X-Plex-Client-Identifier': this.endpoint.clientId,
        'X-Plex-Product': PLEX_PRODUCT,
        'X-Plex-Version': PLEX_VERSION,
      },
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: this.endpoint.timeoutMs ?? 15000,
      followRedirects: false,
    });
    this.ws = ws;
    ws.on('open', () => {
      this.attempt = 0;
      this.reason = undefined;
      this.alive = true;
      this.setState('connected');
      this.emit('debug', `notification socket open to ${plexLabel(this.endpoint)}`);
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => {
        if (!this.alive) {
          ws.terminate(); // no pong since the last ping: a dead connection
          return;
        }
        this.alive = false;
        ws.ping();
      }, this.options.pingMs ?? 30000);
    });
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('unexpected-response', (_req, res) => {
      // Refused (401: a token the socket does not take) or not there: polling does the work meanwhile.
      this.reason =
        res.statusCode === 401 || res.statusCode === 403
          ? `the notification socket refused the token (HTTP ${res.statusCode})`
          : `the notification socket answered HTTP ${res.statusCode ?? '?'}`;
      res.resume();
      ws.terminate();
    });
    ws.on('message', (data, isBinary) => {
      this.onFrame(data, isBinary);
    });
    ws.on('error', (err) => {
      this.reason ??= `the notification socket failed: ${err.message}`;
    });
    ws.on('close', () => {
      clearInterval(this.pingTimer);
      this.pingTimer = undefined;
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (!this.running) return;
      this.setState('polling');
      const delay = backoffDelay(
        this.attempt++,
        this.options.retryMinMs ?? 1000,
        this.options.retryMaxMs ?? 30000,
      );
      this.reconnectTimer = setTimeout(() => {
        this.connect();
      }, delay);
    });
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    let decoded: ReturnType<typeof decodeNotification>;
    try {
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : undefined;
      decoded = isBinary || text === undefined ? undefined : decodeNotification(JSON.parse(text));
    } catch {
      decoded = undefined;
    }
    if (!decoded) {
      this.ignoredFrames++;
      this.emit('debug', 'ignored a notification frame of an unknown shape');
      return;
    }
    for (const a of decoded.activities) this.deliver('activity', a);
    for (const t of decoded.timeline) this.deliver('timeline', t);
  }

  /** One listener that throws harms neither the socket nor the other listeners. */
  private deliver<E extends 'activity' | 'timeline'>(event: E, value: Events[E][0]): void {
    for (const listener of this.listeners(event)) {
      try {
        (listener as (v: Events[E][0]) => void)(value);
      } catch (err) {
        this.emit('debug', `a ${event} listener failed: ${(err as Error).message}`);
      }
    }
  }
}
