/**
 * The players watched-sync writes to, one WatchedTarget per kind: how each maps a user, finds an item (library path
 * through its mappings first, then ids, then title), reads a user's state of it and writes what differs.
 *
 * Users. Jellyfin has users: a change's user is matched by name (any case) after the node's user table, and only
 * the users listed for that player are synced (all when none are listed). Kodi (its loaded profile) and Plex (the
 * token's owner) are one user each: the name set for that player, and changes of other users are not theirs; with
 * no name set, every change is theirs.
 */
import type { KodiConnection } from '../players/kodi/connection';
import { PlayerError, UnsupportedError as PlayerUnsupported } from '../players/errors';
import { KodiItem, findItemsByPath } from '../players/kodi/library';
import { kodiCall } from '../players/kodi/playback';
import { listOf, num, obj } from '../players/shape';
import { getKodiUserState, kodiDate, setKodiUserState, KodiUserWrite } from '../players/kodi/userdata';
import type { JellyfinClient } from '../players/jellyfin/client';
import { findItemsByPath as findJellyfinItems, getLibraries, libraryFor } from '../players/jellyfin/library';
import {
  getJellyfinUserData,
  getJellyfinUsers,
  setJellyfinFavourite,
  setJellyfinPlayed,
  setJellyfinPosition,
  setJellyfinRating,
} from '../players/jellyfin/userdata';
import { PlexClient } from '../players/plex/client';
import { PlexTvOptions, PlexUser, getPlexUsers, plexTokenFor } from '../players/plex/users';
import {
  findItemsByPath as findPlexItems,
  getPlexItem,
  getSections,
  sectionFor,
} from '../players/plex/library';
import { getPlexItemState, setPlexPlayed, setPlexPosition, setPlexRating } from '../players/plex/userdata';
import type { SentCall } from '../core/result';
import {
  addJellyfinPlaylistItems,
  createJellyfinPlaylist,
  getJellyfinPlaylistItems,
  getJellyfinPlaylists,
  removeJellyfinPlaylistItems,
} from '../players/jellyfin/playlists';
import {
  addPlexPlaylistItems,
  createPlexPlaylist,
  getPlexPlaylistItems,
  getPlexPlaylists,
  removePlexPlaylistItems,
} from '../players/plex/playlists';
import type { PlaylistAccess } from './watched-playlists';
import type { UserAccess } from './watched-users';
import { createJellyfinUser, deleteJellyfinUser } from '../players/jellyfin/users';
import { listKodiWatched } from '../players/kodi/watched-list';
import { listJellyfinWatched } from '../players/jellyfin/watched-list';
import { listPlexWatched } from '../players/plex/watched-list';
import { looksLikeFile } from '../core/paths';
import type { PathMapper } from './path-mapping';
import { MatchRule, TargetUser, UnsupportedWrite, WatchedItem, WatchedTarget, Wanted } from './watched';

/** One player as the node configures it for watched-sync. */
export interface WatchedPlayerSettings {
  key: string;
  name: string;
  mapper: () => PathMapper;
  /** Jellyfin: the users synced there (any case); empty: every user. Kodi and Plex: the one user it stands for. */
  users: string[];
  /** The node's user table: a user's name on the player it came from → the name elsewhere (lower case keys). */
  userMap: ReadonlyMap<string, string>;
}

const lower = (s: string | undefined): string => (s ?? '').trim().toLowerCase();

/** The player path of a library path through the player's mappings, or undefined when none maps it. */
function playerPathOf(settings: WatchedPlayerSettings, libraryPath: string | undefined): string | undefined {
  if (!libraryPath) return undefined;
  try {
    return settings.mapper().toPlayer(libraryPath).path;
  } catch {
    return undefined;
  }
}

/** A player path as a library path through the player's mappings, or undefined when none maps it back. */
function libraryPathOf(settings: WatchedPlayerSettings, file: string): string | undefined {
  try {
    return settings.mapper().toLibrary(file).path;
  } catch {
    return undefined;
  }
}

