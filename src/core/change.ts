/**
 * The change vocabulary: what happened to a library path (a change item), how two changes to one folder merge,
 * and how an item is built from untrusted data: from known fields only, each checked, so that what is queued and
 * journaled is plain data. The ground floor: nothing of the players, the domain or Node-RED.
 */
import { hasControlCharacter, parsePath } from './paths';
import { Obj, isObject } from './values';

/** What happened to a library path: the change items of player-sync and the arr webhooks. */
export type ChangeAction = 'added' | 'updated' | 'removed';

export const CHANGE_ACTIONS: readonly ChangeAction[] = ['added', 'updated', 'removed'];

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

/** A change item that cannot be built from what was given; the message names the field and the fix. */
export class ChangeItemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChangeItemError';
  }
}

/** Longest path or file name an item may hold (PATH_MAX on Linux). */
export const MAX_PATH = 4096;
/** Longest title, source or event. */
export const MAX_TEXT = 1000;
/** Most episode numbers in one item or one body. */
export const MAX_EPISODES = 1000;
export const CONTROL_CHARACTER =
  'contains a control character (NUL or a line break): no player can hold such a path';

export const absent = (v: unknown): v is undefined | null => v === undefined || v === null;
export const blank = (v: unknown): boolean => absent(v) || (typeof v === 'string' && v.trim() === '');

/** A string that is not blank and not too long, else undefined (for metadata, where a bad value is left out). */
export const textOf = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' && v.length <= MAX_TEXT ? v : undefined;
/** A finite number, else undefined. */
export const numberOf = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/** `s` with each run of control characters (C0, DEL and C1) replaced by one space (none next to a space). */
export function printable(s: string): string {
  let out = '';
  let gap = false;
  for (const ch of s) {
    const code = ch.charCodeAt(0);
    if (code <= 0x1f || code === 0x7f || (code >= 0x80 && code <= 0x9f)) {
      gap = true;
      continue;
    }
    if (gap && out !== '' && !out.endsWith(' ') && ch !== ' ') out += ' ';
    gap = false;
    out += ch;
  }
  return out;
}

/** A short, safe description of any value for an error message: never throws, never echoes much. */
export function shown(v: unknown): string {
  switch (typeof v) {
    case 'string':
      // JSON.stringify escapes control characters and quotes.
      return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    case 'number':
    case 'boolean':
      return String(v);
    case 'bigint':
      return 'a BigInt';
    case 'undefined':
      return 'nothing';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      if (v === null) return 'null';
      if (Array.isArray(v)) return 'a list';
      if (v instanceof Uint8Array) return 'binary data';
      return 'an object';
  }
}

/** Any error as a ChangeItemError: the last resort for values whose reading throws (getters, proxies). */
export function asChangeItemError(err: unknown, what: string): ChangeItemError {
  if (err instanceof ChangeItemError) return err;
  let detail: string;
  try {
    // A thrown Error's message may be anything when the thrower is hostile.
    const message: unknown = err instanceof Error ? err.message : err;
    detail = typeof message === 'string' ? printable(message).slice(0, 100) : shown(message);
  } catch {
    detail = 'unknown error';
  }
  return new ChangeItemError(
    `${what} could not be read (${detail}): send plain JSON data (objects, lists, strings, numbers)`,
  );
}

export function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function idsOf(imdb: unknown, tmdb: unknown, tvdb: unknown): ChangeItem['ids'] {
  return defined({ imdb: textOf(imdb), tmdb: numberOf(tmdb), tvdb: numberOf(tvdb) });
}

/** Two changes to one folder within the window become one. */
export function mergeActions(first: ChangeAction, then: ChangeAction): ChangeAction {
  if (then === 'removed') return 'removed';
  if (first === 'removed') return 'updated'; // deleted, then there again: an upgrade or a re-import
  if (first === 'added') return 'added';
  return then;
}

/**
 * A plain change item: {path, action} and optional fields, validated. The item is built from the known fields
 * only; anything else in `value` is left behind (it may be circular, a BigInt or a Buffer, and items are journaled
 * as JSON). `null` counts as absent.
 */
export function plainItem(value: unknown, what: string): ChangeItem {
  try {
    return readPlainItem(value, what);
  } catch (err) {
    throw asChangeItemError(err, what);
  }
}

