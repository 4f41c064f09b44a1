/**
 * The token owner's video playlists on Plex: listed, created, their entries listed, added and removed
 * (protocols-people.md section 2). Items are named by a uri server://{machineIdentifier}/com.plexapp.plugins.library
 * /library/metadata/{k1,k2,…}, the machineIdentifier asked of the server once per client. Smart playlists (a saved
 * query) cannot be edited: they are left out. Each write returns what was sent, never the token (it goes in a
 * header). Knows nothing of Node-RED.
 */
import { PlayerError } from '../errors';
import { ShapeError, listOf, obj, optId, optNum, optStr } from '../shape';
import { PlexClient, container } from './client';
import type { SentCall } from '../../core/result';
import { chunks } from '../../core/values';
import { Page, pageThrough } from '../watched-list';

export interface PlexPlaylist {
  ratingKey: string;
  title: string;
}

/** Keys sent in one uri: 100 keys keep a URL near 1 kB. */
const CHUNK = 100;

/** Entries asked for in one page of a playlist's listing. */
const PAGE = 500;

const seg = encodeURIComponent;

function badArgument(client: PlexClient, call: string, reason: string): PlayerError {
  return new PlayerError({ player: client.label, call, code: 'config', reason, retryable: false });
}

/** Per client: the server's machineIdentifier (asked once; forgotten on failure). */
const machines = new WeakMap<PlexClient, Promise<string>>();

function machineOf(client: PlexClient): Promise<string> {
  let known = machines.get(client);
  if (!known) {
    known = client.serverInfo().then((info) => {
      if (!info.machineIdentifier) {
        throw new PlayerError({
          player: client.label,
          call: 'GET /',
          code: 'protocol',
          reason: 'the server did not give its machineIdentifier, which playlist calls need',
          retryable: false,
        });
      }
      return info.machineIdentifier;
    });
    machines.set(client, known);
    known.catch(() => {
      machines.delete(client); // asked again next time
    });
  }
  return known;
}

/** server://{machineIdentifier}/com.plexapp.plugins.library/library/metadata/{k1,k2,…} */
async function itemsUri(client: PlexClient, ratingKeys: readonly string[]): Promise<string> {
  const machine = await machineOf(client);
  return `server://${machine}/com.plexapp.plugins.library/library/metadata/${ratingKeys.join(',')}`;
}

/** Plex's smart flag: true/false in JSON, 1/0 or "1"/"0" from some servers and proxies. */
function isSmart(value: unknown, where: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === '1') return true;
  if (value === 0 || value === '0') return false;
  throw new ShapeError(where, 'true/false', value);
}

function ratingKeyOf(o: Record<string, unknown>, where: string): string {
  const key = optId(o.ratingKey, `${where}.ratingKey`);
  if (key === undefined) throw new ShapeError(`${where}.ratingKey`, 'an id', o.ratingKey);
  return key;
}

/** GET /playlists?playlistType=video → Metadata[{ratingKey, title, smart}]; smart playlists left out. */
export async function getPlexPlaylists(client: PlexClient): Promise<PlexPlaylist[]> {
  const rows = await client.get(
    'GET',
    '/playlists',
    { listing: true, params: { playlistType: 'video' } },
    (body) =>
      listOf(container(body).Metadata, 'MediaContainer.Metadata', (value, where) => {
        const o = obj(value, where);
        return {
          ratingKey: ratingKeyOf(o, where),
          title: optStr(o.title, `${where}.title`) ?? '',
          smart: isSmart(o.smart, `${where}.smart`),
          type: optStr(o.playlistType, `${where}.playlistType`),
        };
      }),
  );
  return rows
    .filter((r) => !r.smart && (r.type === undefined || r.type === 'video'))
    .map(({ ratingKey, title }) => ({ ratingKey, title }));
}

/**
 * A new video playlist: POST /playlists?type=video&title=&smart=0&uri=server://{machineIdentifier}/
 * com.plexapp.plugins.library/library/metadata/{k1,k2,…} → Metadata[0].ratingKey. At most 100 keys go with it (a
 * URL cannot hold thousands); the rest are added after (`more`: those calls). With no keys, no uri: an empty
 * playlist. Returns its ratingKey and what was sent.
 */
