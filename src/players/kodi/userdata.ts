/**
 * Kodi's watched state of a library item, for the loaded profile (Kodi's calls take no user): play count, last
 * played, resume point and user rating of a movie or an episode, read and written through VideoLibrary.Get/Set
 * MovieDetails and EpisodeDetails. Kodi has no favourite that maps to a library item (its favourites hold paths and
 * AddFavourite toggles), so none is written here.
 */
import { ShapeError, num, obj, optNum, optObj, optStr } from '../shape';
import { KodiCaller, kodiCall } from './playback';
import type { SentCall } from '../../core/result';

export type KodiWatchType = 'movie' | 'episode';

export interface KodiUserState {
  playCount: number;
  played: boolean;
  /** The resume point and the total it was saved with, in seconds (0 when there is none). */
  positionS: number;
  totalS: number;
  /** 0–10; 0 is "none". */
  rating: number;
  lastPlayed?: string;
}

const DETAILS = {
  movie: {
    get: 'VideoLibrary.GetMovieDetails',
    set: 'VideoLibrary.SetMovieDetails',
    id: 'movieid',
    key: 'moviedetails',
  },
  episode: {
    get: 'VideoLibrary.GetEpisodeDetails',
    set: 'VideoLibrary.SetEpisodeDetails',
    id: 'episodeid',
    key: 'episodedetails',
  },
} as const;

export async function getKodiUserState(
  kodi: KodiCaller,
  type: KodiWatchType,
  id: number,
): Promise<KodiUserState> {
  const spec = DETAILS[type];
  return kodiCall(
    kodi,
    spec.get,
    { [spec.id]: id, properties: ['playcount', 'lastplayed', 'resume', 'userrating'] },
    (result) => {
      const d = obj(obj(result, 'result')[spec.key], spec.key);
      const resume = optObj(d.resume, `${spec.key}.resume`);
      const playCount = optNum(d.playcount, `${spec.key}.playcount`) ?? 0;
      const lastPlayed = optStr(d.lastplayed, `${spec.key}.lastplayed`);
      return {
        playCount,
        played: playCount > 0,
        positionS: resume ? num(resume.position, `${spec.key}.resume.position`) : 0,
        totalS: resume ? (optNum(resume.total, `${spec.key}.resume.total`) ?? 0) : 0,
        rating: optNum(d.userrating, `${spec.key}.userrating`) ?? 0,
        lastPlayed: lastPlayed || undefined,
      };
    },
  );
}

/** Kodi's date format for lastplayed, in local time: "YYYY-MM-DD HH:MM:SS". */
export function kodiDate(at: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())} ` +
    `${p(at.getHours())}:${p(at.getMinutes())}:${p(at.getSeconds())}`
  );
}

export interface KodiUserWrite {
  playcount?: number;
  lastplayed?: string;
  /** Position 0 deletes the resume point; a total of 0 lets Kodi take the stream's duration. */
  resume?: { position: number; total: number };
  userrating?: number;
}

/** Writes the fields given with one Set…Details call; returns what was sent. */
export async function setKodiUserState(
  kodi: KodiCaller,
  type: KodiWatchType,
  id: number,
  fields: KodiUserWrite,
): Promise<SentCall> {
  const spec = DETAILS[type];
  const params = { [spec.id]: id, ...fields };
  await kodiCall(kodi, spec.set, params, (result) => {
    if (result !== 'OK') throw new ShapeError('result', '"OK"', result);
    return result;
  });
  return { method: spec.set, params };
}
