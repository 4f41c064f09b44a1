/** Kodi's video library, typed: sources, finding items by path, refresh, remove, scan state. */
import { int, listOf, obj, optNum, optObj, optStr, str } from '../shape';
import { KodiCaller, kodiCall } from './playback';
import { isUnder, splitFile } from '../../core/paths';
import type { SentCall } from '../../core/result';
import { Obj } from '../../core/values';

export type KodiItemType = 'movie' | 'episode' | 'tvshow' | 'musicvideo';
export const KODI_ITEM_TYPES: readonly KodiItemType[] = ['movie', 'episode', 'tvshow', 'musicvideo'];

export interface KodiItem {
  id: number;
  type: KodiItemType;
  title: string;
  /** The video file (for a TV show: its folder). */
  file: string;
  showTitle?: string;
  season?: number;
  episode?: number;
}

export interface KodiSource {
  label: string;
  /** As Kodi has it, with its separator style and trailing separator. */
  file: string;
}

const LIST_METHODS: Record<
  KodiItemType,
  { method: string; key: string; idKey: string; properties: string[] }
> = {
  movie: { method: 'VideoLibrary.GetMovies', key: 'movies', idKey: 'movieid', properties: ['title', 'file'] },
  episode: {
    method: 'VideoLibrary.GetEpisodes',
    key: 'episodes',
    idKey: 'episodeid',
    properties: ['title', 'file', 'showtitle', 'season', 'episode'],
  },
  tvshow: {
    method: 'VideoLibrary.GetTVShows',
    key: 'tvshows',
    idKey: 'tvshowid',
    properties: ['title', 'file'],
  },
  musicvideo: {
    method: 'VideoLibrary.GetMusicVideos',
    key: 'musicvideos',
    idKey: 'musicvideoid',
    properties: ['title', 'file'],
  },
};

const REFRESH_METHODS: Record<KodiItemType, string> = {
  movie: 'VideoLibrary.RefreshMovie',
  episode: 'VideoLibrary.RefreshEpisode',
  tvshow: 'VideoLibrary.RefreshTVShow',
  musicvideo: 'VideoLibrary.RefreshMusicVideo',
};

const REMOVE_METHODS: Record<KodiItemType, string> = {
  movie: 'VideoLibrary.RemoveMovie',
  episode: 'VideoLibrary.RemoveEpisode',
  tvshow: 'VideoLibrary.RemoveTVShow',
  musicvideo: 'VideoLibrary.RemoveMusicVideo',
};

/** The id parameter's name for an item type: movieid, episodeid, tvshowid, musicvideoid. */
export function idParam(type: KodiItemType): string {
  return LIST_METHODS[type].idKey;
}

export async function getVideoSources(kodi: KodiCaller): Promise<KodiSource[]> {
  return kodiCall(kodi, 'Files.GetSources', { media: 'video' }, (res) =>
    listOf(obj(res, 'result').sources, 'sources', (s, where) => {
      const o = obj(s, where);
      return { label: optStr(o.label, `${where}.label`) ?? '', file: str(o.file, `${where}.file`) };
    }),
  );
}

export async function isScanningVideo(kodi: KodiCaller): Promise<boolean> {
  const res = await kodiCall(kodi, 'XBMC.GetInfoBooleans', { booleans: ['Library.IsScanningVideo'] }, (r) =>
    obj(r, 'result'),
  );
  return res['Library.IsScanningVideo'] === true; // absent on an odd Kodi: not scanning
}

interface ListFilter {
  field: string;
  operator: string;
  value: string;
}

/** A path to look up in the library: a file, or a folder (everything in it and below it). */
export interface PathQuery {
  path: string;
  isFile: boolean;
  /** The item types it may hold; all of them when not said. */
  types?: readonly KodiItemType[];
}

/** How many paths one library query names (an `or` of their rules), so that no single query grows large. */
const PATHS_PER_QUERY = 50;

/** Kodi's filter rule for one path and type: the folder and the file's name, or everything under a folder. */
function pathRule(folder: string, name: string, type: KodiItemType): ListFilter | { and: ListFilter[] } {
  if (type === 'tvshow' || !name) return { field: 'path', operator: 'startswith', value: folder };
  return {
    and: [
      { field: 'path', operator: 'is', value: folder },
      { field: 'filename', operator: 'is', value: name },
    ],
  };
}

/**
 * Library items at a player path: a file, or everything in a folder (and below it). The folder comparison is
 * done again here on whole segments, because Kodi's `startswith` is a LIKE that also matches `/Film (1951)2/`.
 */
export async function findItemsByPath(
  kodi: KodiCaller,
  path: string,
  options: { isFile: boolean; types?: readonly KodiItemType[] },
): Promise<KodiItem[]> {
  const [found] = await findItemsByPaths(kodi, [{ path, ...options }]);
  return found;
}

/**
 * The library items at many paths, one list per path in order: one query per item type for up to 50 paths at a
 * time (their rules joined by `or`), matched to each path here.
 */
