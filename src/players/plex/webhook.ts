/**
 * The webhooks Plex Media Server sends (Plex Pass, set per plex.tv account): a multipart/form-data POST whose
 * `payload` part is JSON (a `thumb` JPEG part may come too). An `http in` node hands that over as the raw body (a
 * Buffer) with the request's Content-Type, or, with "Accept file uploads", as fields ({payload: "<json>"}); both
 * are read here, as is the JSON itself. Only the play events are used: media.play, pause, resume, stop, scrobble.
 * Every body is outside data: its shape is checked, and a wrong one is a WebhookError naming the field. Knows
 * nothing of Node-RED.
 */
import { providerIds, type ProviderIds } from '../../core/playback';
import { isObject, type Obj } from '../../core/values';
import { WebhookError, webhookBody } from '../webhook';

/** The largest multipart body searched (the thumb part can be a few hundred KB). */
const MAX_MULTIPART_BYTES = 32 * 1024 * 1024;

export type PlexPlayEvent = 'media.play' | 'media.pause' | 'media.resume' | 'media.stop' | 'media.scrobble';
const PLAY_EVENTS = new Set<string>([
  'media.play',
  'media.pause',
  'media.resume',
  'media.stop',
  'media.scrobble',
]);

export interface PlexPlayHook {
  event: PlexPlayEvent;
  ratingKey: string;
  /** movie, episode, … as Plex names it */
  type: string;
  title: string;
  year?: number;
  show?: string;
  season?: number;
  episode?: number;
  ids?: ProviderIds;
  positionS?: number;
  runtimeS?: number;
  user?: string;
  device?: string;
  client?: string;
  /** The play session: the player's id (one player plays one thing at a time) and the account. */
  sessionId: string;
}

/** The value of a multipart part named `name`, as text; undefined when there is no such part. */
export function multipartField(body: Buffer, contentType: string, name: string): string | undefined {
  const m = /boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  if (!m) throw new WebhookError('the multipart body has no boundary in its Content-Type');
  if (body.length > MAX_MULTIPART_BYTES) throw new WebhookError('the multipart body is over 32 MB');
  const [, quoted, bare] = m as unknown as [string, string | undefined, string]; // one of the groups matched
  const boundary = Buffer.from(`--${quoted ?? bare}`);
  let at = body.indexOf(boundary);
  while (at !== -1) {
    const start = at + boundary.length;
    const next = body.indexOf(boundary, start);
    if (next === -1) break;
    const part = body.subarray(start, next);
    const split = part.indexOf('\r\n\r\n');
    if (split !== -1) {
      const headers = part.subarray(0, split).toString('latin1');
      const named = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headers);
      if (named && named[1] === name) {
        let content = part.subarray(split + 4);
        if (content.subarray(-2).toString('latin1') === '\r\n') content = content.subarray(0, -2);
        return content.toString('utf8');
      }
    }
    at = next;
  }
  return undefined;
}

/**
 * The webhook's JSON from what `http in` gave: the raw multipart body (with its Content-Type), the fields of an
 * upload-enabled `http in` ({payload: "<json>"}), or the JSON itself (text or object).
 */
export function plexWebhookJson(payload: unknown, contentType: string | undefined): Obj {
  if (Buffer.isBuffer(payload) && contentType && /^multipart\//i.test(contentType)) {
    const field = multipartField(payload, contentType, 'payload');
    if (field === undefined)
      throw new WebhookError('the multipart body has no "payload" part: is this a Plex webhook?');
    return webhookBody(field, 'Plex webhook');
  }
  if (isObject(payload) && typeof payload.payload === 'string' && payload.event === undefined) {
    return webhookBody(payload.payload, 'Plex webhook');
  }
  return webhookBody(payload, 'Plex webhook');
}

function text(o: Obj, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new WebhookError(`${where}.${key} is not text`);
  return v.slice(0, 1000);
}

function number(o: Obj, key: string, where: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new WebhookError(`${where}.${key} is not a number`);
  return v;
}

function part(o: Obj, key: string): Obj {
  const v = o[key];
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new WebhookError(`${key} is not an object`);
  return v;
}

/**
 * The play event in a webhook's JSON, or undefined for any other event (library.new, media.rate, …), which watch
 * activity does not use. Throws a WebhookError for JSON that is not Plex's.
 */
export function decodePlexHook(json: Obj): PlexPlayHook | undefined {
  const event = text(json, 'event', 'payload');
  if (event === undefined) throw new WebhookError('payload.event is missing: is this a Plex webhook?');
  if (!PLAY_EVENTS.has(event)) return undefined;
  const meta = part(json, 'Metadata');
  const account = part(json, 'Account');
  const player = part(json, 'Player');
  const rk = meta.ratingKey;
  const ratingKey =
    typeof rk === 'number' && Number.isFinite(rk) ? String(rk) : text(meta, 'ratingKey', 'Metadata');
  if (ratingKey === undefined) throw new WebhookError(`${event}: Metadata.ratingKey is missing`);
  const type = text(meta, 'type', 'Metadata') ?? 'unknown';
  const episode = type === 'episode';
  const offset = number(meta, 'viewOffset', 'Metadata');
  const duration = number(meta, 'duration', 'Metadata');
  const guids = Array.isArray(meta.Guid)
    ? meta.Guid.map((g: unknown) => (isObject(g) && typeof g.id === 'string' ? g.id : undefined))
    : [];
  return {
    event: event as PlexPlayEvent,
    ratingKey,
    type,
    title: text(meta, 'title', 'Metadata') ?? 'unknown',
    year: number(meta, 'year', 'Metadata'),
    show: episode ? text(meta, 'grandparentTitle', 'Metadata') : undefined,
    season: episode ? number(meta, 'parentIndex', 'Metadata') : undefined,
    episode: episode ? number(meta, 'index', 'Metadata') : undefined,
    ids: providerIds(guids),
    positionS: offset === undefined ? undefined : offset / 1000,
    runtimeS: duration === undefined ? undefined : duration / 1000,
    user: text(account, 'title', 'Account'),
    device: text(player, 'title', 'Player'),
    client: undefined,
    sessionId: `plex|${text(player, 'uuid', 'Player') ?? ''}|${text(account, 'title', 'Account') ?? ''}`,
  };
}
