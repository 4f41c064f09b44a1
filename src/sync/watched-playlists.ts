/**
 * Watched-sync's playlists: a user's playlist (a name and its items) made the same on every other player. Each
 * player's library is listed once (page by page) to find the items by library path and then provider ids, the
 * playlist is found by name (any case) or created, the missing items added and the others removed, and the
 * playlist read back. Kodi keeps playlists as files of its profile, with no call to write one: not supported there.
 * The order of the items is not synced. Knows nothing of Node-RED.
 */
import type { SentCall } from '../core/result';
import type { WatchedEntry } from '../players/watched-list';
import type { TargetUser, WatchedItem, WatchedTarget } from './watched';
import { WatchedInputError } from './watched';
import { isObject } from '../core/values';
import { UnsupportedError } from '../players/errors';

export interface PlaylistChange {
  name: string;
  user?: string;
  items: WatchedItem[];
  /** The player it came from: not written back there. */
  from?: string;
}

/** What a player offers for playlists (Jellyfin's and Plex's; Kodi has none). */
export interface PlaylistAccess {
  find(user: TargetUser, name: string): Promise<string | undefined>;
  create(
    user: TargetUser,
    name: string,
    ids: string[],
  ): Promise<{ id: string; sent: SentCall; more?: SentCall[] }>;
  entries(user: TargetUser, playlist: string): Promise<{ itemId: string; entryId: string }[]>;
  add(user: TargetUser, playlist: string, ids: string[]): Promise<SentCall[]>;
  remove(user: TargetUser, playlist: string, entryIds: string[]): Promise<SentCall[]>;
}

export interface PlaylistResult {
  player: string;
  playerType: string;
  status: 'verified' | 'already' | 'not-verified' | 'unsupported' | 'skipped' | 'failed';
  user?: string;
  /** Items added and entries removed. */
  added: number;
  removed: number;
  /** Items of the playlist this player does not have (not added). */
  missing: WatchedItem[];
  sent: SentCall[];
  reason?: string;
}

const pathKey = (p: string): string => p.replace(/\\/g, '/').toLowerCase();
const idKeys = (ids: WatchedItem['ids']): string[] =>
  [ids?.imdb && `imdb:${ids.imdb}`, ids?.tmdb && `tmdb:${ids.tmdb}`, ids?.tvdb && `tvdb:${ids.tvdb}`].filter(
    (k): k is string => typeof k === 'string',
  );

/**
 * The player's own ids of `items`, in order (undefined where it has none), from one listing of its library:
 * matched by library path, then by provider ids.
 */
async function idsOnPlayer(
  target: WatchedTarget,
  user: TargetUser,
  items: readonly WatchedItem[],
): Promise<(string | undefined)[]> {
  const wantedPaths = new Map<string, number[]>();
  const wantedIds = new Map<string, number[]>();
  const push = (map: Map<string, number[]>, key: string, i: number): void => {
    map.set(key, [...(map.get(key) ?? []), i]);
  };
  items.forEach((item, i) => {
    if (item.libraryPath) push(wantedPaths, pathKey(item.libraryPath), i);
    for (const k of idKeys(item.ids)) push(wantedIds, k, i);
  });
  const byPath: (string | undefined)[] = items.map(() => undefined);
  const byIds: (string | undefined)[] = items.map(() => undefined);
  await target.list(user, (page: WatchedEntry[]) => {
    for (const e of page) {
      const lib = e.file === undefined ? undefined : target.toLibrary(e.file);
      for (const i of lib ? (wantedPaths.get(pathKey(lib)) ?? []) : []) byPath[i] ??= e.id;
      for (const k of idKeys(e.ids)) {
        // Movie and episode ids are numbered apart: an id matches an item of the same type (a movie if none).
        for (const i of wantedIds.get(k) ?? []) if ((items[i].type ?? 'movie') === e.type) byIds[i] ??= e.id;
      }
    }
  });
  return items.map((_, i) => byPath[i] ?? byIds[i]);
}

/** One playlist made the same on one player. */
export async function syncPlaylist(
  target: WatchedTarget,
  access: PlaylistAccess | undefined,
  change: PlaylistChange,
): Promise<PlaylistResult> {
  const base = {
    player: target.name,
    playerType: target.playerType,
    added: 0,
    removed: 0,
    missing: [],
    sent: [],
  };
  if (!access) {
    return { ...base, status: 'unsupported', reason: `${target.name} has no playlists that can be written` };
  }
  const who = await target.userFor(change.user);
  if ('skip' in who) return { ...base, status: 'skipped', reason: who.skip };
  const user = who.user;
  const found = await idsOnPlayer(target, user, change.items);
  const missing = change.items.filter((_, i) => found[i] === undefined);
  const wanted = [...new Set(found.filter((id): id is string => id !== undefined))];
  const sent: SentCall[] = [];
  let id = await access.find(user, change.name);
  let added: number;
  let removed = 0;
  let cannotRemove: string | undefined;
  if (id === undefined) {
    const made = await access.create(user, change.name, wanted);
    id = made.id;
    sent.push(made.sent, ...(made.more ?? []));
    added = wanted.length;
  } else {
    const entries = await access.entries(user, id);
    const have = new Set(entries.map((e) => e.itemId));
    const want = new Set(wanted);
    const toAdd = wanted.filter((x) => !have.has(x));
    const toRemove = entries.filter((e) => !want.has(e.itemId)).map((e) => e.entryId);
    if (toAdd.length > 0) sent.push(...(await access.add(user, id, toAdd)));
    if (toRemove.length > 0) {
      try {
        sent.push(...(await access.remove(user, id, toRemove)));
      } catch (err) {
        // Jellyfin 10.9 and 10.10 do not let an API key take items out of a playlist: said, not a failure.
        if (!(err instanceof UnsupportedError)) throw err;
        cannotRemove = err.message;
      }
    }
    added = toAdd.length;
    removed = cannotRemove === undefined ? toRemove.length : 0;
  }
  const after = new Set((await access.entries(user, id)).map((e) => e.itemId));
  const holds = after.size === new Set(wanted).size && wanted.every((x) => after.has(x));
  const common = { ...base, user: user.name, added, removed, missing, sent };
  if (!holds) {
    return {
      ...common,
      status: 'not-verified',
      reason: cannotRemove ?? 'read back, the playlist holds other items',
    };
  }
  return { ...common, status: sent.length === 0 ? 'already' : 'verified' };
}

/** A playlist message: {name, user?, items: [item | {path}]} (the items checked as watched-sync's items). */
export function playlistOf(
  payload: unknown,
  from: string | undefined,
  itemOf: (v: unknown, where: string) => WatchedItem,
): PlaylistChange {
  if (!isObject(payload))
    throw new WatchedInputError('msg.payload is not an object: send {name, items: [{path}]}');
  const { name, user, items } = payload;
  if (typeof name !== 'string' || name.trim() === '' || name.length > 500) {
    throw new WatchedInputError('msg.payload.name must be the playlist\u2019s name');
  }
  if (user !== undefined && typeof user !== 'string')
    throw new WatchedInputError('msg.payload.user must be text');
  if (!Array.isArray(items)) throw new WatchedInputError('msg.payload.items must be a list of items');
  if (items.length > 5000) throw new WatchedInputError('msg.payload.items holds more than 5000 items');
  return {
    name: name.trim(),
    user: user,
    from,
    items: (items as unknown[]).map((v, i) =>
      itemOf(typeof v === 'string' ? { libraryPath: v } : v, `msg.payload.items[${i}]`),
    ),
  };
}
