/**
 * Watched-state sync, the domain: what someone's watching changed (played, a resume position, a favourite, a
 * rating), made from watch events or plain messages, and applied to every other player: the user mapped, the item
 * found (by library path through the player's mappings, then by provider ids, then by title and year or show,
 * season and episode), the player's current state read, written only when it differs, and read back to verify.
 * Changes we applied are not echoed back (a cooldown per player, user and item); resume positions are debounced
 * and only move forward unless told otherwise. Knows nothing of Node-RED.
 */
import type { ProviderIds } from '../core/playback';
import type { SentCall } from '../core/result';
import type { WatchedEntry, WatchedPageVisitor } from '../players/watched-list';
import { isObject } from '../core/values';
import { hasControlCharacter } from '../core/paths';

/** The item a change is about, in the library's words (its library path) and the public databases'. */
export interface WatchedItem {
  libraryPath?: string;
  ids?: ProviderIds;
  type?: string;
  title?: string;
  year?: number;
  show?: string;
  season?: number;
  episode?: number;
}

/** What changed for one user and one item; only the fields set are synced. */
export interface WatchedChange {
  /** The player it happened on (its config node id): not written back there. */
  from?: string;
  user?: string;
  item: WatchedItem;
  played?: boolean;
  /** The resume position, in seconds (0 clears it), and the runtime where known. */
  positionS?: number;
  runtimeS?: number;
  favourite?: boolean;
  /** 0–10. */
  rating?: number;
  /** When it happened (ms since the epoch). */
  at: number;
}

/** A user's state of an item on one player, read before a write and after it. */
export interface UserState {
  played: boolean;
  positionS: number;
  favourite?: boolean;
  rating?: number;
}

/** How the item was found on a player ('listing': by its id, from the player's own list, in a reconcile). */
export type MatchRule = 'path' | 'ids' | 'title' | 'listing';

export type WatchedStatus =
  | 'verified' // written, and read back as asked
  | 'already' // the player had it already (nothing written: also what stops a loop)
  | 'not-verified' // written, but reading it back shows something else
  | 'not-found' // the player has no such item (yet)
  | 'skipped' // not for this player: the user is not synced there, a position behind the player's, …
  | 'unsupported' // the player cannot hold this (a resume position on Jellyfin 10.8, a favourite on Kodi)
  | 'failed';

export interface WatchedResult {
  player: string;
  playerType: string;
  status: WatchedStatus;
  /** The user on that player. */
  user?: string;
  rule?: MatchRule;
  /** What was sent, without any secret. */
  sent: SentCall[];
  /** The state read back (or read before, when nothing was written). */
  state?: UserState;
  reason?: string;
  /** Kept for a retry (not found there yet, or the player down): how many tries, and the next; or given up. */
  retry?: { attempts: number; nextAt?: string; gaveUp?: boolean };
}

/** Where a change may go: one player, as the node's glue builds it. */
export interface WatchedTarget {
  /** The config node's id. */
  key: string;
  name: string;
  playerType: string;
  /** The user on this player that a change's user maps to, or why the change is not for this player. */
  userFor(user: string | undefined): Promise<{ user: TargetUser } | { skip: string }>;
  /** The item on this player by its library path (through the player's mappings); undefined when it has none. */
  find(item: WatchedItem): Promise<{ ref: unknown; rule: MatchRule } | undefined>;
  /** What this player cannot hold at all, with why (a favourite on Kodi and Plex): left out of its writes. */
  cannot?: Partial<Record<keyof Wanted, string>>;
  /** A change's values as this player keeps them (Kodi: whole ratings), before they are compared. */
  normalize?(want: Wanted): Wanted;
  /** The item by its title (a movie's title and year, an episode's show, season and number), where it can. */
  findByTitle?(item: WatchedItem): Promise<unknown>;
  read(ref: unknown, user: TargetUser): Promise<UserState>;
  /** The player's reference of an item it listed (by its own id), for a reconcile. */
  refOf(id: string, type: 'movie' | 'episode'): unknown;
  /** The player's whole library, page by page, with this user's watched state (for a reconcile). */
  list(user: TargetUser, visit: WatchedPageVisitor): Promise<void>;
  /** A player path as a library path (its mappings read backwards); undefined when none holds it. */
  toLibrary(file: string): string | undefined;
  /** Writes what differs; returns what it sent. Throws UnsupportedWrite for what the player cannot hold. */
  write(ref: unknown, user: TargetUser, want: Wanted, runtimeS: number | undefined): Promise<SentCall[]>;
}

