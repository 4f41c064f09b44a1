/**
 * Radarr and Sonarr webhook bodies → change items (../shared/reference/webhooks.md). Only Download, Rename and
 * the *Delete events touch library files; the others are "ignored", and Test is "test".
 */
import { folderOf, parsePath } from './path-mapping';
import { CHANGE_ACTIONS, ChangeAction } from './result';

export type MediaType = 'movie' | 'episode' | 'tvshow';

export interface ChangeItem {
  /** The library folder that changed. */
  path: string;
  /** The file, when the event names one (episode removals act on the file, not the season folder). */
  file?: string;
  action: ChangeAction;
  type?: MediaType;
  ids: { imdb?: string; tmdb?: number; tvdb?: number };
  title?: string;
  year?: number;
  season?: number;
  episode?: number;
  episodes?: number[];
  /** The *arr instance and event it came from. */
  source?: string;
  event?: string;
}

export type ArrOutcome =
  | { result: 'changes'; items: ChangeItem[] }
  | { result: 'ignored' | 'test'; eventType: string; source?: string; reason: string };

export class ArrEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArrEventError';
  }
}

const NO_FILES = new Set([
  'Grab',
  'Health',
  'HealthRestored',
  'ApplicationUpdate',
  'MovieAdded',
  'SeriesAdd',
  'ManualInteractionRequired',
]);

interface ArrMovie {
  title?: string;
  year?: number;
  folderPath?: string;
  tmdbId?: number;
  imdbId?: string;
}
interface ArrSeries {
  title?: string;
  year?: number;
  path?: string;
  tvdbId?: number;
  tmdbId?: number;
  imdbId?: string;
}
interface ArrFile {
  path?: string;
  previousPath?: string;
}
interface ArrEpisode {
  seasonNumber?: number;
  episodeNumber?: number;
}
interface ArrBody {
  eventType?: unknown;
  instanceName?: string;
  movie?: ArrMovie;
  series?: ArrSeries;
  movieFile?: ArrFile;
  episodeFile?: ArrFile;
  episodeFiles?: ArrFile[];
  episodes?: ArrEpisode[];
  renamedMovieFiles?: ArrFile[];
  renamedEpisodeFiles?: ArrFile[];
  isUpgrade?: boolean;
  deleteReason?: string;
  destinationPath?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/** A body as it arrives: an object, or JSON in a string (a webhook posted as text/plain). */
export function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new ArrEventError(
      `the body is text but not JSON (starts with "${body.trim().slice(0, 30)}"): send the webhook's JSON body`,
    );
  }
}

/** Turns one webhook body, or plain {path, action} items, into change items. */
export function arrToChanges(raw: unknown): ArrOutcome {
  const body = parseBody(raw);
  if (Array.isArray(body))
    return { result: 'changes', items: body.map((b, i) => plainItem(b, `item ${i + 1}`)) };
  if (body === null || typeof body !== 'object') {
    throw new ArrEventError(
      `expected a Radarr/Sonarr webhook body or {path, action}, not ${JSON.stringify(body)}`,
    );
  }
  const b = body as ArrBody;
  if (b.eventType === undefined) return { result: 'changes', items: [plainItem(body, 'the item')] };
  if (typeof b.eventType !== 'string')
    throw new ArrEventError('"eventType" must be a string such as "Download"');
  const eventType = b.eventType;
  const source = b.instanceName;
  if (eventType === 'Test') {
    return {
      result: 'test',
      eventType,
      source,
      reason: `test event from ${source ?? 'an *arr app'}: nothing to sync`,
    };
  }
  if (NO_FILES.has(eventType)) {
    return { result: 'ignored', eventType, source, reason: `${eventType} touches no library files` };
  }
  const items = changesOf(eventType, b);
  if (items.length === 0) {
    throw new ArrEventError(
      `${eventType} from ${source ?? 'an *arr app'} has no file or folder path in its body`,
    );
  }
  return { result: 'changes', items: dedupe(items) };
}