/** A one-user player (Kodi's profile, Plex's token owner): the change's user must be the one it stands for. */
function singleUser(
  settings: WatchedPlayerSettings,
  user: string | undefined,
): { user: TargetUser } | { skip: string } {
  const mapped = user === undefined ? undefined : (settings.userMap.get(lower(user)) ?? user);
  const own = settings.users.at(0);
  if (own === undefined || mapped === undefined || lower(own) === lower(mapped))
    return { user: { name: own ?? mapped } };
  return { skip: `${settings.name} stands for ${own}, not ${mapped}` };
}

// ---------------------------------------------------------------------------------------------------- Kodi

type KodiRef = { type: 'movie' | 'episode'; id: number };

export function kodiWatchedTarget(conn: KodiConnection, settings: WatchedPlayerSettings): WatchedTarget {
  const find = async (item: WatchedItem): Promise<{ ref: KodiRef; rule: MatchRule } | undefined> => {
    const path = playerPathOf(settings, item.libraryPath);
    if (path) {
      const found = await findItemsByPath(conn, path, {
        isFile: looksLikeFile(path),
        types: ['movie', 'episode'],
      });
      const hit = found.find((i): i is KodiItem & KodiRef => i.type === 'movie' || i.type === 'episode');
      if (hit) return { ref: { type: hit.type, id: hit.id }, rule: 'path' };
    }
    return undefined;
  };
  return {
    key: settings.key,
    name: settings.name,
    playerType: 'kodi',
    cannot: {
      favourite: `${conn.label}: Kodi's favourites hold paths, not library items (and adding one toggles it)`,
    },
    // Kodi keeps whole ratings, and 0 is "none".
    normalize: (want) => (want.rating === undefined ? want : { ...want, rating: Math.round(want.rating) }),
    userFor: (user) => Promise.resolve(singleUser(settings, user)),
    find,
    findByTitle: (item) => findKodiByTitle(conn, item),
    refOf: (id, type): KodiRef => ({ type, id: Number(id) }),
    list: (_user, visit) => listKodiWatched(conn, visit),
    toLibrary: (file) => libraryPathOf(settings, file),
    read: async (ref) => {
      const r = ref as KodiRef;
      const s = await getKodiUserState(conn, r.type, r.id);
      return { played: s.played, positionS: s.positionS, rating: s.rating === 0 ? undefined : s.rating };
    },
    write: async (ref, _user, want, runtimeS) => {
      const r = ref as KodiRef;
      const fields: KodiUserWrite = {};
      if (want.played === true) {
        const before = await getKodiUserState(conn, r.type, r.id);
        fields.playcount = Math.max(1, before.playCount);
        fields.lastplayed = kodiDate(new Date());
        fields.resume = { position: 0, total: 0 }; // played: no resume point
      }
      if (want.played === false) fields.playcount = 0;
      if (want.positionS !== undefined) fields.resume = { position: want.positionS, total: runtimeS ?? 0 };
      if (want.rating !== undefined) fields.userrating = Math.round(want.rating);
      return [await setKodiUserState(conn, r.type, r.id, fields)];
    },
  };
}

