/**
 * Plex Media Server's notification WebSocket (`/:/websockets/notifications`): one per `plex-server`, shared by its
 * flow nodes (the reconnecting, pinging part is LiveSocket's). Knows nothing of Node-RED.
 *
 * Frames are `{NotificationContainer: {type, ...}}`; what is used here: `activity` (ActivityNotification[] with
 * event started|updated|ended and Activity{type, Context{librarySectionID}}: a section's refresh), `timeline`
 * (TimelineEntry[]: items created, processed, deleted) and `playing` (PlaySessionStateNotification[]: a play
 * session's state and position, without its user or item: those are in /status/sessions). Every frame is outside
 * data: one of another shape is ignored and counted. The token goes in a header, never in the URL.
 */
import { isObject } from '../../core/values';
import { LiveSocket, LiveSocketOptions, LiveSocketState, SocketTarget, socketUrl } from '../live-socket';
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

/** A play session's state, as the `playing` notifications tell it (about every 10 s while a client plays). */
export interface PlexPlaying {
  sessionKey: string;
  state: 'playing' | 'paused' | 'buffering' | 'stopped';
  /** The item's library key, and the position in ms, where the notification says. */
  ratingKey?: string;
  viewOffsetMs?: number;
}

export type PlexNotificationState = LiveSocketState;
export type PlexNotificationOptions = LiveSocketOptions;

/** The notification socket's URL for a server URL (http → ws, https → wss); undefined for a URL that is not one. */
export function notificationUrl(serverUrl: string): string | undefined {
  return socketUrl(serverUrl, '/:/websockets/notifications');
}

const PLAY_STATES = new Set(['playing', 'paused', 'buffering', 'stopped']);

/** An id Plex gives as a string or a number. */
const idOf = (value: unknown): string | undefined =>
  typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))
    ? String(value)
    : undefined;

/**
 * The activities, timeline entries and play states of one frame; undefined when it is not a notification of a
 * known shape. Entries of another shape inside a known frame are left out.
 */
export function decodeNotification(
  raw: unknown,
): { activities: PlexActivity[]; timeline: PlexTimelineEntry[]; playing: PlexPlaying[] } | undefined {
  if (!isObject(raw) || !isObject(raw.NotificationContainer)) return undefined;
  const c = raw.NotificationContainer;
  const activities: PlexActivity[] = [];
  const timeline: PlexTimelineEntry[] = [];
  const playing: PlexPlaying[] = [];
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
  } else if (c.type === 'playing' && Array.isArray(c.PlaySessionStateNotification)) {
    for (const n of c.PlaySessionStateNotification as unknown[]) {
      if (!isObject(n)) continue;
      const sessionKey = idOf(n.sessionKey);
      if (sessionKey === undefined || typeof n.state !== 'string' || !PLAY_STATES.has(n.state)) continue;
      const offset = n.viewOffset;
      playing.push({
        sessionKey,
        state: n.state as PlexPlaying['state'],
        ratingKey: idOf(n.ratingKey),
        viewOffsetMs:
          typeof offset === 'number' && Number.isFinite(offset) && offset >= 0 ? offset : undefined,
      });
    }
  } else if (typeof c.type !== 'string') return undefined;
  return { activities, timeline, playing };
}

/** Emits `activity` (PlexActivity), `timeline` (PlexTimelineEntry) and `playing` (PlexPlaying), besides `state`. */
export class PlexNotifications extends LiveSocket {
  constructor(
    private readonly endpoint: PlexEndpoint,
    options: PlexNotificationOptions = {},
  ) {
    super(`notification socket of ${plexLabel(endpoint)}`, options);
  }

  protected target(): SocketTarget {
    const url = notificationUrl(this.endpoint.url);
    if (!url) return { reason: 'the URL is not an http(s) URL' };
    if (!this.endpoint.token) return { reason: 'no token is set' };
    return {
      url,
      headers: {
        'X-Plex-Token': this.endpoint.token,
        'X-Plex-Client-Identifier': this.endpoint.clientId,
        'X-Plex-Product': PLEX_PRODUCT,
        'X-Plex-Version': PLEX_VERSION,
      },
      handshakeTimeoutMs: this.endpoint.timeoutMs,
    };
  }

  protected frame(value: unknown): boolean {
    const decoded = decodeNotification(value);
    if (!decoded) return false;
    for (const a of decoded.activities) this.deliver('activity', a);
    for (const t of decoded.timeline) this.deliver('timeline', t);
    for (const p of decoded.playing) this.deliver('playing', p);
    return true;
  }
}
