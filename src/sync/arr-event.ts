/**
 * Radarr and Sonarr webhook bodies → change items (../shared/reference/webhooks.md). Only Download, Rename and
 * the *Delete events touch library files; the others are "ignored", and Test is "test".
 *
 * Bodies are untrusted: every problem ends in an ArrEventError that names the field and says what to send instead.
 * Items are built from known, type-checked fields only, so that what reaches the journal is plain JSON.
 */
import { folderOf, hasControlCharacter, parsePath } from '../core/paths';
import {
  CONTROL_CHARACTER,
  ChangeAction,
  ChangeItem,
  ChangeItemError,
  MAX_EPISODES,
  MAX_PATH,
  MediaType,
  asChangeItemError,
  blank,
  defined,
  idsOf,
  numberOf,
  plainItem,
  printable,
  shown,
  textOf,
} from '../core/change';
import { isObject, Obj } from '../core/values';

export type ArrOutcome =
  | { result: 'changes'; items: ChangeItem[] }
  | { result: 'ignored' | 'test'; eventType: string; source?: string; reason: string };

export class ArrEventError extends ChangeItemError {
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
const FILE_EVENTS = new Set([
  'Download',
  'Rename',
  'MovieDelete',
  'SeriesDelete',
  'MovieFileDelete',
  'EpisodeFileDelete',
]);

type Meta = Omit<ChangeItem, 'path' | 'action'>;

/** A body after its shape was checked: objects are objects, lists are lists of objects. */
interface ArrBody {
  eventType: string;
  source?: string;
  movie?: Obj;
  series?: Obj;
  movieFile?: Obj;
  episodeFile?: Obj;
  episodeFiles?: Obj[];
  episodes?: Obj[];
  renamedMovieFiles?: Obj[];
  renamedEpisodeFiles?: Obj[];
  isUpgrade: boolean;
  deleteReason?: unknown;
}

/** Any error as an ArrEventError: the last resort for bodies whose reading throws (getters, proxies). */
function asArrEventError(err: unknown, what: string): ArrEventError {
  if (err instanceof ArrEventError) return err;
  // A change item's own error (from plainItem), or the last resort for a body whose reading throws.
  return new ArrEventError(asChangeItemError(err, what).message);
}

/** A body as it arrives: an object, or JSON in a string (a webhook posted as text/plain). */
export function parseBody(body: unknown): unknown {
  if (body instanceof Uint8Array) {
    throw new ArrEventError(
      'the body is binary data (a Buffer): send the webhook\'s JSON body as an object or a string (an "http in" ' +
        'node parses application/json bodies by itself)',
    );
  }
  if (typeof body !== 'string') return body;
  if (body.trim() === '') throw new ArrEventError("the body is empty text: send the webhook's JSON body");
  try {
    return JSON.parse(body) as unknown;
  } catch {
    const start = printable(body.slice(0, 200)).trim().slice(0, 30);
    throw new ArrEventError(
      `the body is text but not JSON (starts with "${start}"): send the webhook's JSON body`,
    );
  }
}

/** Turns one webhook body, or plain {path, action} items, into change items. */
export function arrToChanges(raw: unknown): ArrOutcome {
  try {
    return toChanges(raw);
  } catch (err) {
    throw asArrEventError(err, 'the body');
  }
}

function toChanges(raw: unknown): ArrOutcome {
  const body = parseBody(raw);
  if (Array.isArray(body)) {
    const items: ChangeItem[] = [];
    // A loop, not map(): map() skips the holes of a sparse array, which would leave holes among the items.
    for (let i = 0; i < body.length; i++) items.push(plainItem(body[i], `item ${i + 1}`));
    return { result: 'changes', items };
  }
  if (!isObject(body)) {
    throw new ArrEventError(
      `expected a Radarr/Sonarr webhook body or {path, action}, not ${shown(body)}: send the webhook's JSON ` +
        'body, or {"path": "/library/folder/", "action": "added"}',
    );
  }
  if (body.eventType === undefined) return { result: 'changes', items: [plainItem(body, 'the item')] };
  if (typeof body.eventType !== 'string')
    throw new ArrEventError('"eventType" must be a string such as "Download"');
  const eventType = body.eventType;
  const source = textOf(body.instanceName);
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
  if (!FILE_EVENTS.has(eventType)) {
    throw new ArrEventError(
      `unknown event type ${shown(eventType)}: arr-event understands Download, Rename, MovieDelete, ` +
        'MovieFileDelete, SeriesDelete, EpisodeFileDelete and Test (and ignores Grab, Health and the like)',
    );
  }
  const items = changesOf(readBody(body, eventType, source));
  if (items.length === 0) {
    throw new ArrEventError(
      `${eventType} from ${source ?? 'an *arr app'} has no file or folder path in its body: send ` +
        '"movieFile.path" or "movie.folderPath" (Radarr), "episodeFile.path" or "series.path" (Sonarr)',
    );
  }
  return { result: 'changes', items: dedupe(items) };
}

const OBJECT_EXAMPLES: Record<string, string> = {
  movie: '{"title": "Inception", "folderPath": "/movies/Inception (2010)"}',
  series: '{"title": "Severance", "path": "/tv/Severance"}',
  movieFile: '{"path": "/movies/Inception (2010)/Inception (2010).mkv"}',
  episodeFile: '{"path": "/tv/Severance/Season 01/Severance - S01E01.mkv"}',
};
const LIST_EXAMPLES: Record<string, string> = {
  episodes: '{"seasonNumber": 1, "episodeNumber": 1}',
  episodeFiles: '{"path": "/tv/Severance/Season 01/Severance - S01E01.mkv"}',
  renamedMovieFiles: '{"previousPath": "…", "path": "…"}',
  renamedEpisodeFiles: '{"previousPath": "…", "path": "…"}',
};

function objectField(body: Obj, key: string): Obj | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (!isObject(v))
    throw new ArrEventError(`"${key}" must be an object such as ${OBJECT_EXAMPLES[key]}, not ${shown(v)}`);
  return v;
}

