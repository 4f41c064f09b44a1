/**
 * The token owner's watched state of a whole Plex server, page by page: each movie section listed with
 * /library/sections/{key}/all?type=1 and each show section's episodes, flat, with type=4, both with includeGuids=1
 * and the paging headers X-Plex-Container-Start/Size, until the MediaContainer's totalSize. Played is viewCount ≥ 1
 * (Plex leaves viewCount out when it is 0); the resume position is viewOffset (ms); the file is the first part of
 * the first media. Sections of other kinds (music, photos) are skipped.
 */
import { ShapeError, listOf, obj, optId, optNum, optStr } from '../shape';
import { PlexClient, container } from './client';
import { getSections } from './library';
import { providerIds } from '../../core/playback';
import type { Obj } from '../../core/values';
import {
  ItemDescription,
  WATCHED_PAGE_SIZE,
  WatchedEntry,
  WatchedPage,
  WatchedPageVisitor,
  pageOf,
  pageThrough,
} from '../watched-list';

/** Plex's metadata type numbers for the listings: 1 movie, 4 episode. */
const LISTED: Partial<Record<string, { type: 1 | 4; entry: WatchedEntry['type'] }>> = {
  movie: { type: 1, entry: 'movie' },
  show: { type: 4, entry: 'episode' },
};

/**
 * Every movie and episode of the server's movie and show sections with the token owner's watched state: `visit`
 * gets pages of at most `pageSize` entries, one request per page (and one for the section list). A wrong shape is
 * a PlayerError naming the server and the section's listing.
 */
export async function listPlexWatched(
  client: PlexClient,
  visit: WatchedPageVisitor,
  pageSize = WATCHED_PAGE_SIZE,
): Promise<void> {
  const sections = await getSections(client);
  for (const section of sections) {
    const listed = LISTED[section.type];
    if (!listed || !section.key) continue;
    const path = `/library/sections/${encodeURIComponent(section.key)}/all`;
    await pageThrough(
      client.label,
      `GET ${path}`,
      pageSize,
      (start, size) =>
        client.get(
          'GET',
          path,
          {
            listing: true,
            params: { type: listed.type, includeGuids: 1 },
            headers: { 'X-Plex-Container-Start': String(start), 'X-Plex-Container-Size': String(size) },
          },
          (body) => decodePage(body, listed.entry),
        ),
      visit,
    );
  }
}

/** A MediaContainer {offset, size, totalSize, Metadata}; rows of another type than asked for are left out. */
function decodePage(body: unknown, type: WatchedEntry['type']): WatchedPage {
  const c = container(body);
  const rows = listOf(c.Metadata, 'MediaContainer.Metadata', (m, where) => decodeMetadata(m, where, type));
  return pageOf(rows, optNum(c.totalSize, 'MediaContainer.totalSize'));
}

/** A Metadata row's year (0: unknown, left out) and, for an episode, its show (grandparentTitle), season, number. */
export function plexDescription(o: Obj, where: string, type: WatchedEntry['type']): ItemDescription {
  const d: ItemDescription = {};
  const year = optNum(o.year, `${where}.year`);
  if (year !== undefined && year > 0) d.year = year;
  if (type === 'episode') {
    const show = optStr(o.grandparentTitle, `${where}.grandparentTitle`);
    if (show) d.show = show;
    const season = optNum(o.parentIndex, `${where}.parentIndex`);
    if (season !== undefined) d.season = season;
    const episode = optNum(o.index, `${where}.index`);
    if (episode !== undefined) d.episode = episode;
  }
  return d;
}

function decodeMetadata(value: unknown, where: string, type: WatchedEntry['type']): WatchedEntry | undefined {
  const o = obj(value, where);
  const own = optStr(o.type, `${where}.type`);
  if (own !== undefined && own !== type) return undefined;
  const id = optId(o.ratingKey, `${where}.ratingKey`);
  if (id === undefined) throw new ShapeError(`${where}.ratingKey`, 'an id', o.ratingKey);
  const viewCount = optNum(o.viewCount, `${where}.viewCount`) ?? 0;
  const entry: WatchedEntry = {
    id,
    type,
    title: optStr(o.title, `${where}.title`) ?? '',
    played: viewCount >= 1,
    positionS: (optNum(o.viewOffset, `${where}.viewOffset`) ?? 0) / 1000,
  };
  const media = listOf(o.Media, `${where}.Media`, (m, w) => obj(m, w));
  const parts = media.length ? listOf(media[0].Part, `${where}.Media[0].Part`, (p, w) => obj(p, w)) : [];
  const file = parts.length ? optStr(parts[0].file, `${where}.Media[0].Part[0].file`) : undefined;
  if (file) entry.file = file;
  Object.assign(entry, plexDescription(o, where, type));
  const guids = listOf(o.Guid, `${where}.Guid`, (g, w) => optStr(obj(g, w).id, `${w}.id`) ?? '');
  const ids = providerIds(guids);
  if (ids) entry.ids = ids;
  return entry;
}
