/**
 * A user's playlists on Jellyfin (10.8 to 12) and on Emby: found by name, created, their entries listed, added and
 * removed (PlaylistsController; protocols-people.md section 2, Emby section 5). Every call names its user (an API
 * key has none), except the removal, which takes none. Each write returns what was sent, never the key (it goes in a
 * header). Knows nothing of Node-RED.
 */
import { PlayerError, UnsupportedError } from '../errors';
import { listOf, obj, optNum, optStr, str } from '../shape';
import type { JellyfinClient } from './client';
import { userDataApi } from './userdata';
import type { SentCall } from '../../core/result';
import { Page, pageThrough } from '../watched-list';
import { chunks, type Obj } from '../../core/values';

export interface JellyfinPlaylist {
  id: string;
  name: string;
}

/** Ids sent in one query string (ids=a,b,… or entryIds=…): 100 ids of 32 characters keep a URL near 3.5 kB. */
const CHUNK = 100;

/** Entries asked for in one page of a playlist's listing. */
const PAGE = 500;

const seg = encodeURIComponent;

function badArgument(client: JellyfinClient, call: string, reason: string): PlayerError {
  return new PlayerError({ player: client.label, call, code: 'config', reason, retryable: false });
}

/**
 * The user's playlists: GET /Items?userId=&IncludeItemTypes=Playlist&Recursive=true. Playlists of another media
 * type than video (an audio playlist, a book list) are left out: video items cannot be added to them. On Jellyfin
 * 10.9 and later this lists the playlists the user owns, those shared with the user and public ones.
 */
export async function getJellyfinPlaylists(
  client: JellyfinClient,
  userId: string,
): Promise<JellyfinPlaylist[]> {
  const rows = await client.get(
    'GET',
    '/Items',
    { listing: true, params: { userId, IncludeItemTypes: 'Playlist', Recursive: true } },
    (body) =>
      listOf(obj(body, 'the answer').Items, 'Items', (value, where) => {
        const o = obj(value, where);
        return {
          id: str(o.Id, `${where}.Id`),
          name: optStr(o.Name, `${where}.Name`) ?? '',
          type: optStr(o.Type, `${where}.Type`),
          mediaType: optStr(o.MediaType, `${where}.MediaType`),
        };
      }),
  );
  return rows
    .filter((r) => (r.type === undefined || r.type === 'Playlist') && isVideoOrUnknown(r.mediaType))
    .map(({ id, name }) => ({ id, name }));
}

function isVideoOrUnknown(mediaType: string | undefined): boolean {
  return mediaType === undefined || mediaType === '' || mediaType === 'Video' || mediaType === 'Unknown';
}

/**
 * A new video playlist owned by the user, holding `itemIds` (ids the server does not know are left out by it).
 * Jellyfin: POST /Playlists with the body {Name, Ids, UserId, MediaType: 'Video'}; 10.9 and later also Users:
 * [{UserId, CanEdit: true}] and IsPublic: false (left out, a 10.9+ playlist made through the body is public: every
 * user would see it). Emby: the same as query parameters Name, Ids, UserId, MediaType; as a URL cannot hold
 * thousands of ids, only the first 100 go with it and the rest are added after (`more`: those calls). Returns the
 * playlist's id and what was sent.
 */
export async function createJellyfinPlaylist(
  client: JellyfinClient,
  userId: string,
  name: string,
  itemIds: string[],
): Promise<{ id: string; sent: SentCall; more: SentCall[] }> {
  const path = '/Playlists';
  const call = `POST ${path}`;
  if (name.trim() === '') throw badArgument(client, call, 'the playlist has no name');
  const api = await userDataApi(client);
  const decodeId = (body: unknown): string => str(obj(body, 'the answer').Id, 'Id');
  if (api === 'emby') {
    const [first = [], ...rest] = chunks(itemIds, CHUNK);
    const params = { Name: name, Ids: first.join(','), UserId: userId, MediaType: 'Video' };
    const id = await client.get('POST', path, { params }, decodeId);
    const more = rest.length > 0 ? await addJellyfinPlaylistItems(client, userId, id, rest.flat()) : [];
    return { id, sent: { method: call, params }, more };
  }
  const body: Obj = { Name: name, Ids: itemIds, UserId: userId, MediaType: 'Video' };
  if (api === '10.9') Object.assign(body, { Users: [{ UserId: userId, CanEdit: true }], IsPublic: false });
  const id = await client.get('POST', path, { data: body }, decodeId);
  return { id, sent: { method: call, params: body }, more: [] };
}