function listField(body: Obj, key: string): Obj[] | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  const example = LIST_EXAMPLES[key];
  if (!Array.isArray(v))
    throw new ArrEventError(`"${key}" must be a list, not ${shown(v)}: send [${example}, …]`);
  const list: unknown[] = v;
  if (key === 'episodes' && list.length > MAX_EPISODES)
    throw new ArrEventError(`"episodes" has ${list.length} entries: send at most ${MAX_EPISODES}`);
  const out: Obj[] = [];
  for (let i = 0; i < list.length; i++) {
    const element = list[i];
    if (!isObject(element))
      throw new ArrEventError(`"${key}[${i}]" must be an object such as ${example}, not ${shown(element)}`);
    out.push(element);
  }
  return out;
}

function readBody(body: Obj, eventType: string, source: string | undefined): ArrBody {
  return {
    eventType,
    source,
    movie: objectField(body, 'movie'),
    series: objectField(body, 'series'),
    movieFile: objectField(body, 'movieFile'),
    episodeFile: objectField(body, 'episodeFile'),
    episodeFiles: listField(body, 'episodeFiles'),
    episodes: listField(body, 'episodes'),
    renamedMovieFiles: listField(body, 'renamedMovieFiles'),
    renamedEpisodeFiles: listField(body, 'renamedEpisodeFiles'),
    // Only a real true is an upgrade: "false" or 1 are not.
    isUpgrade: body.isUpgrade === true,
    deleteReason: body.deleteReason,
  };
}

/** Checks a path from a body: bounded, free of control characters, absolute, without "..". */
function checkedArrPath(path: string, name: string): string {
  if (path.length > MAX_PATH)
    throw new ArrEventError(`${name} is ${path.length} characters long: send a path of at most ${MAX_PATH}`);
  if (hasControlCharacter(path)) throw new ArrEventError(`${name} ${CONTROL_CHARACTER}`);
  try {
    parsePath(path);
  } catch (err) {
    throw new ArrEventError(`${name}: ${(err as Error).message}`);
  }
  return path;
}