function changesOf(eventType: string, b: ArrBody): ChangeItem[] {
  const source = b.instanceName;
  const base = { source, event: eventType };
  const movie = (): Omit<ChangeItem, 'path' | 'action'> => ({
    ...base,
    type: 'movie',
    ids: { imdb: b.movie?.imdbId, tmdb: b.movie?.tmdbId },
    title: b.movie?.title,
    year: b.movie?.year,
  });
  const series = (type: MediaType): Omit<ChangeItem, 'path' | 'action'> => {
    const episodes = (b.episodes ?? [])
      .map((e) => e.episodeNumber)
      .filter((n): n is number => n !== undefined);
    return {
      ...base,
      type,
      ids: { imdb: b.series?.imdbId, tmdb: b.series?.tmdbId, tvdb: b.series?.tvdbId },
      title: b.series?.title,
      year: b.series?.year,
      ...(type === 'episode' && b.episodes?.length
        ? { season: b.episodes[0].seasonNumber, episode: episodes[0], episodes }
        : {}),
    };
  };
  const fileItem = (
    file: string | undefined,
    action: ChangeAction,
    meta: Omit<ChangeItem, 'path' | 'action'>,
  ): ChangeItem[] => (file ? [{ ...meta, path: folderOf(file), file, action }] : []);
  const folderItem = (
    folder: string | undefined,
    action: ChangeAction,
    meta: Omit<ChangeItem, 'path' | 'action'>,
  ): ChangeItem[] =>
    folder ? [{ ...meta, path: folderOf(folder + (/[\\/]$/.test(folder) ? '' : '/')), action }] : [];

  switch (eventType) {
    case 'Download': {
      const action: ChangeAction = b.isUpgrade ? 'updated' : 'added';
      if (b.movie) {
        const file = str(b.movieFile?.path);
        return file ? fileItem(file, action, movie()) : folderItem(str(b.movie.folderPath), action, movie());
      }
      // Sonarr "On Import Complete": one body for many files, episodeFiles[] and no episodeFile.
      const files = b.episodeFiles?.map((f) => str(f.path)).filter((f): f is string => f !== undefined) ?? [];
      if (files.length > 0) return files.flatMap((f) => fileItem(f, action, series('episode')));
      return fileItem(str(b.episodeFile?.path), action, series('episode'));
    }
    case 'Rename': {
      const renamed = b.movie ? b.renamedMovieFiles : b.renamedEpisodeFiles;
      const meta = b.movie ? movie() : series('episode');
      return (renamed ?? []).flatMap((f) => {
        const now = str(f.path);
        const before = str(f.previousPath);
        const items = fileItem(now, 'updated', meta);
        // A file that moved to another folder leaves its old folder: that one loses the item.
        if (before && now && folderOf(before) !== folderOf(now))
          items.push(...fileItem(before, 'removed', meta));
        return items;
      });
    }
    case 'MovieDelete':
      return folderItem(str(b.movie?.folderPath), 'removed', movie());
    case 'SeriesDelete':
      return folderItem(str(b.series?.path), 'removed', series('tvshow'));
    case 'MovieFileDelete':
      // A file deleted for an upgrade is followed by the Download of the new one: that is an update.
      return fileItem(str(b.movieFile?.path), b.deleteReason === 'upgrade' ? 'updated' : 'removed', movie());
    case 'EpisodeFileDelete':
      return fileItem(
        str(b.episodeFile?.path),
        b.deleteReason === 'upgrade' ? 'updated' : 'removed',
        series('episode'),
      );
    default:
      throw new ArrEventError(
        `unknown event type "${eventType}": arr-event understands Download, Rename, MovieDelete, MovieFileDelete, ` +
          'SeriesDelete, EpisodeFileDelete and Test (and ignores Grab, Health and the like)',
      );
  }
}

/** One item per folder and action: a multi-episode file or a season pack lists each folder once. */
function dedupe(items: ChangeItem[]): ChangeItem[] {
  const seen = new Map<string, ChangeItem>();
  for (const item of items) {
    const key = `${item.action} ${item.action === 'removed' && item.file ? item.file : item.path}`;
    const earlier = seen.get(key);
    if (!earlier) seen.set(key, item);
    else if (item.episodes) earlier.episodes = [...new Set([...(earlier.episodes ?? []), ...item.episodes])];
  }
  return [...seen.values()];
}

/** A plain change item: {path, action} and optional fields, validated. */
export function plainItem(value: unknown, what: string): ChangeItem {
  if (value === null || typeof value !== 'object')
    throw new ArrEventError(`${what} is not an object with a path`);
  const v = value as Record<string, unknown>;
  const path = str(v.path);
  if (!path) throw new ArrEventError(`${what} has no "path": give the library path of the file or folder`);
  try {
    parsePath(path);
  } catch (err) {
    throw new ArrEventError(`${what}: ${(err as Error).message}`);
  }
  const action = v.action ?? 'added';
  if (typeof action !== 'string' || !(CHANGE_ACTIONS as readonly string[]).includes(action)) {
    throw new ArrEventError(`${what} has action ${JSON.stringify(action)}: use ${CHANGE_ACTIONS.join(', ')}`);
  }
  const type = v.type;
  if (type !== undefined && type !== 'movie' && type !== 'episode' && type !== 'tvshow') {
    throw new ArrEventError(`${what} has type ${JSON.stringify(type)}: use movie, episode or tvshow`);
  }
  return {
    ...(v as Partial<ChangeItem>),
    path,
    action: action as ChangeAction,
    type,
    ids: (v.ids as ChangeItem['ids'] | undefined) ?? {},
  };
}
