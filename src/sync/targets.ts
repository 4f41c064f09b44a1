/** The players of player-sync: Kodi, Jellyfin, Plex and groups of Kodi players sharing one library database. */
import type { KodiConnection } from '../players/kodi/connection';
import type { JellyfinClient } from '../players/jellyfin/client';
import { getJellyfinPlayback } from '../players/jellyfin/library';
import { getKodiPlayback } from '../players/kodi/playback';
import type { PlexClient } from '../players/plex/client';
import type { PlexNotifications } from '../players/plex/notifications';
import { getPlexPlayback } from '../players/plex/library';
import { decideActivity } from './activity';
import type { EngineTarget } from './engine';
import { jellyfinRefresh } from './jellyfin-sync';
import { kodiRefresh } from './kodi-refresh';
import { kodiRemove } from './kodi-remove';
import { kodiAlreadyDone, kodiScan, kodiScanUnder } from './kodi-scan';
import type { PathMapper } from './path-mapping';
import { plexRefresh } from './plex-sync';
import { looksLikeFile } from '../core/paths';
import type { ChangeItem } from '../core/change';
import { PlaybackSession } from '../core/playback';
import { SyncResult, SyncTarget } from '../core/result';
import { KODI_EVENTS } from '../players/kodi/events';

const WATCHING = { countPaused: true, ignoreAudioAndPictures: true };

const counted = async (sessions: Promise<PlaybackSession[]>): Promise<PlaybackSession[]> =>
  decideActivity(await sessions, WATCHING).sessions;

/** Where a change acts on this player: the file for a removal that names one, otherwise the folder. */
export function targetFor(mapper: PathMapper, item: ChangeItem, label: string): SyncTarget {
  const libraryPath = item.action === 'removed' && item.file ? item.file : item.path;
  try {
    return { libraryPath, playerPath: mapper.toPlayer(libraryPath).path, isFile: looksLikeFile(libraryPath) };
  } catch (err) {
    throw new Error(`${label}: cannot map "${libraryPath}": ${(err as Error).message}`, { cause: err });
  }
}

export interface TargetSettings {
  timeoutMs?: number;
  /** How often Jellyfin and Plex are asked while waiting (their own defaults otherwise). */
  pollMs?: number;
}

export function kodiTarget(
  key: string,
  player: { conn: KodiConnection; name: string; label: string; mapper: () => PathMapper },
  settings: TargetSettings = {},
): EngineTarget {
  const ref = { conn: player.conn, name: player.name };
  /** When each parent's last scan through this target began: a later bulk under it is looked up first. */
  const parentScans = new Map<string, number>();
  return {
    key,
    name: player.name,
    apply(item, signal): Promise<SyncResult> {
      const target = targetFor(player.mapper(), item, player.label);
      const options = { type: item.type, timeoutMs: settings.timeoutMs, signal };
      if (item.action === 'added') return kodiScan(ref, target, options);
      if (item.action === 'updated') return kodiRefresh(ref, target, options);
      return kodiRemove(ref, target, options);
    },
    async applyUnderParent(parent, items, signal, acceptedAt) {
      const mapper = player.mapper();
      const began = Date.now();
      const verifyFirst = (parentScans.get(parent) ?? 0) >= acceptedAt;
      const results = await kodiScanUnder(
        ref,
        targetFor(mapper, { path: parent, action: 'added', ids: {} }, player.label),
        items.map((item) => ({ target: targetFor(mapper, item, player.label), type: item.type })),
        { timeoutMs: settings.timeoutMs, signal, verifyFirst },
      );
      if (results.some((r) => r.sent.length > 0)) parentScans.set(parent, began);
      return results;
    },
    check: (items) => {
      const mapper = player.mapper();
      return kodiAlreadyDone(
        ref,
        items.map((item) => ({
          target: targetFor(mapper, item, player.label),
          action: item.action,
          type: item.type,
        })),
      );
    },
    playing: () => counted(getKodiPlayback(player.conn)),
    onPlaybackStop: (callback) =>
      player.conn.onNotification((n) => {
        if (n.method === KODI_EVENTS.playbackStopped) callback();
      }),
    onBack: (callback) => {
      const listener = (state: string): void => {
        if (state === 'connected' || state === 'http-only') callback();
      };
      player.conn.on('state', listener);
      return () => {
        player.conn.off('state', listener);
      };
    },
  };
}

/** What a server target needs of its server: the refresh workflow and who is watching. */
interface ServerWorkflow<Client> {
  refresh(
    player: { client: Client; name: string },
    target: SyncTarget,
    options: { action: ChangeItem['action']; timeoutMs?: number; pollMs?: number; signal: AbortSignal },
  ): Promise<SyncResult>;
  playback(client: Client): Promise<PlaybackSession[]>;
}