/** A movie by title and year, or an episode by show, season and number, in Kodi's library. */
async function findKodiByTitle(conn: KodiConnection, item: WatchedItem): Promise<KodiRef | undefined> {
  const is = (field: string, value: string | number): { field: string; operator: string; value: string } => ({
    field,
    operator: 'is',
    value: String(value),
  });
  if (item.show && item.season !== undefined && item.episode !== undefined) {
    const rows = await kodiCall(
      conn,
      'VideoLibrary.GetEpisodes',
      { filter: { and: [is('tvshow', item.show), is('season', item.season), is('episode', item.episode)] } },
      (res) =>
        listOf(obj(res, 'result').episodes, 'episodes', (e, w) => num(obj(e, w).episodeid, `${w}.episodeid`)),
    );
    return rows.length === 1 ? { type: 'episode', id: rows[0] } : undefined;
  }
  // A movie only: a trailer, a music video or a song of the same title is not a film.
  if (!item.title || (item.type !== undefined && item.type !== 'movie')) return undefined;
  const rules = [is('title', item.title), ...(item.year ? [is('year', item.year)] : [])];
  const rows = await kodiCall(
    conn,
    'VideoLibrary.GetMovies',
    { filter: rules.length === 1 ? rules[0] : { and: rules } },
    (res) => listOf(obj(res, 'result').movies, 'movies', (m, w) => num(obj(m, w).movieid, `${w}.movieid`)),
  );
  // Only one: two films of one title without a year to tell them apart are not guessed at.
  return rows.length === 1 ? { type: 'movie', id: rows[0] } : undefined;
}

// ---------------------------------------------------------------------------------------------------- Jellyfin

export function jellyfinWatchedTarget(
  client: JellyfinClient,
  settings: WatchedPlayerSettings,
): WatchedTarget {
  const label = client.label;
  return {
    key: settings.key,
    name: settings.name,
    playerType: 'jellyfin',
    refOf: (id) => id,
    list: (user, visit) => listJellyfinWatched(client, userIdOf(user), visit),
    toLibrary: (file) => libraryPathOf(settings, file),
    userFor: async (user) => {
      const mapped = user === undefined ? undefined : (settings.userMap.get(lower(user)) ?? user);
      const listed = settings.users.map(lower);
      const name = mapped ?? (listed.length === 1 ? settings.users[0] : undefined);
      if (name === undefined) {
        return { skip: `the change names no user, and ${settings.name} lists not exactly one user to sync` };
      }
      if (listed.length > 0 && !listed.includes(lower(name))) {
        return { skip: `${name} is not among the users synced on ${settings.name}` };
      }
      // The user table's name first; where this server has no such user, the name the change came with (the table
      // is for players that name the user otherwise).
      const all = await getJellyfinUsers(client);
      const found =
        all.find((u) => lower(u.name) === lower(name)) ??
        (user !== undefined ? all.find((u) => lower(u.name) === lower(user)) : undefined);
      return found
        ? { user: { name: found.name, id: found.id } }
        : { skip: `${label} has no user named ${name}` };
    },
    find: async (item) => {
      const path = playerPathOf(settings, item.libraryPath);
      if (!path) return undefined;
      const lib = libraryFor(await getLibraries(client), path);
      if (!lib) return undefined;
      const found = await findJellyfinItems(client, lib, path, looksLikeFile(path));
      const hit = found.at(0);
      return hit ? { ref: hit.Id, rule: 'path' } : undefined;
    },
    read: async (ref, user) => {
      const s = await getJellyfinUserData(client, userIdOf(user), ref as string);
      return { played: s.played, positionS: s.positionS, favourite: s.favourite, rating: s.rating };
    },
    write: async (ref, user, want) => {
      const id = ref as string;
      const uid = userIdOf(user);
      const sent: SentCall[] = [];
      try {
        if (want.played !== undefined)
          sent.push(await setJellyfinPlayed(client, uid, id, want.played, new Date()));
        if (want.positionS !== undefined)
          sent.push(await setJellyfinPosition(client, uid, id, want.positionS));
        if (want.favourite !== undefined)
          sent.push(await setJellyfinFavourite(client, uid, id, want.favourite));
        if (want.rating !== undefined) sent.push(await setJellyfinRating(client, uid, id, want.rating));
      } catch (err) {
        if (err instanceof PlayerUnsupported) throw new UnsupportedWrite(err.message);
        throw err;
      }
      return sent;
    },
  };
}

function userIdOf(user: TargetUser): string {
  if (!user.id) throw new Error(`no user id for ${user.name ?? 'the user'}`);
  return user.id;
}

