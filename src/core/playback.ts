/** What a player is playing: one session, in the same words for Kodi, Jellyfin and Plex. */

export type MediaKind = 'video' | 'audio' | 'picture';

export interface PlaybackSession {
  kind: MediaKind;
  /** movie, episode, song… as the player names it */
  type: string;
  id?: string | number;
  title: string;
  file?: string;
  paused: boolean;
  /** 0–100 */
  progress?: number;
  positionSeconds?: number;
  durationSeconds?: number;
  user?: string;
  device?: string;
}

/** "S01E02" for a season and episode number; '' when either is unknown or the season is negative (Kodi's -1). */
export function episodeCode(season: number | undefined, episode: number | undefined): string {
  if (season === undefined || episode === undefined || season < 0) return '';
  return `S${String(season).padStart(2, '0')}E${String(episode).padStart(2, '0')}`;
}

/** "Show S01E02 Title": how an episode is named in results, sessions and status texts, for every player. */
export function episodeTitle(
  show: string,
  season: number | undefined,
  episode: number | undefined,
  title: string,
): string {
  const code = episodeCode(season, episode);
  return `${show}${code ? ` ${code}` : ''} ${title}`;
}