/** A server (Jellyfin, Plex) as the engine sees it: one refresh per change, deferred while someone watches. */
function serverTarget<Client>(
  workflow: ServerWorkflow<Client>,
  key: string,
  player: { client: Client; name: string; label: string; mapper: () => PathMapper },
  settings: TargetSettings,
): EngineTarget {
  return {
    key,
    name: player.name,
    apply: (item, signal) =>
      workflow.refresh(
        { client: player.client, name: player.name },
        targetFor(player.mapper(), item, player.label),
        {
          action: item.action,
          timeoutMs: settings.timeoutMs,
          pollMs: settings.pollMs,
          signal,
        },
      ),
    playing: () => counted(workflow.playback(player.client)),
  };
}

export function jellyfinTarget(
  key: string,
  player: { client: JellyfinClient; name: string; label: string; mapper: () => PathMapper },
  settings: TargetSettings = {},
): EngineTarget {
  return serverTarget({ refresh: jellyfinRefresh, playback: getJellyfinPlayback }, key, player, settings);
}

export function plexTarget(
  key: string,
  player: {
    client: PlexClient;
    notifications?: PlexNotifications;
    name: string;
    label: string;
    mapper: () => PathMapper;
  },
  settings: TargetSettings = {},
): EngineTarget {
  // The refresh hears the section's end from the server's notification socket, where it is up.
  const refresh: ServerWorkflow<PlexClient>['refresh'] = (p, target, options) =>
    plexRefresh({ ...p, notifications: player.notifications }, target, options);
  return serverTarget({ refresh, playback: getPlexPlayback }, key, player, settings);
}

/**
 * Kodi players that share one library database: a change is applied once, through the first member that answers
 * and is idle; when that fails, the next member takes over.
 */
export function groupTarget(key: string, name: string, members: EngineTarget[]): EngineTarget {
  /** The members that answer, with what they play; throws the last error when none answers. */
  const survey = async (): Promise<{ member: EngineTarget; sessions: PlaybackSession[] }[]> => {
    let lastError: unknown;
    const answers: { member: EngineTarget; sessions: PlaybackSession[] }[] = [];
    for (const member of members) {
      try {
        answers.push({ member, sessions: await member.playing() });
      } catch (err) {
        lastError = err;
      }
    }
    if (answers.length === 0) throw lastError instanceof Error ? lastError : new Error(String(lastError));
    return answers;
  };
  return {
    key,
    name,
    async playing() {
      const answers = await survey();
      return answers.some((a) => a.sessions.length === 0) ? [] : answers.flatMap((a) => a.sessions);
    },
    async apply(item, signal) {
      let lastError: unknown;
      for (const { member, sessions } of await survey()) {
        if (sessions.length > 0 && members.length > 1) continue;
        try {
          const result = await member.apply(item, signal);
          return { ...result, group: name, via: member.name };
        } catch (err) {
          lastError = err; // the next member takes over
        }
      }
      if (lastError instanceof Error) throw lastError;
      throw new Error(`group "${name}": every member is busy`);
    },
    async check(items, signal) {
      for (const member of members) {
        try {
          if (member.check) return await member.check(items, signal);
        } catch {
          // the next member may answer
        }
      }
      return items.map(() => undefined);
    },
    onPlaybackStop(callback) {
      const offs = members.map((m) => m.onPlaybackStop?.(callback));
      return () => {
        for (const off of offs) off?.();
      };
    },
    onBack(callback) {
      const offs = members.map((m) => m.onBack?.(callback));
      return () => {
        for (const off of offs) off?.();
      };
    },
  };
}

/** One configured player, as player-sync's settings name it: what it is, its connection, its Kodi group. */
export type PlayerRef = {
  key: string;
  name: string;
  label: string;
  mapper: () => PathMapper;
  group?: string;
} & (
  | { kind: 'kodi'; conn: KodiConnection }
  | { kind: 'jellyfin'; client: JellyfinClient }
  | { kind: 'plex'; client: PlexClient; notifications?: PlexNotifications }
);

/**
 * The engine's targets for the configured players: one per player, except Kodi players with the same group name
 * (sharing one library database), which become one group target.
 */
export function buildTargets(players: PlayerRef[], settings: TargetSettings = {}): EngineTarget[] {
  const single = (p: PlayerRef): EngineTarget => {
    switch (p.kind) {
      case 'kodi':
        return kodiTarget(p.key, p, settings);
      case 'jellyfin':
        return jellyfinTarget(p.key, p, settings);
      case 'plex':
        return plexTarget(p.key, p, settings);
    }
  };
  const targets: EngineTarget[] = [];
  const groups = new Map<string, PlayerRef[]>();
  for (const p of players) {
    const group = p.group?.trim();
    if (group && p.kind === 'kodi') groups.set(group, [...(groups.get(group) ?? []), p]);
    else targets.push(single(p));
  }
  for (const [name, members] of groups) targets.push(groupTarget(`group:${name}`, name, members.map(single)));
  return targets;
}
