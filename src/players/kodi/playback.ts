/** What Kodi is playing right now. */
import type { PlaybackSession, MediaKind } from '../../sync/activity';

export interface KodiCaller {
  call<T>(method: string, params?: Record<string, unknown>): Promise<T>;
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
  file?: string;
}

export function kodiSeconds(t: KodiTime | undefined): number | undefined {
  if (!t) return undefined;
  return t.hours * 3600 + t.minutes * 60 + t.seconds + t.milliseconds / 1000;
}

function titleOf(item: PlayerItem): string {
  const title = item.title || item.label || item.file || 'unknown';
  if (item.type === 'episode' && item.showtitle) {
    const se =
      item.season !== undefined && item.episode !== undefined && item.season >= 0
        ? ` S${String(item.season).padStart(2, '0')}E${String(item.episode).padStart(2, '0')}`
        : '';
    return `${item.showtitle}${se} ${title}`;
  }
  return title;
}

export async function getKodiPlayback(kodi: KodiCaller): Promise<PlaybackSession[]> {
  const players = await kodi.call<ActivePlayer[]>('Player.GetActivePlayers');
  return Promise.all(
    players.map(async (p) => {
      const [{ item }, props] = await Promise.all([
        kodi.call<{ item: PlayerItem }>('Player.GetItem', {
          playerid: p.playerid,
          properties: ['title', 'file', 'showtitle', 'season', 'episode'],
        }),
        kodi.call<{ speed?: number; percentage?: number; time?: KodiTime; totaltime?: KodiTime }>(
          'Player.GetProperties',
          { playerid: p.playerid, properties: ['speed', 'percentage', 'time', 'totaltime'] },
        ),
      ]);
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
      };
    }),
  );
}