export async function createPlexPlaylist(
  client: PlexClient,
  title: string,
  ratingKeys: string[],
): Promise<{ ratingKey: string; sent: SentCall; more: SentCall[] }> {
  const path = '/playlists';
  const call = `POST ${path}`;
  if (title.trim() === '') throw badArgument(client, call, 'the playlist has no title');
  const [first = [], ...rest] = chunks(ratingKeys, CHUNK);
  const params: Record<string, string | number> = { type: 'video', title, smart: 0 };
  if (first.length > 0) params.uri = await itemsUri(client, first);
  const ratingKey = await client.get('POST', path, { params }, (body) => {
    const made = listOf(container(body).Metadata, 'MediaContainer.Metadata', (v, w) => obj(v, w));
    const where = 'MediaContainer.Metadata[0]';
    return ratingKeyOf(obj(made.at(0), where), where);
  });
  const more = rest.length > 0 ? await addPlexPlaylistItems(client, ratingKey, rest.flat()) : [];
  return { ratingKey, sent: { method: call, params }, more };
}

/** One entry of a playlist: the item, and the entry's own id (playlistItemID, what a removal names). */
export interface PlexPlaylistEntry {
  ratingKey: string;
  entryId: string;
}

/**
 * The playlist's entries in order: GET /playlists/{id}/items with X-Plex-Container-Start/Size (500 a page) until the
 * container's totalSize → [{ratingKey, entryId: playlistItemID}]. An unknown playlist is a PlayerError "not-found".
 */
export async function getPlexPlaylistItems(
  client: PlexClient,
  playlistKey: string,
): Promise<PlexPlaylistEntry[]> {
  const path = `/playlists/${seg(playlistKey)}/items`;
  const entries: PlexPlaylistEntry[] = [];
  const fetchPage = (start: number, size: number): Promise<Page<PlexPlaylistEntry>> =>
    client.get(
      'GET',
      path,
      {
        listing: true,
        headers: { 'X-Plex-Container-Start': String(start), 'X-Plex-Container-Size': String(size) },
      },
      (body) => {
        const c = container(body);
        const rows = listOf(c.Metadata, 'MediaContainer.Metadata', (value, where) => {
          const o = obj(value, where);
          const entryId = optId(o.playlistItemID, `${where}.playlistItemID`);
          if (entryId === undefined)
            throw new ShapeError(`${where}.playlistItemID`, 'an id', o.playlistItemID);
          return { ratingKey: ratingKeyOf(o, where), entryId };
        });
        return { entries: rows, rows: rows.length, total: optNum(c.totalSize, 'MediaContainer.totalSize') };
      },
    );
  await pageThrough(client.label, `GET ${path}`, PAGE, fetchPage, (page) => {
    entries.push(...page);
  });
  return entries;
}

/**
 * Adds items at the end: PUT /playlists/{id}/items?uri=server://{machineIdentifier}/com.plexapp.plugins.library/
 * library/metadata/{keys}, 100 keys a request. Returns what was sent, one call a request (none for no keys).
 */
export async function addPlexPlaylistItems(
  client: PlexClient,
  playlistKey: string,
  ratingKeys: string[],
): Promise<SentCall[]> {
  const path = `/playlists/${seg(playlistKey)}/items`;
  const sent: SentCall[] = [];
  for (const part of chunks(ratingKeys, CHUNK)) {
    const params = { uri: await itemsUri(client, part) };
    await client.request('PUT', path, { params });
    sent.push({ method: `PUT ${path}`, params });
  }
  return sent;
}

/** Removes entries: DELETE /playlists/{id}/items/{playlistItemID}, one request an entry. Returns what was sent. */
export async function removePlexPlaylistItems(
  client: PlexClient,
  playlistKey: string,
  entryIds: string[],
): Promise<SentCall[]> {
  const sent: SentCall[] = [];
  for (const entryId of entryIds) {
    const path = `/playlists/${seg(playlistKey)}/items/${seg(entryId)}`;
    await client.request('DELETE', path);
    sent.push({ method: `DELETE ${path}`, params: {} });
  }
  return sent;
}