/** A user on one player: its name as the player has it, and its id there (Jellyfin's user id), if any. */
export interface TargetUser {
  name?: string;
  id?: string;
}

/** What a change asks of a player's state. */
export interface Wanted {
  played?: boolean;
  positionS?: number;
  favourite?: boolean;
  rating?: number;
}

/** A write the player cannot take (a resume position on Jellyfin 10.8, a favourite on Kodi). */
export class UnsupportedWrite extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedWrite';
  }
}

export interface WatchedOptions {
  /** Also move a player's resume position backwards (default: only forward). */
  backwards?: boolean;
}

/** How close two positions must be to count as the same (players round them). */
const SAME_POSITION_S = 2;

/** What of `want` the player does not have yet; positions that would go backwards are dropped unless allowed. */
export function missing(want: Wanted, have: UserState, options: WatchedOptions = {}): Wanted {
  const out: Wanted = {};
  if (want.played !== undefined && want.played !== have.played) out.played = want.played;
  if (want.positionS !== undefined && Math.abs(want.positionS - have.positionS) > SAME_POSITION_S) {
    const forward = want.positionS > have.positionS || want.positionS === 0;
    if (forward || options.backwards) out.positionS = want.positionS;
  }
  if (want.favourite !== undefined && want.favourite !== (have.favourite ?? false))
    out.favourite = want.favourite;
  if (want.rating !== undefined && want.rating !== (have.rating ?? 0)) out.rating = want.rating;
  return out;
}

/** Whether a state read back holds what was written. */
export function holds(want: Wanted, have: UserState): boolean {
  return Object.keys(missing(want, have, { backwards: true })).length === 0;
}

const wantedOf = (change: WatchedChange): Wanted => {
  const want: Wanted = {};
  if (change.played !== undefined) want.played = change.played;
  if (change.positionS !== undefined) want.positionS = change.positionS;
  if (change.favourite !== undefined) want.favourite = change.favourite;
  if (change.rating !== undefined) want.rating = change.rating;
  return want;
};

/** One change to one player: the user mapped, the item found, its state compared, written and read back. */
export async function applyTo(
  target: WatchedTarget,
  change: WatchedChange,
  options: WatchedOptions = {},
): Promise<WatchedResult> {
  const base = { player: target.name, playerType: target.playerType, sent: [] as SentCall[] };
  const who = await target.userFor(change.user);
  if ('skip' in who) return { ...base, status: 'skipped', reason: who.skip };
  const user = who.user;
  const found = await findItem(target, change.item, user);
  if (!found) return { ...base, status: 'not-found', user: user.name, reason: 'no item matches it there' };
  return applyFound(target, found, user, change, options);
}

/** Thrown inside a listing's visit to stop it at the first match. */
class FoundIt extends Error {
  constructor(readonly entry: WatchedEntry) {
    super('found');
  }
}

/**
 * The item on a player: by its library path (through the player's mappings), else by its provider ids (the
 * player's listing searched page by page until one matches, of the same type), else by title (where the player
 * can search by it: Kodi's title and year, or show, season and episode).
 */
