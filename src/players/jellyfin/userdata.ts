/**
 * A user's data on one item (watched, resume position, favourite, rating), on Jellyfin 10.8 to 12 and on Emby: the
 * user list, which routes the server has, the user data read and its writes. Every write names its user (an API
 * key has none) and returns what was sent, never the key.
 */
import { PlayerError, UnsupportedError } from '../errors';
import { list, obj, optBool, optNum, optStr, str } from '../shape';
import type { JellyfinClient } from './client';
import type { SentCall } from '../../core/result';
import type { Obj } from '../../core/values';

export interface JellyfinUser {
  id: string;
  name: string;
}

export interface UserItemState {
  played: boolean;
  playCount: number;
  /** The resume position, in seconds (0: none). */
  positionS: number;
  favourite: boolean;
  /** The user's rating, 0 to 10. */
  rating?: number;
  /** As the server wrote it (ISO 8601, UTC). */
  lastPlayed?: string;
}

/** Jellyfin's time unit: 10,000,000 ticks a second. */
const TICKS_PER_SECOND = 10_000_000;

/** The user data routes a server has. */
export type UserDataApi = '10.9' | '10.8' | 'emby';

/** Per client: the routes, and the version they were chosen from (for texts). Asked once; forgotten on failure. */
const apis = new WeakMap<JellyfinClient, Promise<{ api: UserDataApi; version?: string }>>();

/** The routes for a version: 10.9 and later (Jellyfin 12 too) have the user-less ones; 10.8 and older do not. */
function apiOfVersion(version: string | undefined): UserDataApi {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  // An unknown version gets the current routes: the old ones are obsolete and may go in a later release.
  if (!m) return '10.9';
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 10 || (major === 10 && minor >= 9) ? '10.9' : '10.8';
}

function apiOf(client: JellyfinClient): Promise<{ api: UserDataApi; version?: string }> {
  let known = apis.get(client);
  if (!known) {
    known =
      client.endpoint.server === 'emby'
        ? Promise.resolve({ api: 'emby' as const })
        : client.publicInfo().then((info) => ({ api: apiOfVersion(info.Version), version: info.Version }));
    apis.set(client, known);
    known.catch(() => {
      apis.delete(client); // unreachable now: asked again next time
    });
  }
  return known;
}

/**
 * Which routes this server has: '10.9' (UserPlayedItems, UserFavoriteItems, UserItems/{id}/UserData), '10.8' (only
 * /Users/{uid}/PlayedItems|FavoriteItems/{id}; no user-data write), 'emby' (/Users/{uid}/... and POST
 * /Users/{uid}/Items/{id}/UserData). From publicInfo().Version (Emby from the endpoint, unasked), asked once per
 * client and remembered; an unknown version is taken as '10.9'.
 */
export async function userDataApi(client: JellyfinClient): Promise<UserDataApi> {
  return (await apiOf(client)).api;
}

/** GET /Users: every user (name and id). */
export async function getJellyfinUsers(client: JellyfinClient): Promise<JellyfinUser[]> {
  return client.get('GET', '/Users', { listing: true }, (body) =>
    list(body, 'the answer').map((u, i) => {
      const where = `the answer[${i}]`;
      const o = obj(u, where);
      return { id: str(o.Id, `${where}.Id`), name: optStr(o.Name, `${where}.Name`) ?? '' };
    }),
  );
}

/** A UserItemDataDto. */
function decodeUserData(value: unknown, where: string): UserItemState {
  const o = obj(value, where);
  const state: UserItemState = {
    played: optBool(o.Played, `${where}.Played`) ?? false,
    playCount: optNum(o.PlayCount, `${where}.PlayCount`) ?? 0,
    positionS: (optNum(o.PlaybackPositionTicks, `${where}.PlaybackPositionTicks`) ?? 0) / TICKS_PER_SECOND,
    favourite: optBool(o.IsFavorite, `${where}.IsFavorite`) ?? false,
  };
  const rating = optNum(o.Rating, `${where}.Rating`);
  if (rating !== undefined) state.rating = rating;
  const last = optStr(o.LastPlayedDate, `${where}.LastPlayedDate`);
  if (last !== undefined) state.lastPlayed = last;
  return state;
}

const seg = encodeURIComponent;

/**
 * The user's data on the item: 10.9+ GET /UserItems/{id}/UserData?userId=; 10.8 and Emby GET /Users/{uid}/Items/{id}
 * → .UserData. A missing user or item is a PlayerError "not-found".
 */
export async function getJellyfinUserData(
  client: JellyfinClient,
  userId: string,
  itemId: string,
): Promise<UserItemState> {
  const { api } = await apiOf(client);
  if (api === '10.9') {
    return client.get('GET', `/UserItems/${seg(itemId)}/UserData`, { params: { userId } }, (body) =>
      decodeUserData(body, 'the answer'),
    );
  }
  return client.get('GET', `/Users/${seg(userId)}/Items/${seg(itemId)}`, {}, (body) =>
    decodeUserData(obj(body, 'the answer').UserData, 'UserData'),
  );
}

/** An argument no server would take (a negative position, a rating of 11): sent nowhere. */
function badArgument(client: JellyfinClient, call: string, reason: string): PlayerError {
  return new PlayerError({ player: client.label, call, code: 'config', reason, retryable: false });
}

/** Emby's DatePlayed: yyyyMMddHHmmss in UTC (MediaBrowser's MarkPlayed parses exactly that). */
function embyDate(at: Date): string {
  return at
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/\D/g, '');
}