/** The path in `owner[key]`, checked; undefined when it is missing or blank. */
function pathField(owner: Obj | undefined, key: string, name: string): string | undefined {
  const v = owner?.[key];
  if (blank(v)) return undefined;
  if (typeof v !== 'string')
    throw new ArrEventError(`"${name}" must be a string, not ${shown(v)}: send the absolute path`);
  return checkedArrPath(v, `"${name}"`);
}

/** The separator a path is written with: backslash for C:\… and \\server\…, else a slash. */
function separatorOf(base: string): '/' | '\\' {
  if (/^[a-zA-Z]:\//.test(base)) return '/';
  return /^[a-zA-Z]:/.test(base) || base.startsWith('\\\\') ? '\\' : '/';
}

/**
 * `base` + `relative` (a file's `relativePath` under the movie or series folder), in the base's separator style.
 * Refuses a relative path that is absolute or climbs out with "..".
 */
function joinedPath(
  base: string,
  baseName: string,
  relative: unknown,
  relativeName: string,
): string | undefined {
  if (blank(relative)) return undefined;
  if (typeof relative !== 'string') {
    throw new ArrEventError(
      `"${relativeName}" must be a string, not ${shown(relative)}: send the file's path relative to "${baseName}"`,
    );
  }
  if (relative.length > MAX_PATH) {
    throw new ArrEventError(
      `"${relativeName}" is ${relative.length} characters long: send a path of at most ${MAX_PATH}`,
    );
  }
  if (hasControlCharacter(relative)) throw new ArrEventError(`"${relativeName}" ${CONTROL_CHARACTER}`);
  if (
    /^[\\/]/.test(relative) ||
    /^[a-zA-Z]:/.test(relative) ||
    /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(relative)
  ) {
    throw new ArrEventError(
      `"${relativeName}" ${shown(relative)} is absolute: send a path relative to "${baseName}", ` +
        `or the whole path as "${relativeName.replace(/relativePath$/, 'path')}"`,
    );
  }
  const segments = relative.split(/[\\/]/).filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) {
    throw new ArrEventError(
      `"${relativeName}" ${shown(relative)} contains a ".." segment: send a path inside "${baseName}" without ".."`,
    );
  }
  if (segments.length === 0) return undefined;
  const separator = separatorOf(base);
  let end = base.length;
  while (end > 0 && (base[end - 1] === '/' || base[end - 1] === '\\')) end--;
  return checkedArrPath(
    base.slice(0, end) + separator + segments.join(separator),
    `the path built from "${baseName}" and "${relativeName}"`,
  );
}

/** A file's path: its `path`, else its `relativePath` under the folder `base()` gives. */
function fileField(
  file: Obj | undefined,
  name: string,
  base: () => string | undefined,
  baseName: string,
): string | undefined {
  if (!file) return undefined;
  const path = pathField(file, 'path', `${name}.path`);
  if (path !== undefined || blank(file.relativePath)) return path;
  const folder = base();
  return folder === undefined
    ? undefined
    : joinedPath(folder, baseName, file.relativePath, `${name}.relativePath`);
}

