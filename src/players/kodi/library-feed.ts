/**
 * Kodi's video library as a feed (players/library-feed.ts): two sections, Movies (VideoLibrary.GetMovies) and
 * Episodes (VideoLibrary.GetEpisodes), each paged with `limits {start, end}` (end exclusive) until `limits.total`.
 * Kodi's video fields have no "last modified" (asking for one is "invalid params"), so the fingerprint is made of
 * what a change shows in: the file, dateadded, playcount and title, and the year (an episode's show, season and
 * number) that the change messages carry. There is no listing of "changed since": every
 * run goes through the whole library, which on Kodi's local database is cheap.
 */
import { int, listOf, obj, optNum, optObj, optStr } from '../shape';
import { KodiCaller, kodiCall } from './playback';
import type { Obj } from '../../core/values';
import type { FeedPage, LibraryEntry, LibraryFeed, LibrarySection } from '../library-feed';
import { kodiDescription } from './watched-list';

const LISTINGS: Record<
  string,
  {
    type: LibraryEntry['type'];
    method: string;
    key: string;
    idKey: string;
    properties: string[];
    /** Fields the change messages carry, besides the title: part of the fingerprint. */
    described: string[];
  }
> = {
  movies: {
    type: 'movie',
    method: 'VideoLibrary.GetMovies',
    key: 'movies',
    idKey: 'movieid',
    properties: ['title', 'file', 'dateadded', 'playcount', 'year'],
    described: ['year'],
  },
  episodes: {
    type: 'episode',
    method: 'VideoLibrary.GetEpisodes',
    key: 'episodes',
    idKey: 'episodeid',
    properties: ['title', 'file', 'dateadded', 'playcount', 'showtitle', 'season', 'episode'],
    described: ['showtitle', 'season', 'episode'],
  },
};

export function kodiLibraryFeed(kodi: KodiCaller): LibraryFeed {
  const spec = (section: LibrarySection): (typeof LISTINGS)[string] =>
    LISTINGS[section.key] ?? LISTINGS.movies;
  const ask = (section: LibrarySection, start: number, end: number): Promise<FeedPage> =>
    kodiCall(
      kodi,
      spec(section).method,
      { properties: spec(section).properties, limits: { start, end } },
      (result) => decodePage(section, result),
    );
  return {
    label: kodi.label,
    incremental: false,
    sections: () =>
      Promise.resolve([
        { key: 'movies', title: 'Movies' },
        { key: 'episodes', title: 'Episodes' },
      ]),
    async count(section) {
      const page = await ask(section, 0, 1);
      return page.total ?? page.rows;
    },
    page: (section, start, size) => ask(section, start, start + size),
    watermark: () => undefined,
    call: (section) => spec(section).method,
  };
}

/** A Get<Type>s answer: `{movies: [...], limits: {start, end, total}}` (the list's key absent when it is empty). */
function decodePage(section: LibrarySection, result: unknown): FeedPage {
  const spec = LISTINGS[section.key] ?? LISTINGS.movies;
  const o = obj(result, 'result');
  const limits = optObj(o.limits, 'limits');
  const entries = listOf(o[spec.key], spec.key, (row, where) => toEntry(spec, obj(row, where), where));
  const page: FeedPage = { entries, rows: entries.length };
  const total = limits ? optNum(limits.total, 'limits.total') : undefined;
  if (total !== undefined) page.total = total;
  return page;
}

function toEntry(spec: (typeof LISTINGS)[string], row: Obj, where: string): LibraryEntry {
  const title = optStr(row.title, `${where}.title`) ?? optStr(row.label, `${where}.label`) ?? '';
  const file = optStr(row.file, `${where}.file`);
  const entry: LibraryEntry = {
    id: String(int(row[spec.idKey], `${where}.${spec.idKey}`)),
    type: spec.type,
    title,
    fingerprint: [
      file ?? '',
      optStr(row.dateadded, `${where}.dateadded`) ?? '',
      String(optNum(row.playcount, `${where}.playcount`) ?? 0),
      title,
      // What a change message carries: a new year, show, season or episode number is a change too.
      ...spec.described.map((k) => {
        const v = row[k];
        return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
      }),
    ].join('|'),
  };
  if (file) entry.file = file;
  return Object.assign(entry, kodiDescription(row, where, spec.type));
}