function plainPath(v: unknown, key: 'path' | 'file', what: string): string {
  if (typeof v !== 'string') {
    throw new ChangeItemError(
      `${what} has "${key}" ${shown(v)}: give the library path of the file or folder as a string`,
    );
  }
  if (v.length > MAX_PATH)
    throw new ChangeItemError(`${what} has a "${key}" of ${v.length} characters: give at most ${MAX_PATH}`);
  if (hasControlCharacter(v)) throw new ChangeItemError(`${what} has a "${key}" that ${CONTROL_CHARACTER}`);
  try {
    parsePath(v);
  } catch (err) {
    throw new ChangeItemError(`${what}${key === 'path' ? '' : ` "${key}"`}: ${(err as Error).message}`);
  }
  return v;
}

function plainText(v: Obj, key: 'title' | 'source' | 'event', what: string): string | undefined {
  const x = v[key];
  if (absent(x)) return undefined;
  if (typeof x !== 'string') throw new ChangeItemError(`${what} has "${key}" ${shown(x)}: give a string`);
  if (x.length > MAX_TEXT)
    throw new ChangeItemError(`${what} has a "${key}" of ${x.length} characters: give at most ${MAX_TEXT}`);
  return x;
}

function plainNumber(x: unknown, name: string, what: string): number | undefined {
  if (absent(x)) return undefined;
  if (typeof x !== 'number' || !Number.isFinite(x))
    throw new ChangeItemError(`${what} has "${name}" ${shown(x)}: give a number`);
  return x;
}

function plainEpisodes(x: unknown, what: string): number[] | undefined {
  if (absent(x)) return undefined;
  if (!Array.isArray(x))
    throw new ChangeItemError(
      `${what} has "episodes" ${shown(x)}: give a list of episode numbers such as [1, 2]`,
    );
  const list: unknown[] = x;
  if (list.length > MAX_EPISODES)
    throw new ChangeItemError(`${what} has ${list.length} "episodes": give at most ${MAX_EPISODES}`);
  const out: number[] = [];
  for (let i = 0; i < list.length; i++) {
    const n = list[i];
    if (typeof n !== 'number' || !Number.isFinite(n))
      throw new ChangeItemError(`${what} has "episodes[${i}]" ${shown(n)}: give a number`);
    out.push(n);
  }
  return out;
}

function readPlainItem(value: unknown, what: string): ChangeItem {
  if (!isObject(value)) {
    throw new ChangeItemError(
      `${what} is not an object with a path (it is ${shown(value)}): give {"path": "/library/folder/", ` +
        '"action": "added"}',
    );
  }
  const v = value;
  if (blank(v.path))
    throw new ChangeItemError(`${what} has no "path": give the library path of the file or folder`);
  const path = plainPath(v.path, 'path', what);
  const file = absent(v.file) ? undefined : plainPath(v.file, 'file', what);
  const action = v.action ?? 'added';
  if (typeof action !== 'string' || !(CHANGE_ACTIONS as readonly string[]).includes(action)) {
    throw new ChangeItemError(`${what} has action ${shown(action)}: use ${CHANGE_ACTIONS.join(', ')}`);
  }
  const type = v.type ?? undefined;
  if (type !== undefined && type !== 'movie' && type !== 'episode' && type !== 'tvshow') {
    throw new ChangeItemError(`${what} has type ${shown(type)}: use movie, episode or tvshow`);
  }
  const ids = v.ids;
  if (!absent(ids) && !isObject(ids)) {
    throw new ChangeItemError(
      `${what} has "ids" ${shown(ids)}: give an object such as {"imdb": "tt1375666", "tmdb": 27205}`,
    );
  }
  return defined({
    path,
    file,
    action: action as ChangeAction,
    type,
    // An id of the wrong type is left out: ids only help to find the item, the path is what counts.
    ids: isObject(ids) ? idsOf(ids.imdb, ids.tmdb, ids.tvdb) : {},
    title: plainText(v, 'title', what),
    year: plainNumber(v.year, 'year', what),
    season: plainNumber(v.season, 'season', what),
    episode: plainNumber(v.episode, 'episode', what),
    episodes: plainEpisodes(v.episodes, what),
    source: plainText(v, 'source', what),
    event: plainText(v, 'event', what),
  });
}