function changesOf(b: ArrBody): ChangeItem[] {
  const { eventType, source } = b;
  const base = { source, event: eventType };
  const movie = (): Meta => {
    const m = b.movie ?? {};
    return defined({
      ...base,
      type: 'movie' as const,
      ids: idsOf(m.imdbId, m.tmdbId, undefined),
      title: textOf(m.title),
      year: numberOf(m.year),
    });
  };
  const series = (type: MediaType): Meta => {
    const s = b.series ?? {};
    const episodes = b.episodes ?? [];
    const numbers = episodes
      .map((e) => numberOf(e.episodeNumber))
      .filter((n): n is number => n !== undefined);
    return defined({
      ...base,
      type,
      ids: idsOf(s.imdbId, s.tmdbId, s.tvdbId),
      title: textOf(s.title),
      year: numberOf(s.year),
      ...(type === 'episode' && episodes.length > 0
        ? {
            season: numberOf(episodes[0].seasonNumber),
            episode: numbers.at(0),
            episodes: numbers.length > 0 ? numbers : undefined,
          }
        : {}),
    });
  };
  const itemPath = (path: string, name: string): string => checkedArrPath(folderOf(path), name);
  const fileItem = (
    file: string | undefined,
    action: ChangeAction,
    meta: Meta,
    name: string,
  ): ChangeItem[] => (file ? [{ ...meta, path: itemPath(file, `the folder of ${name}`), file, action }] : []);
  const folderItem = (
    folder: string | undefined,
    action: ChangeAction,
    meta: Meta,
    name: string,
  ): ChangeItem[] =>
    folder
      ? [
          {
            ...meta,
            path: itemPath(folder + (/[\\/]$/.test(folder) ? '' : '/'), `the folder of ${name}`),
            action,
          },
        ]
      : [];
  const movieFolder = (): string | undefined => pathField(b.movie, 'folderPath', 'movie.folderPath');
  const seriesFolder = (): string | undefined => pathField(b.series, 'path', 'series.path');
  const movieFile = (): string | undefined =>
    fileField(b.movieFile, 'movieFile', movieFolder, 'movie.folderPath');
  const episodeFile = (): string | undefined =>
    fileField(b.episodeFile, 'episodeFile', seriesFolder, 'series.path');
  const fileDeleteAction: ChangeAction = b.deleteReason === 'upgrade' ? 'updated' : 'removed';

  switch (eventType) {
    case 'Download': {
      const action: ChangeAction = b.isUpgrade ? 'updated' : 'added';
      if (b.movie) {
        const file = movieFile();
        return file
          ? fileItem(file, action, movie(), '"movieFile"')
          : folderItem(movieFolder(), action, movie(), '"movie.folderPath"');
      }
      // Sonarr "On Import Complete": one body for many files, episodeFiles[] and no episodeFile.
      const files = (b.episodeFiles ?? []).flatMap((f, i) => {
        const name = `episodeFiles[${i}]`;
        const file = fileField(f, name, seriesFolder, 'series.path');
        return file === undefined ? [] : [{ file, name }];
      });
      if (files.length > 0)
        return files.flatMap(({ file, name }) => fileItem(file, action, series('episode'), `"${name}"`));
      return fileItem(episodeFile(), action, series('episode'), '"episodeFile"');
    }
    case 'Rename': {
      const key = b.movie ? 'renamedMovieFiles' : 'renamedEpisodeFiles';
      const renamed = b.movie ? b.renamedMovieFiles : b.renamedEpisodeFiles;
      const meta = b.movie ? movie() : series('episode');
      return (renamed ?? []).flatMap((f, i) => {
        const name = `${key}[${i}]`;
        const now = pathField(f, 'path', `${name}.path`);
        const before = pathField(f, 'previousPath', `${name}.previousPath`);
        const items = fileItem(now, 'updated', meta, `"${name}.path"`);
        // A file that moved to another folder leaves its old folder: that one loses the item.
        if (before && now && folderOf(before) !== folderOf(now))
          items.push(...fileItem(before, 'removed', meta, `"${name}.previousPath"`));
        return items;
      });
    }
    case 'MovieDelete':
      return folderItem(movieFolder(), 'removed', movie(), '"movie.folderPath"');
    case 'SeriesDelete':
      return folderItem(seriesFolder(), 'removed', series('tvshow'), '"series.path"');
    case 'MovieFileDelete':
      // A file deleted for an upgrade is followed by the Download of the new one: that is an update.
      return fileItem(movieFile(), fileDeleteAction, movie(), '"movieFile"');
    case 'EpisodeFileDelete':
      return fileItem(episodeFile(), fileDeleteAction, series('episode'), '"episodeFile"');
    default:
      // toChanges() lets only FILE_EVENTS through.
      return [];
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