export async function findItem(
  target: WatchedTarget,
  item: WatchedItem,
  user: TargetUser,
): Promise<{ ref: unknown; rule: MatchRule } | undefined> {
  const byPath = await target.find(item);
  if (byPath) return byPath;
  const ids = item.ids;
  const hasIds =
    ids !== undefined && (ids.imdb !== undefined || ids.tmdb !== undefined || ids.tvdb !== undefined);
  const sameIds = (e: WatchedEntry): boolean =>
    ids !== undefined &&
    ((ids.imdb !== undefined && e.ids?.imdb === ids.imdb) ||
      (ids.tmdb !== undefined && e.ids?.tmdb === ids.tmdb) ||
      (ids.tvdb !== undefined && e.ids?.tvdb === ids.tvdb));
  // By title from the listing, where the player cannot search by it (Jellyfin, Plex): one match only.
  const titled = !target.findByTitle && titleTest(item);
  if (hasIds || titled) {
    const byTitle: WatchedEntry[] = [];
    try {
      // Movie and episode ids are numbered apart (TMDB, TVDB): an item of no type matches by ids only where one
      // type has them.
      const byIds: WatchedEntry[] = [];
      await target.list(user, (page) => {
        for (const e of page) {
          if (item.type !== undefined && item.type !== e.type) continue;
          if (hasIds && sameIds(e)) {
            if (item.type !== undefined) throw new FoundIt(e);
            if (!byIds.some((x) => x.type === e.type)) byIds.push(e);
          }
          if (titled && titled(e) && byTitle.length < 2) byTitle.push(e);
        }
      });
      if (byIds.length === 1) throw new FoundIt(byIds[0]);
    } catch (err) {
      if (!(err instanceof FoundIt)) throw err;
      return { ref: target.refOf(err.entry.id, err.entry.type), rule: 'ids' };
    }
    if (byTitle.length === 1) {
      const only = byTitle[0];
      return { ref: target.refOf(only.id, only.type), rule: 'title' };
    }
  }
  const byTitle = await target.findByTitle?.(item);
  return byTitle ? { ref: byTitle, rule: 'title' } : undefined;
}

/**
 * How an item is known by its title: an episode by its show, season and number; a movie by its title and year
 * (both needed: two films of one title are told apart by the year). Undefined when the item says too little.
 */
function titleTest(item: WatchedItem): ((e: WatchedEntry) => boolean) | undefined {
  const same = (a: string | undefined, b: string | undefined): boolean =>
    a !== undefined && b !== undefined && a.trim().toLowerCase() === b.trim().toLowerCase();
  if (item.show !== undefined && item.season !== undefined && item.episode !== undefined) {
    return (e) =>
      e.type === 'episode' &&
      same(e.show, item.show) &&
      e.season === item.season &&
      e.episode === item.episode;
  }
  if (item.title !== undefined && item.year !== undefined && item.type !== 'episode') {
    return (e) => e.type === 'movie' && same(e.title, item.title) && e.year === item.year;
  }
  return undefined;
}

/** One change to an item already found on the player (by a lookup, or a listing): compared, written, read back. */
export async function applyFound(
  target: WatchedTarget,
  found: { ref: unknown; rule: MatchRule },
  user: TargetUser,
  change: WatchedChange,
  options: WatchedOptions = {},
): Promise<WatchedResult> {
  const common = {
    player: target.name,
    playerType: target.playerType,
    sent: [] as SentCall[],
    user: user.name,
    rule: found.rule,
  };
  const before = await target.read(found.ref, user);
  // What this player cannot hold is left out (and said); the rest is written.
  const all = target.normalize ? target.normalize(wantedOf(change)) : wantedOf(change);
  const cannot: string[] = [];
  const asked = Object.fromEntries(
    Object.entries(all).filter(([field]) => {
      const why = target.cannot?.[field as keyof Wanted];
      if (why !== undefined) cannot.push(why);
      return why === undefined;
    }),
  ) as Wanted;
  if (Object.keys(asked).length === 0) {
    return { ...common, status: 'unsupported', state: before, reason: cannot.join('; ') };
  }
  const todo = missing(asked, before, options);
  const note = cannot.length > 0 ? { reason: `not synced: ${cannot.join('; ')}` } : {};
  if (Object.keys(todo).length === 0) {
    const behind = change.positionS !== undefined && before.positionS > change.positionS + SAME_POSITION_S;
    return behind && change.played === undefined
      ? { ...common, status: 'skipped', state: before, reason: 'its resume position is further on' }
      : { ...common, status: 'already', state: before, ...note };
  }
  let sent: SentCall[];
  try {
    sent = await target.write(found.ref, user, todo, change.runtimeS);
  } catch (err) {
    if (err instanceof UnsupportedWrite)
      return { ...common, status: 'unsupported', state: before, reason: err.message };
    throw err;
  }
  const after = await target.read(found.ref, user);
  return holds(todo, after)
    ? { ...common, status: 'verified', sent, state: after, ...note }
    : {
        ...common,
        status: 'not-verified',
        sent,
        state: after,
        reason: 'read back, the player holds something else',
      };
}

