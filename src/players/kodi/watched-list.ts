/**
 * Kodi's whole video library's watched state (the loaded profile's: Kodi's calls take no user), page by page:
 * VideoLibrary.GetMovies, then VideoLibrary.GetEpisodes, each with `limits {start, end}` (end exclusive), until the
 * answer's `limits.total`. Without a sort Kodi applies the limits in its database query, so a page costs Kodi no
 * more than its rows. Episodes have no `year` property in Kodi's schema (asking for it is "invalid params"): their
 * year is read from `firstaired`.
 */
import { int, listOf, num, obj, optNum, optObj, optStr } from '../shape';
import { KodiCaller, kodiCall } from './playback';
import { providerIds } from '../../core/playback';
import { Obj } from '../../core/values';
import {
  ItemDescription,
  WATCHED_PAGE_SIZE,
  WatchedEntry,
  WatchedPage,
  WatchedPageVisitor,
  pageThrough,
} from '../watched-list';

type KodiWatchedType = 'movie' | 'episode';

const LISTINGS: Record<
  KodiWatchedType,
  { method: string; key: string; idKey: string; properties: string[] }
> = {
  movie: {
    method: 'VideoLibrary.GetMovies',
    key: 'movies',
    idKey: 'movieid',
    properties: ['title', 'file', 'year', 'playcount', 'resume', 'uniqueid'],
  },
  episode: {
    method: 'VideoLibrary.GetEpisodes',
    key: 'episodes',
    idKey: 'episodeid',
    properties: [
      'title',
      'file',
      'firstaired',
      'playcount',
      'resume',
      'uniqueid',
      'showtitle',
      'season',
      'episode',
    ],
  },
};

/**
 * Every movie, then every episode, with its watched state: `visit` gets pages of at most `pageSize` entries, one
 * request per page. A wrong shape in any answer is a PlayerError naming Kodi and the method.
 */
export async function listKodiWatched(
  kodi: KodiCaller,
  visit: WatchedPageVisitor,
  pageSize = WATCHED_PAGE_SIZE,
): Promise<void> {
  for (const type of ['movie', 'episode'] as const) {
    const spec = LISTINGS[type];
    await pageThrough(
      kodi.label,
      spec.method,
      pageSize,
      (start, size) =>
        kodiCall(
          kodi,
          spec.method,
          { properties: spec.properties, limits: { start, end: start + size } },
          (result) => decodePage(type, result),
        ),
      visit,
    );
  }
}

/** A Get<Type>s answer: `{movies: [...], limits: {start, end, total}}` (the list's key absent when it is empty). */
function decodePage(type: KodiWatchedType, result: unknown): WatchedPage {
  const spec = LISTINGS[type];
  const o = obj(result, 'result');
  const limits = optObj(o.limits, 'limits');
  const entries = listOf(o[spec.key], spec.key, (row, where) => toEntry(type, obj(row, where), where));
  const page: WatchedPage = { entries, rows: entries.length };
  const total = limits ? optNum(limits.total, 'limits.total') : undefined;
  if (total !== undefined) page.total = total;
  return page;
}

/**
 * A movie's year (Kodi says 0 for unknown) or, for an episode, the year it first aired (when asked for), its show,
 * season and number (Kodi says -1 for "none").
 */
export function kodiDescription(row: Obj, where: string, type: KodiWatchedType): ItemDescription {
  const d: ItemDescription = {};
  if (type === 'movie') {
    const year = optNum(row.year, `${where}.year`);
    if (year !== undefined && year > 0) d.year = year;
    return d;
  }
  const aired = /^(\d{4})-\d\d-\d\d/.exec(optStr(row.firstaired, `${where}.firstaired`) ?? '');
  if (aired && Number(aired[1]) > 0) d.year = Number(aired[1]);
  const show = optStr(row.showtitle, `${where}.showtitle`);
  if (show) d.show = show;
  const season = optNum(row.season, `${where}.season`);
  if (season !== undefined && season >= 0) d.season = season;
  const episode = optNum(row.episode, `${where}.episode`);
  if (episode !== undefined && episode >= 0) d.episode = episode;
  return d;
}

function toEntry(type: KodiWatchedType, row: Obj, where: string): WatchedEntry {
  const idKey = LISTINGS[type].idKey;
  const playCount = optNum(row.playcount, `${where}.playcount`) ?? 0;
  const resume = optObj(row.resume, `${where}.resume`);
  const entry: WatchedEntry = {
    id: String(int(row[idKey], `${where}.${idKey}`)),
    type,
    title: optStr(row.title, `${where}.title`) ?? optStr(row.label, `${where}.label`) ?? '',
    played: playCount > 0,
    positionS: resume ? num(resume.position, `${where}.resume.position`) : 0,
  };
  const file = optStr(row.file, `${where}.file`);
  if (file) entry.file = file;
  Object.assign(entry, kodiDescription(row, where, type));
  const ids = providerIds(optObj(row.uniqueid, `${where}.uniqueid`));
  if (ids) entry.ids = ids;
  return entry;
}
