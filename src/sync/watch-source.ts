/**
 * Where watch-activity's observations come from, per kind of player: a look at what plays now (a request), and
 * what the player pushes (Kodi's Player.On* notifications, Jellyfin's Sessions messages, Plex's play
 * notifications), so that a change is seen at once rather than at the next poll, and polling is the fallback.
 */
import type { KodiConnection } from '../players/kodi/connection';
import { getKodiPlayback } from '../players/kodi/playback';
import type { JellyfinClient } from '../players/jellyfin/client';
import { getJellyfinPlayback } from '../players/jellyfin/library';
import { JellyfinSocket, sessionsSubscribable } from '../players/jellyfin/socket';
import type { PlexClient } from '../players/plex/client';
import { getPlexPlayback } from '../players/plex/library';
import type { PlexNotifications, PlexPlaying } from '../players/plex/notifications';
import type { PathMapper } from './path-mapping';
import type { WatchObservation } from './watch';
import type { PlaybackSession } from '../core/playback';

/**
 * How a player tells of changes: `all` when it pushes its sessions with their positions (Jellyfin's Sessions
 * subscription, Plex's play notifications), so that looking on a schedule is only a safety net; `changes` when it
 * says that something changed but not the positions (Kodi's notifications), so that a look follows and positions
 * are polled while something plays; `none` when it says nothing (the socket is down): poll.
 */
export type PushLevel = 'all' | 'changes' | 'none';

export interface WatchSource {
  /** The sessions playing now (a request to the player). */
  look(): Promise<WatchObservation[]>;
  /**
   * Subscribes to what the player pushes: `changed(observations)` with every session when the player told them
   * all, `changed()` when only a look can tell. Returns the unsubscribe.
   */
  listen(changed: (observations?: WatchObservation[]) => void): () => void;
  /** What the player pushes now. */
  pushing(): PushLevel;
}

/** One session as watch-activity sees it; only video counts (music and pictures are not "watching"). */
export function observationOf(
  session: PlaybackSession,
  playerType: string,
  mapper: () => PathMapper | undefined,
): WatchObservation | undefined {
  if (session.kind !== 'video') return undefined;
  let libraryPath: string | undefined;
  if (session.file) {
    try {
      libraryPath = mapper()?.toLibrary(session.file).path;
    } catch {
      libraryPath = undefined; // a file outside every mapping: the player's path is all there is
    }
  }
  return {
    // Stable while the session lasts: the player's own session id, else per user and device (Kodi has one video
    // player).
    sessionId: session.sessionId ?? `${playerType}|${session.user ?? ''}|${session.device ?? ''}`,
    user: session.user,
    device: session.device,
    client: session.client,
    item: {
      type: session.type,
      title: session.title,
      id: session.id === undefined ? undefined : String(session.id),
      year: session.year,
      show: session.show,
      season: session.season,
      episode: session.episode,
      ids: session.ids,
      playerPath: session.file,
      libraryPath,
    },
    positionS: session.positionSeconds,
    runtimeS: session.durationSeconds,
    paused: session.paused,
  };
}

const observe = (sessions: PlaybackSession[], playerType: string, mapper: () => PathMapper | undefined) =>
  sessions.flatMap((s) => {
    const o = observationOf(s, playerType, mapper);
    return o ? [o] : [];
  });

/** The Kodi notifications that mean playback changed. */
const KODI_PLAYER_EVENTS = new Set([
  'Player.OnPlay',
  'Player.OnAVStart',
  'Player.OnPause',
  'Player.OnResume',
  'Player.OnStop',
  'Player.OnSeek',
  'Player.OnSpeedChanged',
]);

export function kodiWatchSource(conn: KodiConnection, mapper: () => PathMapper | undefined): WatchSource {
  return {
    look: async () => observe(await getKodiPlayback(conn), 'kodi', mapper),
    listen: (changed) => {
      const unsubscribe = conn.onNotification((n) => {
        if (KODI_PLAYER_EVENTS.has(n.method)) changed();
      });
      // Back after a drop (Kodi restarted, the network came back): what plays now is only known by a look.
      const onState = (): void => {
        changed();
      };
      conn.on('state', onState);
      return () => {
        unsubscribe();
        conn.off('state', onState);
      };
    },
    pushing: () => (conn.websocketUp ? 'changes' : 'none'),
  };
}