// ---------------------------------------------------------------------------------------------------- Plex

/**
 * Plex users: the token's owner, and (where the player lists users to sync) the owner's home users and friends,
 * each written with a token for this server as that user (asked of plex.tv once and kept for the process).
 */
export class PlexUsers {
  private users?: { at: number; list: Promise<PlexUser[]> };
  private readonly clients = new Map<string, Promise<PlexClient>>();
  private machine?: Promise<string>;

  constructor(
    private readonly owner: PlexClient,
    private readonly plexTv: PlexTvOptions = {},
  ) {}

  /** The owner's home users and friends, asked of plex.tv at most every 10 minutes. */
  list(now = Date.now()): Promise<PlexUser[]> {
    if (!this.users || now - this.users.at > 600_000) {
      const list = getPlexUsers(this.owner.endpoint.token, this.owner.endpoint.clientId, this.plexTv);
      list.catch(() => {
        this.users = undefined; // asked again next time
      });
      this.users = { at: now, list };
    }
    return this.users.list;
  }

  /** Forgets a user's token (after the server refused it): the next write asks plex.tv again. */
  forget(user: TargetUser): void {
    if (user.id) this.clients.delete(user.id);
  }

  /** The client to use as `user`: the owner's, or one with the user's own token for this server. */
  clientFor(user: TargetUser): Promise<PlexClient> {
    if (!user.id) return Promise.resolve(this.owner);
    const id = user.id;
    let client = this.clients.get(id);
    if (!client) {
      const at = id.indexOf(':');
      const kind = id.slice(0, at);
      const plexId = id.slice(at + 1);
      this.machine ??= this.owner.serverInfo().then((info) => info.machineIdentifier ?? '');
      client = this.machine
        .then((machine) =>
          plexTokenFor(
            { id: plexId, name: user.name ?? '', kind: kind === 'home' ? 'home' : 'friend' },
            this.owner.endpoint.token,
            this.owner.endpoint.clientId,
            machine,
            this.plexTv,
          ),
        )
        .then((token) => new PlexClient({ ...this.owner.endpoint, token }));
      client.catch(() => {
        this.clients.delete(id); // asked again next time
        this.machine = undefined;
      });
      this.clients.set(id, client);
    }
    return client;
  }
}

