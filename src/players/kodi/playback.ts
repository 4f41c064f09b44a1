/** What Kodi is playing right now. */
import { decode, listOf, num, obj, optNum, optObj, optStr } from '../shape';
import { KODI_FIXES, KodiRpcError } from './rpc';
import { MediaKind, PlaybackSession, episodeTitle, providerIds } from '../../core/playback';
import { Obj } from '../../core/values';

export interface KodiCaller {
  /** The player's name for errors, e.g. `Kodi "Den" (127.0.0.1:8080)`. */
  readonly label: string;
  call<T>(method: string, params?: Record<string, unknown>): Promise<T>;
}

/**
 * Calls one method and decodes its result with `decoder`; a result of the wrong shape is a PlayerError that names
 * Kodi, the method and the field.
 */
export async function kodiCall<T>(
  kodi: KodiCaller,
  method: string,
  params: Record<string, unknown> | undefined,
  decoder: (result: unknown) => T,
): Promise<T> {
  const result = await kodi.call<unknown>(method, params);
  return decode(kodi.label, method, KODI_FIXES.protocol, () => decoder(result));
}

interface ActivePlayer {
  playerid: number;
  type: string;
}

interface KodiTime {
  hours: number;
  minutes: number;
  seconds: number;
  milliseconds: number;
}

interface PlayerItem {
  id?: number;
  type?: string;
  label?: string;
  title?: string;
  showtitle?: string;
  season?: number;
  episode?: number;
  year?: number;
  uniqueid?: Obj;
  file?: string;
}

interface PlayerProps {
  speed?: number;
  percentage?: number;
  time?: KodiTime;
  totaltime?: KodiTime;
}

export function kodiSeconds(t: KodiTime | undefined): number | undefined {
  if (!t) return undefined;
  return t.hours * 3600 + t.minutes * 60 + t.seconds + t.milliseconds / 1000;
}

function decodeTime(value: unknown, where: string): KodiTime | undefined {
  const t = optObj(value, where);
  if (!t) return undefined;
  return {
    hours: optNum(t.hours, `${where}.hours`) ?? 0,
    minutes: optNum(t.minutes, `${where}.minutes`) ?? 0,
    seconds: optNum(t.seconds, `${where}.seconds`) ?? 0,
    milliseconds: optNum(t.milliseconds, `${where}.milliseconds`) ?? 0,
  };
}

function decodeActivePlayers(result: unknown): ActivePlayer[] {
  return listOf(result, 'result', (p, where) => {
    const o = obj(p, where);
    return { playerid: num(o.playerid, `${where}.playerid`), type: optStr(o.type, `${where}.type`) ?? '' };
  });
}

function decodePlayerItem(result: unknown): PlayerItem {
  const item: Obj = obj(obj(result, 'result').item, 'result.item');
  return {
    id: optNum(item.id, 'item.id'),
    type: optStr(item.type, 'item.type'),
    label: optStr(item.label, 'item.label'),
    title: optStr(item.title, 'item.title'),
    showtitle: optStr(item.showtitle, 'item.showtitle'),
    season: optNum(item.season, 'item.season'),
    episode: optNum(item.episode, 'item.episode'),
    year: optNum(item.year, 'item.year'),
    uniqueid: optObj(item.uniqueid, 'item.uniqueid'),
    file: optStr(item.file, 'item.file'),
  };
}

function decodePlayerProps(result: unknown): PlayerProps {
  const p = obj(result, 'result');
  return {
    speed: optNum(p.speed, 'speed'),
    percentage: optNum(p.percentage, 'percentage'),
    time: decodeTime(p.time, 'time'),
    totaltime: decodeTime(p.totaltime, 'totaltime'),
  };
}

function titleOf(item: PlayerItem): string {
  const title = item.title || item.label || item.file || 'unknown';
  if (item.type === 'episode' && item.showtitle)
    return episodeTitle(item.showtitle, item.season, item.episode, title);
  return title;
}

export async function getKodiPlayback(kodi: KodiCaller): Promise<PlaybackSession[]> {
  const players = await kodiCall(kodi, 'Player.GetActivePlayers', undefined, decodeActivePlayers);
  const sessions = await Promise.all(
    players.map(async (p): Promise<PlaybackSession | undefined> => {
      // A player that stops between the list and these calls is gone by the time they arrive: Kodi answers them
      // with an error (invalid parameters, or "failed to execute"). That is nobody watching there, not a fault.
      const gone = (err: unknown): undefined => {
        if (err instanceof KodiRpcError) return undefined;
        throw err;
      };
      const answers = await Promise.all([
        kodiCall(
          kodi,
          'Player.GetItem',
          {
            playerid: p.playerid,
            properties: ['title', 'file', 'showtitle', 'season', 'episode', 'year', 'uniqueid'],
          },
          decodePlayerItem,
        ),
        kodiCall(
          kodi,
          'Player.GetProperties',
          { playerid: p.playerid, properties: ['speed', 'percentage', 'time', 'totaltime'] },
          decodePlayerProps,
        ),
      ]).catch(gone);
      if (!answers) return undefined;
      const [item, props] = answers;
      const kind: MediaKind = p.type === 'audio' || p.type === 'picture' ? p.type : 'video';
      return {
        kind,
        type: item.type ?? 'unknown',
        id: item.id,
        title: titleOf(item),
        file: item.file,
        paused: props.speed === 0,
        progress: props.percentage === undefined ? undefined : Math.round(props.percentage * 10) / 10,
        positionSeconds: kodiSeconds(props.time),
        durationSeconds: kodiSeconds(props.totaltime),
        // Kodi says 0 and -1 for "none".
        year: item.year !== undefined && item.year > 0 ? item.year : undefined,
        show: item.type === 'episode' && item.showtitle ? item.showtitle : undefined,
        season:
          item.type === 'episode' && item.season !== undefined && item.season >= 0 ? item.season : undefined,
        episode:
          item.type === 'episode' && item.episode !== undefined && item.episode >= 0
            ? item.episode
            : undefined,
        ids: providerIds(item.uniqueid),
      };
    }),
  );
  return sessions.filter((x): x is PlaybackSession => x !== undefined);
}