/**
 * Jellyfin: the sessions pushed over its WebSocket where the version lets an API key subscribe
 * (sessionsSubscribable), else polled. The socket belongs to the jellyfin-server; this only asks for Sessions.
 */
export function jellyfinWatchSource(
  client: JellyfinClient,
  socket: JellyfinSocket | undefined,
  mapper: () => PathMapper | undefined,
): WatchSource {
  let live = false;
  return {
    look: async () => observe(await getJellyfinPlayback(client), 'jellyfin', mapper),
    listen: (changed) => {
      if (!socket) return () => undefined;
      let release: (() => void) | undefined;
      let closed = false;
      const onSessions = (sessions: PlaybackSession[]): void => {
        changed(observe(sessions, 'jellyfin', mapper));
      };
      let asking = false;
      /** Subscribes where the server's version lets an API key; asked again each time the socket comes up until
       * the version is known (a server down when the node started). */
      const subscribe = (): void => {
        if (closed || release || asking) return;
        asking = true;
        client.publicInfo().then(
          (info) => {
            asking = false;
            if (closed || release) return;
            if (!sessionsSubscribable(info.Version)) {
              release = () => undefined; // this version pushes nothing to an API key: polling it is
              return;
            }
            release = socket.watchSessions();
            onState();
          },
          () => {
            asking = false; // unreachable for now: polling goes on, the look says why, and the next "up" asks
          },
        );
      };
      const onState = (): void => {
        live = release !== undefined && socket.sessionsLive;
        if (socket.up) subscribe();
        changed(); // nothing is sent on subscribing, and what happened while it was down is unknown: look
      };
      socket.on('sessions', onSessions);
      socket.on('state', onState);
      subscribe();
      return () => {
        closed = true;
        live = false;
        socket.off('sessions', onSessions);
        socket.off('state', onState);
        release?.();
      };
    },
    pushing: () => (live && socket?.sessionsLive === true ? 'all' : 'none'),
  };
}

/**
 * Plex: the play notifications of its socket move the sessions it knows (state and position) without a request;
 * a session it does not know yet, or a new item in one, needs a look (the notification has no user or title).
 */
export function plexWatchSource(
  client: PlexClient,
  socket: PlexNotifications | undefined,
  mapper: () => PathMapper | undefined,
): WatchSource {
  const known = new Map<string, WatchObservation>();
  /** Sessions of the last look that are not watching (music, pictures): their notifications need no look. */
  let others = new Set<string>();
  /** Session lists pushed so far: a look that began before the latest one must not overwrite what it knows. */
  let pushes = 0;
  const look = async (): Promise<WatchObservation[]> => {
    const began = pushes;
    const sessions = await getPlexPlayback(client);
    const observations = observe(sessions, 'plex', mapper);
    if (began === pushes) {
      known.clear();
      for (const o of observations) known.set(o.sessionId, o);
      others = new Set(sessions.flatMap((s) => (s.sessionId === undefined ? [] : [s.sessionId])));
      for (const o of observations) others.delete(o.sessionId);
    }
    return observations;
  };
  return {
    look,
    listen: (changed) => {
      if (!socket) return () => undefined;
      const push = (): void => {
        pushes++;
        changed([...known.values()]);
      };
      const onPlaying = (p: PlexPlaying): void => {
        const before = known.get(p.sessionKey);
        if (p.state === 'stopped') {
          others.delete(p.sessionKey);
          if (!before) return;
          known.delete(p.sessionKey);
          push();
          return;
        }
        if (!before) {
          if (!others.has(p.sessionKey)) changed(); // a new session: who and what only a look can tell
          return;
        }
        if (p.ratingKey !== undefined && p.ratingKey !== before.item.id) {
          changed(); // the next item in the session
          return;
        }
        known.set(p.sessionKey, {
          ...before,
          paused: p.state === 'paused',
          positionS: p.viewOffsetMs === undefined ? before.positionS : p.viewOffsetMs / 1000,
        });
        push();
      };
      const onState = (): void => {
        changed();
      };
      socket.on('playing', onPlaying);
      socket.on('state', onState);
      return () => {
        socket.off('playing', onPlaying);
        socket.off('state', onState);
      };
    },
    pushing: () => (socket?.up ? 'all' : 'none'),
  };
}
