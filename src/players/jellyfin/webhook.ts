/**
 * The bodies Jellyfin's webhook plugin sends (Generic destination, "Send All Properties"): JSON, posted as
 * text/plain unless the user adds a header, so an `http in` node hands over a string (or a Buffer). Only the
 * playback notifications are read here; they carry the item's id but no path (the path is looked up on the
 * server). Every body is outside data: its shape is checked, and a wrong one is a WebhookError naming the field.
 * Knows nothing of Node-RED.
 */
import { providerIds, type ProviderIds } from '../../core/playback';
import type { Obj } from '../../core/values';
import { WebhookError } from '../webhook';

export type JellyfinPlaybackType = 'PlaybackStart' | 'PlaybackProgress' | 'PlaybackStop';

export interface JellyfinPlaybackHook {
  type: JellyfinPlaybackType;
  itemId: string;
  /** Movie, Episode, … as Jellyfin names it. */
  itemType: string;
  name: string;
  /** The item's file, which recent versions of the plugin send; older ones do not. */
  path?: string;
  year?: number;
  seriesName?: string;
  season?: number;
  episode?: number;
  ids?: ProviderIds;
  runtimeS?: number;
  positionS?: number;
  paused: boolean;
  user?: string;
  device?: string;
  client?: string;
  /** The play session: the plugin's session Id, else the device's id. */
  sessionId: string;
  /** PlaybackStop only: whether Jellyfin counts the play as finished. */
  playedToCompletion: boolean;
}

const TICKS_PER_SECOND = 10_000_000;
const PLAYBACK = new Set<string>(['PlaybackStart', 'PlaybackProgress', 'PlaybackStop']);

/** A text field, or undefined; a field of another type is a WebhookError. */
function text(o: Obj, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new WebhookError(`${key} is not text`);
  return v.slice(0, 1000);
}

/** A number field, or a text of one (the plugin's templates may quote them); undefined when absent. */
function number(o: Obj, key: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new WebhookError(`${key} is not a number`);
  return n;
}

function flag(o: Obj, key: string): boolean {
  const v = o[key];
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'True') return true;
  if (v === 'false' || v === 'False') return false;
  throw new WebhookError(`${key} is not true/false`);
}

/**
 * The playback notification in a body, or undefined for any other notification (ItemAdded, UserDataSaved, …),
 * which watch activity does not use. Throws a WebhookError for a body that is not the plugin's.
 */
export function decodeJellyfinHook(body: Obj): JellyfinPlaybackHook | undefined {
  const type = text(body, 'NotificationType');
  if (type === undefined) throw new WebhookError('NotificationType is missing: is this a Jellyfin webhook?');
  if (!PLAYBACK.has(type)) return undefined;
  const itemId = text(body, 'ItemId');
  if (itemId === undefined || !/^[0-9a-fA-F-]{32,36}$/.test(itemId))
    throw new WebhookError(`${type}: ItemId is missing or not an id`);
  const deviceId = text(body, 'DeviceId');
  const session = text(body, 'Id');
  const ticks = number(body, 'PlaybackPositionTicks');
  const runtime = number(body, 'RunTimeTicks');
  const episode = text(body, 'ItemType') === 'Episode';
  return {
    type: type as JellyfinPlaybackType,
    itemId: itemId.replace(/-/g, '').toLowerCase(),
    itemType: text(body, 'ItemType') ?? 'unknown',
    name: text(body, 'Name') ?? 'unknown',
    path: text(body, 'Path'),
    year: number(body, 'Year'),
    seriesName: text(body, 'SeriesName'),
    season: episode ? number(body, 'SeasonNumber') : undefined,
    episode: episode ? number(body, 'EpisodeNumber') : undefined,
    ids: providerIds({
      imdb: body.Provider_imdb,
      tmdb: body.Provider_tmdb,
      tvdb: body.Provider_tvdb,
    }),
    runtimeS: runtime === undefined ? undefined : runtime / TICKS_PER_SECOND,
    positionS: ticks === undefined ? undefined : ticks / TICKS_PER_SECOND,
    paused: flag(body, 'IsPaused'),
    user: text(body, 'NotificationUsername'),
    device: text(body, 'DeviceName'),
    client: text(body, 'ClientName') ?? text(body, 'Client'),
    // One body per user of a session: the user is part of it.
    sessionId: `jellyfin|${session ?? deviceId ?? ''}|${text(body, 'UserId') ?? ''}`,
    playedToCompletion: type === 'PlaybackStop' && flag(body, 'PlayedToCompletion'),
  };
}

/**
 * A user created or deleted (UserCreated, UserDeleted: NotificationUsername, UserId), for watched-sync's user
 * propagation; undefined for any other notification.
 */
export function decodeJellyfinUserHook(
  body: Obj,
): { action: 'created' | 'deleted'; name: string } | undefined {
  const type = text(body, 'NotificationType');
  if (type !== 'UserCreated' && type !== 'UserDeleted') return undefined;
  const name = text(body, 'NotificationUsername');
  if (name === undefined) throw new WebhookError(`${type}: NotificationUsername is missing`);
  return { action: type === 'UserCreated' ? 'created' : 'deleted', name };
}