/** Sends one call and returns it as sent: the query and body merged in `params` (headers, and so the key, left out). */
async function send(
  client: JellyfinClient,
  method: 'POST' | 'DELETE',
  path: string,
  query: Record<string, string | undefined>,
  body?: Obj,
): Promise<SentCall> {
  const params = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  await client.request(method, path, { params, data: body });
  return { method: `${method} ${path}`, params: { ...params, ...body } };
}

/**
 * Played / unplayed: POST / DELETE /UserPlayedItems/{id}?userId=[&datePlayed=] (10.9+), /Users/{uid}/PlayedItems/{id}
 * (10.8, Emby; Emby's DatePlayed as yyyyMMddHHmmss). Marking played adds a play when `at` is given (the server counts
 * at least one either way) and clears the resume position; unplayed clears the play count and the position too.
 * Returns what was sent.
 */
export async function setJellyfinPlayed(
  client: JellyfinClient,
  userId: string,
  itemId: string,
  played: boolean,
  at?: Date,
): Promise<SentCall> {
  const { api } = await apiOf(client);
  const method = played ? 'POST' : 'DELETE';
  const path =
    api === '10.9' ? `/UserPlayedItems/${seg(itemId)}` : `/Users/${seg(userId)}/PlayedItems/${seg(itemId)}`;
  if (at !== undefined && Number.isNaN(at.getTime())) {
    throw badArgument(client, `${method} ${path}`, 'the date played is not a valid date');
  }
  const when = played && at ? at : undefined;
  if (api === '10.9') return send(client, method, path, { userId, datePlayed: when?.toISOString() });
  if (api === 'emby') return send(client, method, path, { DatePlayed: when && embyDate(when) });
  return send(client, method, path, { datePlayed: when?.toISOString() });
}

/** Favourite: POST / DELETE /UserFavoriteItems/{id}?userId= (10.9+), /Users/{uid}/FavoriteItems/{id} (10.8, Emby). */
export async function setJellyfinFavourite(
  client: JellyfinClient,
  userId: string,
  itemId: string,
  favourite: boolean,
): Promise<SentCall> {
  const { api } = await apiOf(client);
  const method = favourite ? 'POST' : 'DELETE';
  if (api === '10.9') return send(client, method, `/UserFavoriteItems/${seg(itemId)}`, { userId });
  return send(client, method, `/Users/${seg(userId)}/FavoriteItems/${seg(itemId)}`, {});
}

/**
 * One change through the user-data write. 10.9+: POST /UserItems/{id}/UserData?userId= with only the changed field
 * (UpdateUserItemDataDto: what is left out stays). Emby: POST /Users/{uid}/Items/{id}/UserData with the whole user
 * data as read just before, changed (its UserItemDataDto has non-nullable fields, so a field left out could be taken
 * as false or 0). 10.8 has no such route: UnsupportedError.
 */
async function writeUserData(
  client: JellyfinClient,
  userId: string,
  itemId: string,
  what: string,
  change: Obj,
  problem: string | undefined,
): Promise<SentCall> {
  const { api, version } = await apiOf(client);
  if (api === '10.8') {
    throw new UnsupportedError(
      what,
      client.label,
      `Jellyfin ${version ?? '10.8'} has no user-data route (10.9 or later has)`,
    );
  }
  const path =
    api === '10.9'
      ? `/UserItems/${seg(itemId)}/UserData`
      : `/Users/${seg(userId)}/Items/${seg(itemId)}/UserData`;
  if (problem !== undefined) {
    throw badArgument(client, `POST ${path}`, problem);
  }
  if (api === '10.9') return send(client, 'POST', path, { userId }, change);
  const now = await getJellyfinUserData(client, userId, itemId);
  const whole: Obj = {
    Played: now.played,
    PlayCount: now.playCount,
    PlaybackPositionTicks: Math.round(now.positionS * TICKS_PER_SECOND),
    IsFavorite: now.favourite,
  };
  if (now.rating !== undefined) whole.Rating = now.rating;
  if (now.lastPlayed !== undefined) whole.LastPlayedDate = now.lastPlayed;
  return send(client, 'POST', path, {}, { ...whole, ...change });
}

/**
 * The resume position: POST /UserItems/{id}/UserData?userId= body {PlaybackPositionTicks} (10.9+), POST
 * /Users/{uid}/Items/{id}/UserData (Emby); 10.8 has no such route: throws an UnsupportedError. 0 clears it.
 */
export async function setJellyfinPosition(
  client: JellyfinClient,
  userId: string,
  itemId: string,
  positionS: number,
): Promise<SentCall> {
  const ok = Number.isFinite(positionS) && positionS >= 0;
  return writeUserData(
    client,
    userId,
    itemId,
    'set a resume position',
    { PlaybackPositionTicks: ok ? Math.round(positionS * TICKS_PER_SECOND) : 0 },
    ok ? undefined : `the position must be 0 s or more, not ${String(positionS)}`,
  );
}

/** Rating 0–10 in the user data (Rating): through the user-data write (10.9+, Emby); 10.8: UnsupportedError. */
export async function setJellyfinRating(
  client: JellyfinClient,
  userId: string,
  itemId: string,
  rating: number,
): Promise<SentCall> {
  const ok = Number.isFinite(rating) && rating >= 0 && rating <= 10;
  return writeUserData(
    client,
    userId,
    itemId,
    'set a rating',
    { Rating: rating },
    ok ? undefined : `the rating must be 0 to 10, not ${String(rating)}`,
  );
}
