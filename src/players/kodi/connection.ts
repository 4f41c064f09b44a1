/**
 * One Kodi connection: JSON-RPC requests over HTTP and one WebSocket for notifications, reconnecting with capped
 * exponential backoff and pinging to find dead sockets. When the WebSocket is unavailable, requests still work
 * over HTTP and `websocketUp` is false, so that waiters poll instead of listening.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { PlayerError } from '../errors';
import { kindOf } from '../shape';
import { KODI_FIXES, KodiEndpoint, KodiRpc, hostForUrl } from './rpc';
import type { LinkState } from '../../core/link';
import { backoffDelay } from '../../core/time';
import { isObject } from '../../core/values';

export type KodiLinkState = LinkState;

export interface KodiNotification {
  method: string;
  data: unknown;
}

export interface KodiConnectionOptions {
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
}

const DEFAULT_OPTIONS: Required<KodiConnectionOptions> = {
  reconnectMinMs: 1000,
  reconnectMaxMs: 30000,
  pingIntervalMs: 30000,
  pingTimeoutMs: 10000,
};

interface Events {
  state: [KodiLinkState];
  notification: [KodiNotification];
  /** A line for the debug log (ignored frames). */
  debug: [string];
  /** A request failed (the error holds no secret). */
  failure: [PlayerError];
}

