/**
 * Where watch-activity's observations come from, per kind of player: a look at what plays now, and, where the
 * player can say so, a call when that changed (Kodi's Player.On* notifications), so that a change is seen at once
 * rather than at the next poll.
 */
import type { KodiConnection } from '../players/kodi/connection';
import { getKodiPlayback } from '../players/kodi/playback';
import type { JellyfinClient } from '../players/jellyfin/client';
import { getJellyfinPlayback } from '../players/jellyfin/library';
import type { PlexClient } from '../players/plex/client';
import { getPlexPlayback } from '../players/plex/library';
import type { PathMapper } from './path-mapping';
import type { WatchObservation } from './watch';
import type { PlaybackSession } from '../core/playback';

export interface WatchSource {
  /** The sessions playing now. */
  look(): Promise<WatchObservation[]>;
  /** Calls back when the player says playback changed; returns the unsubscribe. */
  onChange?(callback: () => void): () => void;
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
    // Stable while the session lasts: per user and device (Kodi has one video player).
    sessionId: `${playerType}|${session.user ?? ''}|${session.device ?? ''}`,
    user: session.user,
    device: session.device,
    item: {
      type: session.type,
      title: session.title,
      id: session.id === undefined ? undefined : String(session.id),
      playerPath: session.file,
      libraryPath,
    },
    positionS: session.positionSeconds,
    runtimeS: session.durationSeconds,
    paused: session.paused,
  };
}

const observe = async (
  sessions: Promise<PlaybackSession[]>,
  playerType: string,
  mapper: () => PathMapper | undefined,
): Promise<WatchObservation[]> =>
  (await sessions).flatMap((s) => {
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
    look: () => observe(getKodiPlayback(conn), 'kodi', mapper),
    onChange: (callback) =>
      conn.onNotification((n) => {
        if (KODI_PLAYER_EVENTS.has(n.method)) callback();
      }),
  };
}

export function jellyfinWatchSource(
  client: JellyfinClient,
  mapper: () => PathMapper | undefined,
): WatchSource {
  return { look: () => observe(getJellyfinPlayback(client), 'jellyfin', mapper) };
}

export function plexWatchSource(client: PlexClient, mapper: () => PathMapper | undefined): WatchSource {
  return { look: () => observe(getPlexPlayback(client), 'plex', mapper) };
}
