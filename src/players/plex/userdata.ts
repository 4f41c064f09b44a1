/**
 * The token owner's data on one Plex item: watched, resume position, rating. Each write applies to the user who owns
 * the token (another user needs that user's token) and returns what was sent, never the token (it goes in a header).
 */
import { PlayerError, UnsupportedError } from '../errors';
import { listOf, obj, optNum } from '../shape';
import { PlexClient, container } from './client';
import type { SentCall } from '../../core/result';

export interface PlexItemState {
  /** Watched at least once (viewCount ≥ 1). */
  played: boolean;
  viewCount: number;
  /** The resume position, in seconds (0: none). */
  positionS: number;
  /** The owner's rating, 0 to 10. */
  rating?: number;
  /** When it was last watched, in seconds since 1970. */
  lastViewedAt?: number;
}

/** The library's plugin identifier, which every user-data call names. */
const LIBRARY = 'com.plexapp.plugins.library';

const metadataPath = (ratingKey: string): string => `/library/metadata/${encodeURIComponent(ratingKey)}`;

function decodeState(value: unknown, where: string): PlexItemState {
  const o = obj(value, where);
  const viewCount = optNum(o.viewCount, `${where}.viewCount`) ?? 0;
  const state: PlexItemState = {
    played: viewCount >= 1,
    viewCount,
    positionS: (optNum(o.viewOffset, `${where}.viewOffset`) ?? 0) / 1000,
  };
  const rating = optNum(o.userRating, `${where}.userRating`);
  if (rating !== undefined) state.rating = rating;
  const last = optNum(o.lastViewedAt, `${where}.lastViewedAt`);
  if (last !== undefined) state.lastViewedAt = last;
  return state;
}

/**
 * GET /library/metadata/{ratingKey}: viewCount (absent = 0; played when ≥ 1), viewOffset (ms), userRating (0–10),
 * lastViewedAt (epoch s). undefined when the server has no such item (404, or no Metadata).
 */
export async function getPlexItemState(
  client: PlexClient,
  ratingKey: string,
): Promise<PlexItemState | undefined> {
  try {
    const items = await client.get('GET', metadataPath(ratingKey), {}, (body) =>
      listOf(container(body).Metadata, 'MediaContainer.Metadata', decodeState),
    );
    return items.at(0);
  } catch (err) {
    if (err instanceof PlayerError && err.code === 'not-found') return undefined;
    throw err;
  }
}

function badArgument(client: PlexClient, call: string, reason: string): PlayerError {
  return new PlayerError({ player: client.label, call, code: 'config', reason, retryable: false });
}

/**
 * Sends PUT (as the Plex OpenAPI prefers) and, where the server answers 404 or 405 to it, GET (which Plex answers
 * too, and which python-plexapi and WatchState use). Returns the call that was taken.
 */
async function putOrGet(
  client: PlexClient,
  path: string,
  params: Record<string, string | number>,
): Promise<SentCall> {
  try {
    await client.request('PUT', path, { params });
    return { method: `PUT ${path}`, params };
  } catch (err) {
    if (!(err instanceof PlayerError) || (err.status !== 404 && err.status !== 405)) throw err;
    await client.request('GET', path, { params });
    return { method: `GET ${path}`, params };
  }
}

/**
 * Watched / unwatched: PUT /:/scrobble or /:/unscrobble ?identifier=com.plexapp.plugins.library&key={ratingKey} (GET
 * where PUT is answered 404 or 405). Sets the state only, with no view-history entry; unscrobble clears the resume
 * position too.
 */
export async function setPlexPlayed(
  client: PlexClient,
  ratingKey: string,
  played: boolean,
): Promise<SentCall> {
  return putOrGet(client, played ? '/:/scrobble' : '/:/unscrobble', { identifier: LIBRARY, key: ratingKey });
}

/**
 * The resume position: POST /:/timeline?ratingKey=&key=/library/metadata/{ratingKey}&identifier=…&state=stopped
 * &time={ms}&duration={ms} (the client's X-Plex-Client-Identifier header goes with it: Plex ignores a timeline
 * without it or without the duration, answering 200 all the same). Plex decides what a position means: near the end
 * it marks the item watched. Position 0 cannot be set this way (Plex takes time 0 as nothing; python-plexapi says to
 * mark the item unwatched instead, which clears the watched state too): UnsupportedError, so that the caller
 * chooses.
 */
export async function setPlexPosition(
  client: PlexClient,
  ratingKey: string,
  positionS: number,
  durationS: number,
): Promise<SentCall> {
  const path = '/:/timeline';
  const call = `POST ${path}`;
  if (!Number.isFinite(positionS) || positionS < 0)
    throw badArgument(client, call, `the position must be 0 s or more, not ${String(positionS)}`);
  if (!Number.isFinite(durationS) || durationS <= 0)
    throw badArgument(client, call, `the duration must be more than 0 s, not ${String(durationS)}`);
  const time = Math.round(positionS * 1000);
  if (time === 0) {
    throw new UnsupportedError(
      'set a resume position of 0',
      client.label,
      'Plex ignores a position of 0 (marking the item unwatched clears it, and the watched state with it)',
    );
  }
  const params = {
    ratingKey,
    key: metadataPath(ratingKey),
    identifier: LIBRARY,
    state: 'stopped',
    time,
    duration: Math.round(durationS * 1000),
  };
  await client.request('POST', path, { params });
  return { method: call, params };
}

/** PUT /:/rate?identifier=com.plexapp.plugins.library&key={ratingKey}&rating={0..10; -1, sent for undefined, clears}. */
export async function setPlexRating(
  client: PlexClient,
  ratingKey: string,
  rating: number | undefined,
): Promise<SentCall> {
  const path = '/:/rate';
  if (rating !== undefined && (!Number.isFinite(rating) || rating < 0 || rating > 10))
    throw badArgument(client, `PUT ${path}`, `the rating must be 0 to 10, not ${String(rating)}`);
  const params = { identifier: LIBRARY, key: ratingKey, rating: rating ?? -1 };
  await client.request('PUT', path, { params });
  return { method: `PUT ${path}`, params };
}
