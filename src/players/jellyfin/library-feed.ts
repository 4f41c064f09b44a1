/**
 * A Jellyfin (or Emby) server's library as a feed (players/library-feed.ts): its movie, show and mixed libraries
 * (GET /Library/VirtualFolders), each listed with GET /Items?ParentId=<library>&Recursive=true
 * &IncludeItemTypes=Movie,Episode&Fields=Path,DateCreated,Etag, StartIndex/Limit, sorted by SortName then Id so
 * that the pages follow one order. The fingerprint is the Etag (an MD5 of the item's DateLastSaved: it changes
 * whenever the server saves the item), DateCreated and Path. `since` asks for MinDateLastSaved (10.8 to 12); the
 * count asks for Limit=0 (TotalRecordCount only).
 */
import { listOf, obj, optNum, optStr, str } from '../shape';
import type { JellyfinClient } from './client';
import { getLibraries } from './library';
import type { FeedPage, LibraryEntry, LibraryFeed } from '../library-feed';
import { pageOf } from '../watched-list';
import { jellyfinDescription } from './watched-list';

const TYPES: Partial<Record<string, LibraryEntry['type']>> = { Movie: 'movie', Episode: 'episode' };
/** Libraries of these kinds hold movies or episodes (undefined: a mixed library). */
const LISTED_KINDS = new Set(['movies', 'tvshows', 'homevideos', 'musicvideos', undefined]);

/**
 * How far back from the run's start the next run asks, against a server clock a little off ours: what it asks
 * again is compared and dropped.
 */
export const JELLYFIN_SINCE_SLACK_MS = 10 * 60_000;

export function jellyfinLibraryFeed(client: JellyfinClient): LibraryFeed {
  const ask = (parentId: string, start: number, size: number, since?: string): Promise<FeedPage> =>
    client.get(
      'GET',
      '/Items',
      {
        listing: true,
        params: {
          ParentId: parentId,
          Recursive: true,
          IncludeItemTypes: 'Movie,Episode',
          Fields: 'Path,DateCreated,Etag',
          EnableImages: false,
          EnableUserData: false,
          SortBy: 'SortName,Id',
          StartIndex: start,
          Limit: size,
          ...(since !== undefined ? { MinDateLastSaved: since } : {}),
          userId: client.endpoint.userId,
        },
      },
      decodePage,
    );
  return {
    label: client.label,
    incremental: true,
    async sections() {
      const libs = await getLibraries(client);
      return libs
        .filter((l) => LISTED_KINDS.has(l.CollectionType))
        .map((l) => ({ key: l.ItemId, title: l.Name || l.ItemId }));
    },
    async count(section) {
      const page = await ask(section.key, 0, 0);
      return page.total ?? page.rows;
    },
    page: (section, start, size, since) => ask(section.key, start, size, since),
    watermark: (startedAt) => new Date(startedAt - JELLYFIN_SINCE_SLACK_MS).toISOString(),
    call: () => 'GET /Items',
  };
}

function decodePage(body: unknown): FeedPage {
  const o = obj(body, 'the answer');
  const rows = listOf(o.Items, 'Items', decodeItem);
  return pageOf(rows, optNum(o.TotalRecordCount, 'TotalRecordCount'));
}

function decodeItem(value: unknown, where: string): LibraryEntry | undefined {
  const o = obj(value, where);
  const type = TYPES[optStr(o.Type, `${where}.Type`) ?? ''];
  if (type === undefined) return undefined;
  const path = optStr(o.Path, `${where}.Path`);
  const entry: LibraryEntry = {
    id: str(o.Id, `${where}.Id`),
    type,
    title: optStr(o.Name, `${where}.Name`) ?? '',
    fingerprint: [
      optStr(o.Etag, `${where}.Etag`) ?? '',
      optStr(o.DateCreated, `${where}.DateCreated`) ?? '',
      path ?? '',
    ].join('|'),
  };
  if (path) entry.file = path;
  return Object.assign(entry, jellyfinDescription(o, where, type));
}
