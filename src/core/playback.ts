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
  /** The player's own session id where it has one (Jellyfin's session Id, Plex's session key). */
  sessionId?: string;
  /** The app playing it (Jellyfin's Client, Plex's Player product). */
  client?: string;
  year?: number;
  /** For an episode: its show, season and number. */
  show?: string;
  season?: number;
  episode?: number;
  /** The item's ids at the public databases, where the player knows them. */
  ids?: ProviderIds;
}

/** An item's ids at IMDb, TMDB and TheTVDB, as every player's answer is read into. */
export interface ProviderIds {
  imdb?: string;
  tmdb?: number;
  tvdb?: number;
}

/** A positive whole number from a number or a string of digits; undefined otherwise. */
const idNumber = (value: unknown): number | undefined => {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d{1,15}$/.test(value)
        ? Number(value)
        : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
};

/**
 * The provider ids of a player's map (Kodi's uniqueid, Jellyfin's ProviderIds: keys in any case) or list of guids
 * (Plex's `imdb://tt…`, `tmdb://…`, `tvdb://…`); undefined when none is there. Anything else in them is ignored.
 */
export function providerIds(
  source: Record<string, unknown> | readonly unknown[] | undefined,
): ProviderIds | undefined {
  if (!source) return undefined;
  const pairs: [string, unknown][] = Array.isArray(source)
    ? source.flatMap((g): [string, unknown][] => {
        const m = typeof g === 'string' ? /^(\w+):\/\/(.+)$/.exec(g) : null;
        return m ? [[m[1], m[2]]] : [];
      })
    : Object.entries(source);
  const ids: ProviderIds = {};
  for (const [key, value] of pairs) {
    const k = key.toLowerCase();
    if (k === 'imdb' && typeof value === 'string' && /^tt\d{1,12}$/.test(value)) ids.imdb = value;
    const n = idNumber(value);
    if (k === 'tmdb' && n !== undefined) ids.tmdb = n;
    if (k === 'tvdb' && n !== undefined) ids.tvdb = n;
  }
  return ids.imdb !== undefined || ids.tmdb !== undefined || ids.tvdb !== undefined ? ids : undefined;
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