export async function findItemsByPaths(
  kodi: KodiCaller,
  queries: readonly PathQuery[],
): Promise<KodiItem[][]> {
  const answers: KodiItem[][] = queries.map(() => []);
  for (let from = 0; from < queries.length; from += PATHS_PER_QUERY) {
    const chunk = queries.slice(from, from + PATHS_PER_QUERY).map((q, i) => ({
      ...q,
      index: from + i,
      ...splitFile(q.path, q.isFile),
    }));
    const types = KODI_ITEM_TYPES.filter((t) => chunk.some((q) => (q.types ?? KODI_ITEM_TYPES).includes(t)));
    await Promise.all(
      types.map(async (type) => {
        // A file is never a TV show.
        const asked = chunk.filter(
          (q) => (q.types ?? KODI_ITEM_TYPES).includes(type) && !(type === 'tvshow' && q.name),
        );
        if (asked.length === 0) return;
        const rules = asked.map((q) => pathRule(q.folder, q.name, type));
        const filter = rules.length === 1 ? rules[0] : { or: rules };
        const spec = LIST_METHODS[type];
        const rows = await kodiCall(kodi, spec.method, { properties: spec.properties, filter }, (res) =>
          decodeItems(type, res),
        );
        for (const q of asked) {
          // A file's rule alone is exact (Kodi compares folder and name); among others, its row is the one
          // with its path. A folder's rows are checked on whole segments.
          const mine = rows.filter((item) =>
            q.name ? asked.length === 1 || item.file === q.folder + q.name : isUnder(item.file, q.folder),
          );
          answers[q.index].push(...mine);
        }
      }),
    );
  }
  return answers;
}

/** The TV show whose folder is exactly `folder`, if the library has one. */
export async function findShowByFolder(kodi: KodiCaller, folder: string): Promise<KodiItem | undefined> {
  const spec = LIST_METHODS.tvshow;
  const shows = await kodiCall(
    kodi,
    spec.method,
    { properties: spec.properties, filter: { field: 'path', operator: 'is', value: folder } },
    (res) => decodeItems('tvshow', res),
  );
  return shows[0];
}

/** The rows of a Get<Type>s answer (`{movies: [...]}`; the key is absent when there are none). */
function decodeItems(type: KodiItemType, res: unknown): KodiItem[] {
  const spec = LIST_METHODS[type];
  return listOf(obj(res, 'result')[spec.key], spec.key, (row, where) => toItem(type, obj(row, where), where));
}

function toItem(type: KodiItemType, row: Obj, where: string): KodiItem {
  const idKey = LIST_METHODS[type].idKey;
  const item: KodiItem = {
    id: int(row[idKey], `${where}.${idKey}`),
    type,
    title: optStr(row.title, `${where}.title`) ?? optStr(row.label, `${where}.label`) ?? '',
    file: optStr(row.file, `${where}.file`) ?? '',
  };
  if (type === 'episode') {
    item.showTitle = optStr(row.showtitle, `${where}.showtitle`);
    item.season = optNum(row.season, `${where}.season`);
    item.episode = optNum(row.episode, `${where}.episode`);
  }
  return item;
}

/** A targeted scan of one folder (no dialogs on Kodi's screen). */
export function scanCall(directory: string): SentCall {
  return { method: 'VideoLibrary.Scan', params: { directory, showdialogs: false } };
}

/** A clean of the video (or music) library. */
export function cleanCall(content: 'video' | 'music' | 'tvshows' | 'movies' | 'musicvideos'): SentCall {
  return { method: 'VideoLibrary.Clean', params: { showdialogs: false, content } };
}

/**
 * Lists a folder as Kodi sees it; a listing also refreshes Kodi's directory cache, which a scan of a folder Kodi
 * has not listed yet needs ("does not exist - skipping scan").
 */
export async function listDirectory(kodi: KodiCaller, directory: string): Promise<void> {
  await kodi.call('Files.GetDirectory', { directory, media: 'files' });
}

export function refreshCall(item: KodiItem): SentCall {
  const params: Record<string, unknown> = { [idParam(item.type)]: item.id };
  if (item.type === 'movie' || item.type === 'tvshow') params.ignorenfo = false;
  return { method: REFRESH_METHODS[item.type], params };
}

export function removeCall(item: KodiItem): SentCall {
  return { method: REMOVE_METHODS[item.type], params: { [idParam(item.type)]: item.id } };
}

/** Whether Kodi can reach a file or folder (for clean's dry run and anchors). */
export async function isReachable(kodi: KodiCaller, path: string, isFolder: boolean): Promise<boolean> {
  try {
    if (isFolder) {
      await listDirectory(kodi, path);
      return true;
    }
    // media "files": with "video", Kodi 20 answers for a library item whose file is gone. Right after a file
    // is deleted, Kodi may still answer once from its directory cache, with an empty label: not there.
    const details = await kodiCall(
      kodi,
      'Files.GetFileDetails',
      { file: path, media: 'files', properties: ['size'] },
      (res) => optObj(obj(res, 'result').filedetails, 'filedetails'),
    );
    return typeof details?.label === 'string' && details.label !== '';
  } catch (err) {
    if ((err as { code?: string }).code === 'rpc') return false;
    throw err;
  }
}

/** Every movie, episode and music video with its file: what a clean could remove. */
export async function listAllVideoFiles(kodi: KodiCaller): Promise<KodiItem[]> {
  const lists = await Promise.all(
    (['movie', 'episode', 'musicvideo'] as const).map(async (type) => {
      const spec = LIST_METHODS[type];
      return kodiCall(kodi, spec.method, { properties: spec.properties }, (res) => decodeItems(type, res));
    }),
  );
  return lists.flat();
}