/** The largest WebSocket frame accepted: Kodi's notifications are a few hundred bytes. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

export class KodiConnection extends EventEmitter<Events> {
  readonly rpc: KodiRpc;
  readonly options: Required<KodiConnectionOptions>;
  /** Why the WebSocket is down, when it is. */
  websocketError?: PlayerError;
  /** The last failure of an HTTP request, cleared by the next success. */
  httpError?: PlayerError;
  /** When a request last got an answer, and when one last failed (ms since the epoch), for the Players board. */
  lastSuccessAt?: number;
  lastFailureAt?: number;
  /** The last request that failed (kept after a success, unlike httpError: the board shows the last failure). */
  lastFailure?: PlayerError;
  /** How many WebSockets this connection has opened so far (for diagnostics and tests). */
  socketsOpened = 0;
  /** How many WebSocket frames were ignored for their shape (for diagnostics and tests). */
  ignoredFrames = 0;

  private ws?: WebSocket;
  private wsUp = false;
  private httpOk?: boolean;
  private running = false;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;
  private pongTimer?: NodeJS.Timeout;
  private pingId = 0;
  private lastState: KodiLinkState = 'idle';
  /** Aborts the connection's own HTTP probes when it stops. */
  private probes = new AbortController();

  constructor(
    readonly endpoint: KodiEndpoint,
    options: KodiConnectionOptions = {},
  ) {
    super();
    this.rpc = new KodiRpc(endpoint);
    this.options = { ...DEFAULT_OPTIONS, ...options };
  }

  get label(): string {
    return this.rpc.label;
  }

  get websocketUp(): boolean {
    return this.wsUp;
  }

  get state(): KodiLinkState {
    if (!this.running) return 'idle';
    if (this.httpOk === false && this.httpError?.code === 'auth') return 'auth-failed';
    if (this.wsUp) return 'connected';
    if (this.httpOk === true) return 'http-only';
    if (this.httpOk === false) return 'disconnected';
    return 'connecting';
  }

  /** The reason behind the current state, for status text and logs; never contains a secret. */
  get problem(): PlayerError | undefined {
    const state = this.state;
    if (state === 'auth-failed' || state === 'disconnected') return this.httpError;
    if (state === 'http-only') return this.websocketError;
    return undefined;
  }

  /** How many of this connection's timers are set (reconnect, ping, pong): zero once stopped. */
  get timersSet(): number {
    return [this.reconnectTimer, this.pingTimer, this.pongTimer].filter((t) => t !== undefined).length;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.probes = new AbortController();
    this.openSocket();
    void this.probe();
  }

  stop(): void {
    this.running = false;
    this.probes.abort();
    this.clearTimers();
    if (this.ws) {
      const ws = this.ws;
      this.ws = undefined;
      ws.removeAllListeners();
      ws.on('error', () => undefined); // a socket closed while connecting still reports an error
      ws.terminate();
    }
    this.wsUp = false;
    this.httpOk = undefined;
    this.emitState();
  }

  /** Calls a JSON-RPC method over HTTP and keeps track of whether Kodi answers. */
  async call<T>(method: string, params?: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    try {
      const result = await this.rpc.call<T>(method, params, signal);
      const wasDown = this.httpOk === false;
      this.httpOk = true;
      this.lastSuccessAt = Date.now();
      this.httpError = undefined;
      // Kodi answers again after being down: its WebSocket is likely back too, so try it now rather than when
      // the reconnect backoff (up to reconnectMaxMs) runs out.
      if (wasDown && this.running && !this.ws && this.reconnectTimer) {
        clearTimeout(this.reconnectTimer);
        this.reconnectTimer = undefined;
        this.websocketError = undefined;
        this.openSocket();
      }
      this.emitState();
      return result;
    } catch (err) {
      if (signal?.aborted) throw err;
      if (err instanceof PlayerError) {
        this.lastFailure = err;
        this.lastFailureAt = Date.now();
        this.emit('failure', err);
      }
      if (err instanceof PlayerError && ['unreachable', 'timeout', 'auth', 'protocol'].includes(err.code)) {
        this.httpOk = false;
        this.httpError = err;
        this.emitState();
      }
      throw err;
    }
  }

  /** Subscribes to notifications; returns the function that unsubscribes. */
  onNotification(handler: (n: KodiNotification) => void): () => void {
    this.on('notification', handler);
    return () => this.off('notification', handler);
  }

  private async probe(): Promise<void> {
    try {
      await this.call('JSONRPC.Ping', undefined, this.probes.signal);
    } catch {
      // the state already says why
    }
  }

  private emitState(): void {
    const state = this.state;
    if (state !== this.lastState) {
      this.lastState = state;
      this.emit('state', state);
    }
  }

  private clearTimers(): void {
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.reconnectTimer = this.pingTimer = this.pongTimer = undefined;
  }

  private openSocket(): void {
    const { endpoint } = this;
    if (!endpoint.host) return;
    const scheme = endpoint.tls ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${hostForUrl(endpoint.host)}:${endpoint.wsPort}/jsonrpc`, {
      handshakeTimeout: this.options.pingTimeoutMs,
      // Kodi 20 can send a text frame that is not valid UTF-8 (seen during large library scans): ws would close
      // the socket for it and an event would be lost; the JSON parser copes with a replacement character.
      skipUTF8Validation: true,
      // A larger frame closes the socket (ws answers 1009) instead of filling the memory; it reconnects.
      maxPayload: MAX_FRAME_BYTES,
    });
    this.ws = ws;
    this.socketsOpened++;
    ws.on('open', () => {
      this.wsUp = true;
      this.attempt = 0;
      this.websocketError = undefined;
      this.emitState();
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => {
        this.ping(ws);
      }, this.options.pingIntervalMs);
      // The HTTP side may have come back with the socket: check it rather than show a stale state.
      if (this.httpOk !== true) void this.probe();
    });
    ws.on('message', (raw) => {
      this.onMessage(raw);
    });
    ws.on('unexpected-response', (_req, res) => {
      this.websocketError = this.socketError(
        `port ${endpoint.wsPort} answered HTTP ${res.statusCode ?? ''} instead of a WebSocket (is it the web server port?)`,
      );
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.websocketError || this.wsUp) {
        const reason =
          err.code === 'ECONNREFUSED'
            ? `WebSocket port ${endpoint.wsPort} refused the connection (remote control from applications is off?)`
            : err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
              ? `a frame larger than ${MAX_FRAME_BYTES / 1024 / 1024} MB came on port ${endpoint.wsPort}: the socket was closed and is reopened`
              : `WebSocket error ${err.code ?? err.message}`;
        this.websocketError = this.socketError(reason);
      }
    });
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.wsUp = false;
      clearInterval(this.pingTimer);
      clearTimeout(this.pongTimer);
      this.pingTimer = this.pongTimer = undefined;
      this.websocketError ??= this.socketError('Kodi closed the WebSocket');
      // Kodi may be gone altogether or only its WebSocket: ask over HTTP first, so that the state (and the log
      // line that goes with it) says which, instead of blaming the remote-control setting when Kodi is down.
      if (this.running)
        void this.probe().finally(() => {
          this.emitState();
        });
      else this.emitState();
      this.scheduleReconnect();
    });
  }

  private socketError(reason: string): PlayerError {
    return new PlayerError({
      player: this.label,
      call: 'WebSocket',
      code: 'websocket',
      reason,
      fix: KODI_FIXES.websocket,
    });
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    const delay = backoffDelay(this.attempt++, this.options.reconnectMinMs, this.options.reconnectMaxMs);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.running) return;
      this.websocketError = undefined;
      this.openSocket();
    }, delay);
  }

  private ping(ws: WebSocket): void {
    if (this.pongTimer) return;
    const id = `player-sync-ping-${++this.pingId}`;
    ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'JSONRPC.Ping', id }));
    this.pongTimer = setTimeout(() => {
      this.pongTimer = undefined;
      this.websocketError = this.socketError('no answer to ping');
      ws.terminate();
    }, this.options.pingTimeoutMs);
  }

  private onMessage(raw: WebSocket.RawData): void {
    // Anything may answer on this port: a frame is only used when it is a JSON object of a known shape, and no
    // frame, whatever it holds, may throw out of this handler (an exception here would end Node-RED).
    let msg: unknown;
    try {
      const text = Array.isArray(raw)
        ? Buffer.concat(raw).toString('utf8')
        : Buffer.from(raw as Uint8Array).toString('utf8');
      msg = JSON.parse(text) as unknown;
    } catch {
      this.ignored('a frame that is not JSON');
      return;
    }
    if (!isObject(msg)) {
      this.ignored(`a frame that is ${kindOf(msg)}, not a JSON-RPC object`);
      return;
    }
    if (typeof msg.id === 'string' && msg.id.startsWith('player-sync-ping-')) {
      clearTimeout(this.pongTimer);
      this.pongTimer = undefined;
      return;
    }
    if (typeof msg.method === 'string' && msg.id === undefined) {
      const params = isObject(msg.params) ? msg.params : {};
      const notification: KodiNotification = { method: msg.method, data: params.data ?? null };
      // Each subscriber on its own: one that throws must not end Node-RED (this runs in the socket's event
      // handler), close the socket, or keep the notification from the others.
      for (const handler of this.listeners('notification')) {
        try {
          handler(notification);
        } catch (err) {
          if (this.listenerCount('debug') > 0)
            this.emit('debug', `${this.label}: a handler of ${msg.method} failed: ${(err as Error).message}`);
        }
      }
      return;
    }
    this.ignored('a frame that is neither a notification nor an answer to our ping');
  }

  /** Frames of another shape are ignored and told at debug level (a listener is optional). */
  private ignored(what: string): void {
    this.ignoredFrames++;
    if (this.listenerCount('debug') > 0)
      this.emit('debug', `${this.label}: ignored ${what} on the WebSocket`);
  }
}