/** The key of an item for the loop guard and the debounce: its library path, else its ids, else its names. */
export function itemKey(item: WatchedItem): string {
  if (item.libraryPath) return `path:${item.libraryPath}`;
  const ids = item.ids;
  if (ids?.imdb) return `imdb:${ids.imdb}`;
  if (ids?.tmdb) return `tmdb:${ids.tmdb}`;
  if (ids?.tvdb) return `tvdb:${ids.tvdb}`;
  return `title:${item.type ?? ''}:${item.show ?? ''}:${item.season ?? ''}:${item.episode ?? ''}:${item.title ?? ''}:${item.year ?? ''}`;
}

/**
 * What stops a change from bouncing between players: after a change was applied to a player, the same user and
 * item coming back from that player within the cooldown is an echo, not news.
 */
export class EchoGuard {
  private readonly applied = new Map<string, number>();

  constructor(private readonly cooldownMs = 30_000) {}

  /** A change was applied to `player`. */
  remember(player: string, change: WatchedChange, now = Date.now()): void {
    this.prune(now);
    this.applied.set(this.key(player, change), now);
  }

  /** Whether a change from its player is the echo of one we applied there. */
  isEcho(change: WatchedChange, now = Date.now()): boolean {
    if (!change.from) return false;
    const at = this.applied.get(this.key(change.from, change));
    return at !== undefined && now - at < this.cooldownMs;
  }

  private key(player: string, change: WatchedChange): string {
    return `${player}|${(change.user ?? '').toLowerCase()}|${itemKey(change.item)}`;
  }

  private prune(now: number): void {
    if (this.applied.size < 1000) return;
    for (const [key, at] of this.applied) if (now - at >= this.cooldownMs) this.applied.delete(key);
  }
}

/** Resume positions worth keeping: Jellyfin's default window (5 % to 90 %); outside it a play is new or done. */
const RESUME_MIN_PERCENT = 5;
const RESUME_MAX_PERCENT = 90;

/**
 * The change a watch event makes (watch-activity, jellyfin-webhook, plex-webhook): `completed` → played;
 * `progress`, `paused` and `stopped` → the resume position, inside the resume window; the rest → none.
 */
export function changeOfWatchEvent(
  topic: unknown,
  payload: unknown,
  from: string | undefined,
): WatchedChange | undefined {
  if (typeof topic !== 'string' || !isObject(payload) || !isObject(payload.item)) return undefined;
  const item = itemOf(payload.item, 'msg.payload.item');
  const user = optText(payload.user, 'msg.payload.user');
  const base = { from, user, item, at: Date.now() };
  if (topic === 'completed') return { ...base, played: true };
  if (topic !== 'progress' && topic !== 'paused' && topic !== 'stopped') return undefined;
  const positionS = optNumber(payload.positionS, 'msg.payload.positionS');
  const runtimeS = optNumber(payload.runtimeS, 'msg.payload.runtimeS');
  if (positionS === undefined || !runtimeS) return undefined;
  const percent = (positionS / runtimeS) * 100;
  if (percent < RESUME_MIN_PERCENT || percent > RESUME_MAX_PERCENT) return undefined;
  return { ...base, positionS: Math.round(positionS), runtimeS };
}