export function plexWatchedTarget(
  client: PlexClient,
  settings: WatchedPlayerSettings,
  people: PlexUsers = new PlexUsers(client),
): WatchedTarget {
  return {
    key: settings.key,
    name: settings.name,
    playerType: 'plex',
    cannot: { favourite: `${client.label}: Plex has no favourites for library items` },
    userFor: async (user) => {
      // No users listed: every change is the owner's (the token's). Listed: those users only, the owner's name or
      // a home user's or friend's, each written as themselves.
      if (settings.users.length === 0) return singleUser(settings, user);
      const mapped = user === undefined ? undefined : (settings.userMap.get(lower(user)) ?? user);
      const name = mapped ?? (settings.users.length === 1 ? settings.users[0] : undefined);
      if (name === undefined) {
        return { skip: `the change names no user, and ${settings.name} lists not exactly one user to sync` };
      }
      if (!settings.users.map(lower).includes(lower(name))) {
        return { skip: `${name} is not among the users synced on ${settings.name}` };
      }
      const other = (await people.list()).find((u) => lower(u.name) === lower(name));
      // A name that is no Home user or friend is not guessed to be the owner: written as no one.
      if (!other) {
        return {
          skip: `${name} is no Plex Home user or friend of this server's owner (the owner is written when the player lists no users)`,
        };
      }
      return { user: { name: other.name, id: `${other.kind}:${other.id}` } };
    },
    refOf: (id) => id,
    list: async (user, visit) => listPlexWatched(await people.clientFor(user), visit),
    toLibrary: (file) => libraryPathOf(settings, file),
    find: async (item) => {
      const path = playerPathOf(settings, item.libraryPath);
      if (!path) return undefined;
      const section = sectionFor(await getSections(client), path);
      if (!section) return undefined;
      const found = await findPlexItems(client, section, path, looksLikeFile(path));
      const hit = found.at(0);
      return hit ? { ref: hit.ratingKey, rule: 'path' } : undefined;
    },
    read: async (ref, user) => {
      const s = await getPlexItemState(await people.clientFor(user), ref as string);
      if (!s) throw new Error(`${client.label}: item ${String(ref)} is gone`);
      return { played: s.played, positionS: s.positionS, rating: s.rating };
    },
    write: async (ref, user, want: Wanted, runtimeS) => {
      const key = ref as string;
      const as = await people.clientFor(user);
      const sent: SentCall[] = [];
      try {
        if (want.played !== undefined) sent.push(await setPlexPlayed(as, key, want.played));
        if (want.positionS !== undefined) {
          // Plex takes a position only with the item's duration: the change's, or the item's own.
          const duration = runtimeS ?? (await getPlexItem(client, key))?.runtimeS;
          if (!duration)
            throw new UnsupportedWrite(`${client.label}: a resume position needs the item's runtime`);
          sent.push(await setPlexPosition(as, key, want.positionS, duration));
        }
        if (want.rating !== undefined) sent.push(await setPlexRating(as, key, want.rating));
      } catch (err) {
        // A position of 0 (Plex clears a resume point only by marking the item unwatched), …
        if (err instanceof PlayerUnsupported) throw new UnsupportedWrite(err.message);
        if (err instanceof PlayerError && err.code === 'auth') people.forget(user);
        throw err;
      }
      return sent;
    },
  };
}

// ---------------------------------------------------------------------------------------------------- playlists

/** Jellyfin's playlists of a user (their routes; Emby's too). */
export function jellyfinPlaylists(client: JellyfinClient): PlaylistAccess {
  return {
    find: async (user, name) =>
      (await getJellyfinPlaylists(client, userIdOf(user))).find((p) => lower(p.name) === lower(name))?.id,
    create: (user, name, ids) => createJellyfinPlaylist(client, userIdOf(user), name, ids),
    entries: (user, id) => getJellyfinPlaylistItems(client, userIdOf(user), id),
    add: (user, id, ids) => addJellyfinPlaylistItems(client, userIdOf(user), id, ids),
    remove: (_user, id, entryIds) => removeJellyfinPlaylistItems(client, id, entryIds),
  };
}

/** Plex's video playlists of the token's owner. */
export function plexPlaylists(client: PlexClient, people: PlexUsers = new PlexUsers(client)): PlaylistAccess {
  const as = (user: TargetUser): Promise<PlexClient> => people.clientFor(user);
  return {
    find: async (user, name) =>
      (await getPlexPlaylists(await as(user))).find((p) => lower(p.title) === lower(name))?.ratingKey,
    create: async (user, name, keys) => {
      const made = await createPlexPlaylist(await as(user), name, keys);
      return { id: made.ratingKey, sent: made.sent, more: made.more };
    },
    entries: async (user, id) =>
      (await getPlexPlaylistItems(await as(user), id)).map((e) => ({
        itemId: e.ratingKey,
        entryId: e.entryId,
      })),
    add: async (user, id, keys) => addPlexPlaylistItems(await as(user), id, keys),
    remove: async (user, id, entryIds) => removePlexPlaylistItems(await as(user), id, entryIds),
  };
}

/** Jellyfin's users, for Jellyfin-to-Jellyfin propagation. */
export function jellyfinUsers(client: JellyfinClient): UserAccess {
  return {
    list: () => getJellyfinUsers(client),
    create: (name, password) => createJellyfinUser(client, name, password),
    remove: (id) => deleteJellyfinUser(client, id),
  };
}