/** One entry of a playlist: the item, and the entry's own id (what a removal names). */
export interface JellyfinPlaylistEntry {
  itemId: string;
  entryId: string;
}

/**
 * The playlist's entries in order: GET /Playlists/{id}/Items?userId=&startIndex=&limit= page by page (500 a page)
 * until TotalRecordCount → [{itemId: Id, entryId: PlaylistItemId}]. (From 10.10.2 Jellyfin gives the item's id as
 * PlaylistItemId; an entry without one takes its item's id.) A playlist the server or the user does not have is a
 * PlayerError "not-found".
 */
export async function getJellyfinPlaylistItems(
  client: JellyfinClient,
  userId: string,
  playlistId: string,
): Promise<JellyfinPlaylistEntry[]> {
  const path = `/Playlists/${seg(playlistId)}/Items`;
  const entries: JellyfinPlaylistEntry[] = [];
  const fetchPage = (start: number, size: number): Promise<Page<JellyfinPlaylistEntry>> =>
    client.get(
      'GET',
      path,
      {
        listing: true,
        params: { userId, startIndex: start, limit: size, enableImages: false, enableUserData: false },
      },
      (body) => {
        const o = obj(body, 'the answer');
        const rows = listOf(o.Items, 'Items', (value, where) => {
          const item = obj(value, where);
          const itemId = str(item.Id, `${where}.Id`);
          return { itemId, entryId: optStr(item.PlaylistItemId, `${where}.PlaylistItemId`) ?? itemId };
        });
        return { entries: rows, rows: rows.length, total: optNum(o.TotalRecordCount, 'TotalRecordCount') };
      },
    );
  await pageThrough(client.label, `GET ${path}`, PAGE, fetchPage, (page) => {
    entries.push(...page);
  });
  return entries;
}

/**
 * Adds items at the end: POST /Playlists/{id}/Items?ids=a,b&userId=, 100 ids a request. Jellyfin leaves out ids it
 * does not know and items the playlist already holds. Returns what was sent, one call a request (none for no ids).
 */
export async function addJellyfinPlaylistItems(
  client: JellyfinClient,
  userId: string,
  playlistId: string,
  itemIds: string[],
): Promise<SentCall[]> {
  const path = `/Playlists/${seg(playlistId)}/Items`;
  const sent: SentCall[] = [];
  for (const part of chunks(itemIds, CHUNK)) {
    const params = { ids: part.join(','), userId };
    await client.request('POST', path, { params });
    sent.push({ method: `POST ${path}`, params });
  }
  return sent;
}

/** Versions whose removal needs a user the API key does not have: 10.9.0 to 10.10.x. */
function refusesKeyRemoval(version: string | undefined): boolean {
  const m = /^10\.(\d+)\./.exec(version ?? '');
  return m !== null && (m[1] === '9' || m[1] === '10');
}

/**
 * Removes entries (their PlaylistItemId): DELETE /Playlists/{id}/Items?entryIds=a,b, 100 a request. Jellyfin 10.9
 * and 10.10 allow it only to the playlist's owner and users it is shared with for editing, and an API key is no
 * user: they refuse it (HTTP 400), which is an UnsupportedError here (10.8, 10.11 and later, and Emby take it).
 * Returns what was sent, one call a request (none for no entries).
 */
export async function removeJellyfinPlaylistItems(
  client: JellyfinClient,
  playlistId: string,
  entryIds: string[],
): Promise<SentCall[]> {
  const path = `/Playlists/${seg(playlistId)}/Items`;
  const sent: SentCall[] = [];
  for (const part of chunks(entryIds, CHUNK)) {
    const params = { entryIds: part.join(',') };
    try {
      await client.request('DELETE', path, { params });
    } catch (err) {
      throw await explainRefusal(client, err);
    }
    sent.push({ method: `DELETE ${path}`, params });
  }
  return sent;
}

/** A removal refused by Jellyfin 10.9 or 10.10 (which takes only users for it) as an UnsupportedError. */
async function explainRefusal(client: JellyfinClient, err: unknown): Promise<unknown> {
  if (!(err instanceof PlayerError) || (err.status !== 400 && err.status !== 403)) return err;
  if ((await userDataApi(client).catch(() => undefined)) !== '10.9') return err;
  const version = await client.publicInfo().then(
    (info) => info.Version,
    () => undefined,
  );
  if (!refusesKeyRemoval(version)) return err;
  return new UnsupportedError(
    'remove items from a playlist',
    client.label,
    `Jellyfin ${version ?? '10.9 or 10.10'} lets only the playlist's owner remove items, and an API key is no ` +
      'user (10.11 and later allow it)',
  );
}
