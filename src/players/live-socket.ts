/**
 * A server's push socket (Plex's notifications, Jellyfin's session socket): one per config node, shared by its
 * flow nodes, reconnecting with capped backoff, pinged to find a dead connection, every frame shape-checked by the
 * server's own subclass. While it is not up, the users of the server wait and watch by polling ("polling" state).
 * Knows nothing of Node-RED; the credential goes in a header, to the server's own origin, never in a log or reason.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { backoffDelay } from '../core/time';

/** connected: the socket is up; polling: it is not (refused, unreachable), and the work is done by polling. */
export type LiveSocketState = 'idle' | 'connecting' | 'connected' | 'polling';

export interface LiveSocketOptions {
  pingMs?: number;
  /** The largest frame taken (default 1 MB); a larger one closes the socket, which then comes back. */
  maxFrameBytes?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** Where to connect: the socket URL and headers, or why the socket cannot be opened (shown, so no secret). */
export type SocketTarget =
  { url: string; headers: Record<string, string>; handshakeTimeoutMs?: number } | { reason: string };

/** The largest frame taken by default; push messages are small. */
const MAX_FRAME_BYTES = 1024 * 1024;

/** An http(s) server URL turned into its socket URL at `path` (http → ws, https → wss); undefined for other URLs. */
export function socketUrl(serverUrl: string, path: string): string | undefined {
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/**
 * Emits `state` (LiveSocketState) and `debug` (a text); a subclass adds its own messages, given out with deliver().
 */
export abstract class LiveSocket extends EventEmitter {
  private ws?: WebSocket;
  private running = false;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;
  private alive = false;
  private current: LiveSocketState = 'idle';
  /** Frames ignored because of their shape or size. */
  ignoredFrames = 0;
  /** Why the socket is not up, for the status and the log (never holds a secret). */
  reason?: string;

  constructor(
    /** What the socket is called in debug texts ("notification socket of Plex …"). */
    private readonly name: string,
    private readonly options: LiveSocketOptions = {},
  ) {
    super();
  }

  /** The URL and headers to connect with, or why there is none. */
  protected abstract target(): SocketTarget;
  /** One frame, parsed from JSON; returns false when its shape is not one the server sends (it is counted). */
  protected abstract frame(value: unknown): boolean;
  /** Called when the socket opens (to subscribe, for instance). */
  protected opened(): void {
    // nothing by default
  }

  get state(): LiveSocketState {
    return this.current;
  }

  /** Whether messages can be received now. */
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

  /** Sends a JSON message when the socket is open; false when it is not. */
  protected send(message: unknown): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(message));
    return true;
  }

  private setState(state: LiveSocketState): void {
    if (state === this.current) return;
    this.current = state;
    this.emit('state', state);
  }

  private connect(): void {
    const target = this.target();
    if ('reason' in target) {
      this.reason = target.reason;
      this.setState('polling');
      return;
    }
    if (this.current !== 'polling') this.setState('connecting');
    const ws = new WebSocket(target.url, {
      headers: target.headers,
      maxPayload: this.options.maxFrameBytes ?? MAX_FRAME_BYTES,
      handshakeTimeout: target.handshakeTimeoutMs ?? 15000,
      followRedirects: false,
    });
    this.ws = ws;
    ws.on('open', () => {
      this.attempt = 0;
      this.reason = undefined;
      this.alive = true;
      this.setState('connected');
      this.emit('debug', `${this.name} open`);
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => {
        if (!this.alive) {
          ws.terminate(); // no pong since the last ping: a dead connection
          return;
        }
        this.alive = false;
        ws.ping();
      }, this.options.pingMs ?? 30000);
      this.opened();
    });
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('unexpected-response', (_req, res) => {
      // Refused (401: a credential the socket does not take) or not there: polling does the work meanwhile.
      this.reason =
        res.statusCode === 401 || res.statusCode === 403
          ? `the ${this.name} refused the credential (HTTP ${res.statusCode})`
          : `the ${this.name} answered HTTP ${res.statusCode ?? '?'}`;
      res.resume();
      ws.terminate();
    });
    ws.on('message', (data, isBinary) => {
      this.alive = true;
      this.onFrame(data, isBinary);
    });
    ws.on('error', (err) => {
      this.reason ??= `the ${this.name} failed: ${err.message}`;
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
    let known: boolean;
    try {
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : undefined;
      known = !isBinary && text !== undefined && this.frame(JSON.parse(text));
    } catch {
      known = false;
    }
    if (!known) {
      this.ignoredFrames++;
      this.emit('debug', `ignored a frame of an unknown shape on the ${this.name}`);
    }
  }

  /** Gives a message to each listener; one listener that throws harms neither the socket nor the others. */
  protected deliver(event: string, value: unknown): void {
    for (const listener of this.listeners(event)) {
      try {
        (listener as (v: unknown) => void)(value);
      } catch (err) {
        this.emit('debug', `a ${event} listener failed: ${(err as Error).message}`);
      }
    }
  }
}
