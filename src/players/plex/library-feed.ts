/**
 * A Plex server's library as a feed (players/library-feed.ts): its movie and show sections, each listed with
 * /library/sections/{key}/all?type=1 (movies) or type=4 (episodes, flat) and the paging headers
 * X-Plex-Container-Start/Size. The fingerprint is updatedAt, addedAt and each media part's id, size and file: a
 * replaced file is a new part. `since` asks for `updatedAt>>=<epoch>` on the wire, that is the key `updatedAt>>`
 * (Plex's strict "after", as python-plexapi sends it); a key `updatedAt>=` or `updatedAt>>=` is taken and ignored,
 * answering everything. The count asks for a page of size 0 (totalSize only).
 */
import { ShapeError, listOf, obj, optId, optNum, optStr } from '../shape';
import { PlexClient, container } from './client';
import { getSections } from './library';
import type { FeedPage, LibraryEntry, LibraryFeed, LibrarySection } from '../library-feed';
import { pageOf } from '../watched-list';
import { plexDescription } from './watched-list';

const LISTED: Partial<Record<string, { type: 1 | 4; entry: LibraryEntry['type'] }>> = {
  movie: { type: 1, entry: 'movie' },
  show: { type: 4, entry: 'episode' },
};

interface PlexFeedSection extends LibrarySection {
  listed: { type: 1 | 4; entry: LibraryEntry['type'] };
}

export function plexLibraryFeed(client: PlexClient): LibraryFeed {
  const path = (section: LibrarySection): string =>
    `/library/sections/${encodeURIComponent(section.key)}/all`;
  // Sections come from sections() below; one made elsewhere is listed as movies.
  const listed = (section: LibrarySection): PlexFeedSection['listed'] =>
    'listed' in section ? (section as PlexFeedSection).listed : { type: 1, entry: 'movie' };
  const ask = (section: LibrarySection, start: number, size: number, since?: string): Promise<FeedPage> =>
    client.get(
      'GET',
      path(section),
      {
        listing: true,
        params: { type: listed(section).type, ...(since !== undefined ? { 'updatedAt>>': since } : {}) },
        headers: { 'X-Plex-Container-Start': String(start), 'X-Plex-Container-Size': String(size) },
      },
      (body) => decodePage(body, listed(section).entry),
    );
  return {
    label: client.label,
    incremental: true,
    async sections() {
      const all = await getSections(client);
      const out: PlexFeedSection[] = [];
      for (const s of all) {
        const kind = LISTED[s.type];
        if (kind && s.key) out.push({ key: s.key, title: s.title || s.key, listed: kind });
      }
      return out;
    },
    async count(section) {
      const page = await ask(section, 0, 0);
      if (page.total === undefined) {
        throw new ShapeError('MediaContainer.totalSize', 'a number', undefined);
      }
      return page.total;
    },
    page: ask,
    // Plex's own clock: the newest updatedAt seen. The filter is strict, so one second earlier, lest an item saved
    // in that same second after the run be missed (what is asked again is compared and dropped).
    watermark: (_startedAt, largest) => (largest === undefined ? undefined : String(largest - 1)),
    call: (section) => `GET ${path(section)}`,
  };
}

function decodePage(body: unknown, type: LibraryEntry['type']): FeedPage {
  const c = container(body);
  const rows = listOf(c.Metadata, 'MediaContainer.Metadata', (m, where) => decodeMetadata(m, where, type));
  return pageOf(rows, optNum(c.totalSize, 'MediaContainer.totalSize'));
}

function decodeMetadata(value: unknown, where: string, type: LibraryEntry['type']): LibraryEntry | undefined {
  const o = obj(value, where);
  const own = optStr(o.type, `${where}.type`);
  if (own !== undefined && own !== type) return undefined;
  const id = optId(o.ratingKey, `${where}.ratingKey`);
  if (id === undefined) throw new ShapeError(`${where}.ratingKey`, 'an id', o.ratingKey);
  const updatedAt = optNum(o.updatedAt, `${where}.updatedAt`);
  const addedAt = optNum(o.addedAt, `${where}.addedAt`);
  const parts: string[] = [];
  let file: string | undefined;
  listOf(o.Media, `${where}.Media`, (m, mw) => {
    listOf(obj(m, mw).Part, `${mw}.Part`, (p, pw) => {
      const part = obj(p, pw);
      const partFile = optStr(part.file, `${pw}.file`);
      file ??= partFile;
      parts.push(
        `${optId(part.id, `${pw}.id`) ?? ''}/${optNum(part.size, `${pw}.size`) ?? ''}/${partFile ?? ''}`,
      );
    });
  });
  const entry: LibraryEntry = {
    id,
    type,
    title: optStr(o.title, `${where}.title`) ?? '',
    fingerprint: `${updatedAt ?? ''}|${addedAt ?? ''}|${parts.join('|')}`,
  };
  if (updatedAt !== undefined) entry.stamp = updatedAt;
  if (file) entry.file = file;
  return Object.assign(entry, plexDescription(o, where, type));
}
