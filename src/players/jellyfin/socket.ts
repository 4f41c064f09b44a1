/**
 * Jellyfin's WebSocket (`/socket`), one per `jellyfin-server` (the reconnecting, pinging part is LiveSocket's).
 * Knows nothing of Node-RED.
 *
 * What it is used for: the "Sessions" subscription, which pushes the whole session list when playback starts,
 * stops or pauses, and otherwise at most once per interval as clients report progress. Jellyfin has no playback
 * start/stop messages of its own: successive lists are compared by the watch domain. Rules kept here:
 * - keep-alive: Jellyfin drops a socket 60 s after its last KeepAlive; one is sent every 30 s, and at once when
 *   the server asks (ForceKeepAlive);
 * - subscribe once per connection ("SessionsStart" adds a subscription each time it is sent: repeating it
 *   duplicates every frame), and only on versions where an API key may subscribe (sessionsSubscribable);
 * - nothing is sent on subscribing: the users read GET /Sessions once when the socket opens.
 * Not made for Emby (its socket has other rules): its users poll.
 */
import { isObject } from '../../core/values';
import type { PlaybackSession } from '../../core/playback';
import { LiveSocket, LiveSocketOptions, SocketTarget, socketUrl } from '../live-socket';
import { JellyfinEndpoint, jellyfinAuthorization, jellyfinLabel } from './client';
import { playbackOfSessions } from './library';

/** How often a KeepAlive is sent (Jellyfin drops the socket after 60 s without one). */
const KEEP_ALIVE_MS = 30_000;

/** The interval asked of the Sessions subscription, for activity that does not force a message. */
export const SESSIONS_INTERVAL_MS = 1000;

/**
 * Whether an API key may subscribe to Sessions on this Jellyfin version: 10.8 lets anyone; 10.9.0 to 10.10.5
 * admit administrator users only (an API key is refused); 10.10.6 and later admit API keys again. An unknown
 * version is "no": polling is the safe side.
 */
export function sessionsSubscribable(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return false;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const v = major * 1_000_000 + minor * 1000 + patch;
  if (v < 10_008_000) return false; // older than the oldest Jellyfin this package supports
  if (v < 10_009_000) return true;
  return v >= 10_010_006;
}

/** Emits `sessions` (PlaybackSession[]) for each Sessions message, besides `state`. */
export class JellyfinSocket extends LiveSocket {
  private keepAliveTimer?: NodeJS.Timeout;
  /** How many users want the Sessions subscription; it is sent once per connection while any does. */
  private sessionUsers = 0;
  private subscribed = false;

  constructor(
    private readonly endpoint: JellyfinEndpoint,
    options: LiveSocketOptions = {},
  ) {
    // A list of sessions with their items is the largest message: allow a busy server's.
    super(`WebSocket of ${jellyfinLabel(endpoint)}`, { maxFrameBytes: 8 * 1024 * 1024, ...options });
    this.on('state', () => {
      if (this.up) return;
      this.subscribed = false;
      clearInterval(this.keepAliveTimer);
      this.keepAliveTimer = undefined;
    });
  }

  /** Whether Sessions messages come now (the socket is up and subscribed). */
  get sessionsLive(): boolean {
    return this.up && this.subscribed;
  }

  /** Asks for Sessions messages (subscribing once, now or when the socket opens); returns the release. */
  watchSessions(): () => void {
    this.sessionUsers++;
    this.subscribe();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.sessionUsers--;
      if (this.sessionUsers === 0 && this.subscribed) {
        this.subscribed = false;
        this.send({ MessageType: 'SessionsStop', Data: '' });
      }
    };
  }

  override stop(): void {
    clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
    this.subscribed = false;
    super.stop();
  }

  protected target(): SocketTarget {
    const url = socketUrl(this.endpoint.url, '/socket');
    if (!url) return { reason: 'the URL is not an http(s) URL' };
    if (!this.endpoint.apiKey) return { reason: 'no API key is set' };
    return {
      url,
      headers: { Authorization: jellyfinAuthorization(this.endpoint.apiKey, this.endpoint.deviceId) },
      handshakeTimeoutMs: this.endpoint.timeoutMs,
    };
  }

  protected override opened(): void {
    this.subscribed = false;
    clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = setInterval(() => {
      this.send({ MessageType: 'KeepAlive' });
    }, KEEP_ALIVE_MS);
    this.subscribe();
  }

  private subscribe(): void {
    if (this.subscribed || this.sessionUsers === 0 || !this.up) return;
    if (this.send({ MessageType: 'SessionsStart', Data: `0,${SESSIONS_INTERVAL_MS}` })) {
      this.subscribed = true;
      this.emit('state', this.state); // users learn that sessions now come pushed
    }
  }

  protected frame(value: unknown): boolean {
    if (!isObject(value) || typeof value.MessageType !== 'string') return false;
    switch (value.MessageType) {
      case 'ForceKeepAlive':
        this.send({ MessageType: 'KeepAlive' });
        return true;
      case 'Sessions': {
        let sessions: PlaybackSession[];
        try {
          sessions = playbackOfSessions(value.Data);
        } catch {
          return false;
        }
        this.deliver('sessions', sessions);
        return true;
      }
      default:
        return true; // KeepAlive answers and the server's other messages: nothing to do
    }
  }
}
