/**
 * One user's watched state of a whole Jellyfin (or Emby) server, page by page: one listing over every library, GET
 * /Items?userId=&Recursive=true&IncludeItemTypes=Movie,Episode&Fields=Path,ProviderIds&EnableUserData=true with
 * StartIndex/Limit, until TotalRecordCount. Sorted by SortName, so that the pages follow one order and none is
 * skipped or repeated. Each item's UserData (Played, PlaybackPositionTicks) is the named user's; an item without
 * one is a wrong shape, never "unwatched" (a reconcile would otherwise undo what the user watched).
 */
import { listOf, obj, optBool, optNum, optObj, optStr, str } from '../shape';
import type { JellyfinClient } from './client';
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

/** Jellyfin's time unit: 10,000,000 ticks a second. */
const TICKS_PER_SECOND = 10_000_000;

const TYPES: Partial<Record<string, WatchedEntry['type']>> = { Movie: 'movie', Episode: 'episode' };

/**
 * Every movie and episode of the server with `userId`'s watched state: `visit` gets pages of at most `pageSize`
 * entries, one request per page. Emby takes the same listing (its client adds the /emby prefix). A wrong shape is
 * a PlayerError naming the server and `GET /Items`.
 */
export async function listJellyfinWatched(
  client: JellyfinClient,
  userId: string,
  visit: WatchedPageVisitor,
  pageSize = WATCHED_PAGE_SIZE,
): Promise<void> {
  await pageThrough(
    client.label,
    'GET /Items',
    pageSize,
    (start, size) =>
      client.get(
        'GET',
        '/Items',
        {
          listing: true,
          params: {
            userId,
            Recursive: true,
            IncludeItemTypes: 'Movie,Episode',
            Fields: 'Path,ProviderIds',
            EnableUserData: true,
            EnableImages: false,
            SortBy: 'SortName',
            StartIndex: start,
            Limit: size,
          },
        },
        decodePage,
      ),
    visit,
  );
}

/** {Items, TotalRecordCount, StartIndex}; rows of other types (a server that ignored the filter) are left out. */
function decodePage(body: unknown): WatchedPage {
  const o = obj(body, 'the answer');
  return pageOf(listOf(o.Items, 'Items', decodeItem), optNum(o.TotalRecordCount, 'TotalRecordCount'));
}

/** An item's ProductionYear (0: unknown, left out) and, for an episode, its SeriesName, season and number. */
export function jellyfinDescription(o: Obj, where: string, type: WatchedEntry['type']): ItemDescription {
  const d: ItemDescription = {};
  const year = optNum(o.ProductionYear, `${where}.ProductionYear`);
  if (year !== undefined && year > 0) d.year = year;
  if (type === 'episode') {
    const show = optStr(o.SeriesName, `${where}.SeriesName`);
    if (show) d.show = show;
    const season = optNum(o.ParentIndexNumber, `${where}.ParentIndexNumber`);
    if (season !== undefined) d.season = season;
    const episode = optNum(o.IndexNumber, `${where}.IndexNumber`);
    if (episode !== undefined) d.episode = episode;
  }
  return d;
}

function decodeItem(value: unknown, where: string): WatchedEntry | undefined {
  const o = obj(value, where);
  const type = TYPES[optStr(o.Type, `${where}.Type`) ?? ''];
  if (type === undefined) return undefined;
  const data = obj(o.UserData, `${where}.UserData`);
  const ticks = optNum(data.PlaybackPositionTicks, `${where}.UserData.PlaybackPositionTicks`) ?? 0;
  const entry: WatchedEntry = {
    id: str(o.Id, `${where}.Id`),
    type,
    title: optStr(o.Name, `${where}.Name`) ?? '',
    played: optBool(data.Played, `${where}.UserData.Played`) ?? false,
    positionS: ticks / TICKS_PER_SECOND,
  };
  const path = optStr(o.Path, `${where}.Path`);
  if (path) entry.file = path;
  Object.assign(entry, jellyfinDescription(o, where, type));
  const ids = providerIds(optObj(o.ProviderIds, `${where}.ProviderIds`));
  if (ids) entry.ids = ids;
  return entry;
}