/** A plain change message: {player?, user?, item | path, played?, position?, favourite?, rating?}. */
export function changeOfMessage(payload: unknown, from: string | undefined): WatchedChange {
  if (!isObject(payload))
    throw new WatchedInputError('msg.payload is not an object: send {item: {path}, played}');
  const item =
    payload.item !== undefined
      ? itemOf(payload.item, 'msg.payload.item')
      : itemOf({ libraryPath: payload.path, ids: payload.ids }, 'msg.payload');
  const change: WatchedChange = {
    from,
    user: optText(payload.user, 'msg.payload.user'),
    item,
    at: Date.now(),
  };
  if (payload.played !== undefined) change.played = bool(payload.played, 'msg.payload.played');
  const position = payload.position ?? payload.positionS;
  if (position !== undefined) change.positionS = nonNegative(position, 'msg.payload.position');
  if (payload.runtimeS !== undefined) change.runtimeS = nonNegative(payload.runtimeS, 'msg.payload.runtimeS');
  if (payload.favourite !== undefined) change.favourite = bool(payload.favourite, 'msg.payload.favourite');
  if (payload.rating !== undefined) {
    const r = nonNegative(payload.rating, 'msg.payload.rating');
    if (r > 10) throw new WatchedInputError('msg.payload.rating must be 0 to 10');
    change.rating = r;
  }
  if (Object.keys(wantedOf(change)).length === 0) {
    throw new WatchedInputError(
      'msg.payload says nothing to sync: set played, position, favourite or rating',
    );
  }
  return change;
}

export class WatchedInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WatchedInputError';
  }
}

function optText(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new WatchedInputError(`${where} must be text`);
  if (value.length > 4096 || hasControlCharacter(value))
    throw new WatchedInputError(`${where} is not a usable name`);
  return value;
}

function optNumber(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new WatchedInputError(`${where} must be a number`);
  return value;
}

function nonNegative(value: unknown, where: string): number {
  const n = optNumber(value, where);
  if (n === undefined || n < 0) throw new WatchedInputError(`${where} must be a number, 0 or more`);
  return n;
}

function bool(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw new WatchedInputError(`${where} must be true or false`);
  return value;
}

/** The item fields used for matching, each checked; at least a library path, ids or a title. */
export function itemOf(value: unknown, where: string): WatchedItem {
  if (!isObject(value)) throw new WatchedInputError(`${where} must be an object`);
  const item: WatchedItem = {
    libraryPath: optText(value.libraryPath ?? value.path, `${where}.libraryPath`),
    type: optText(value.type, `${where}.type`),
    title: optText(value.title, `${where}.title`),
    year: optNumber(value.year, `${where}.year`),
    show: optText(value.show, `${where}.show`),
    season: optNumber(value.season, `${where}.season`),
    episode: optNumber(value.episode, `${where}.episode`),
  };
  if (value.ids !== undefined && value.ids !== null) {
    if (!isObject(value.ids)) throw new WatchedInputError(`${where}.ids must be an object`);
    const ids: ProviderIds = {};
    const imdb = optText(value.ids.imdb, `${where}.ids.imdb`);
    if (imdb) ids.imdb = imdb;
    const tmdb = optNumber(value.ids.tmdb, `${where}.ids.tmdb`);
    if (tmdb !== undefined) ids.tmdb = tmdb;
    const tvdb = optNumber(value.ids.tvdb, `${where}.ids.tvdb`);
    if (tvdb !== undefined) ids.tvdb = tvdb;
    if (Object.keys(ids).length > 0) item.ids = ids;
  }
  if (
    item.libraryPath &&
    !item.libraryPath.startsWith('/') &&
    !/^[a-zA-Z]:[\\/]|^\\\\/.test(item.libraryPath)
  ) {
    throw new WatchedInputError(`${where}.libraryPath must be an absolute library path`);
  }
  if (!item.libraryPath && !item.ids && !item.title) {
    throw new WatchedInputError(`${where} names no item: give its library path, its ids, or its title`);
  }
  return item;
}
