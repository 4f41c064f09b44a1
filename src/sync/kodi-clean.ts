/**
 * A guarded VideoLibrary.Clean. A global clean removes every entry whose file Kodi cannot reach: an offline NAS
 * or a wrong mapping empties the library. So: dry run first (the entries Kodi cannot reach), anchors that must be
 * reachable, a cap on the share it may remove, never while something plays or a scan runs.
 */
import type { KodiConnection } from '../players/kodi/connection';
import { KODI_EVENTS, NotificationRecorder, waitForScanEnd } from '../players/kodi/events';
import {
  cleanCall,
  isReachable,
  isScanningVideo,
  KodiItem,
  listAllVideoFiles,
} from '../players/kodi/library';
import { getKodiPlayback } from '../players/kodi/playback';
import { SentCall } from '../core/result';
import { queueFor } from '../core/serial-queue';

export interface KodiCleanOptions {
  /** The user ticked "I understand that a clean removes library entries". */
  confirmed: boolean;
  /** List what a clean would remove, remove nothing (default true). */
  dryRun: boolean;
  /** Kodi-side paths (files or folders ending with a separator) that must be reachable. */
  anchors: string[];
  /** The largest share of the library (0–100 %) a clean may remove. */
  maxSharePercent: number;
  content?: 'video' | 'movies' | 'tvshows' | 'musicvideos';
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CleanEntry {
  id: number;
  type: string;
  title: string;
  file: string;
}

export interface KodiCleanResult {
  status: 'dry-run' | 'cleaned' | 'refused' | 'timed-out';
  ok: boolean;
  reason?: string;
  action: 'clean';
  player: string;
  playerType: 'kodi';
  dryRun: boolean;
  /** Library entries whose files Kodi cannot reach: what a clean would remove. */
  unreachable: CleanEntry[];
  total: number;
  sharePercent: number;
  anchors: { path: string; reachable: boolean }[];
  /** Entries the clean removed, checked against the library afterwards. */
  removed: CleanEntry[];
  sent: SentCall[];
  completion?: 'event' | 'polling';
  tookMs: number;
}

const entry = (i: KodiItem): CleanEntry => ({ id: i.id, type: i.type, title: i.title, file: i.file });
const key = (i: { type: string; id: number }): string => `${i.type}:${i.id}`;

/** Runs `check` over `items`, `width` at a time. */
async function mapLimited<T, R>(items: T[], width: number, check: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await check(items[i]);
      }
    }),
  );
  return out;
}

function inContent(item: KodiItem, content: KodiCleanOptions['content']): boolean {
  if (!content || content === 'video') return true;
  if (content === 'movies') return item.type === 'movie';
  if (content === 'tvshows') return item.type === 'episode';
  return item.type === 'musicvideo';
}

export async function kodiClean(
  player: { conn: KodiConnection; name: string },
  options: KodiCleanOptions,
): Promise<KodiCleanResult> {
  const started = Date.now();
  const { conn } = player;
  const sent: SentCall[] = [];
  const anchors = await Promise.all(
    options.anchors.map(async (path) => ({
      path,
      reachable: await isReachable(conn, path, /[\\/]$/.test(path)),
    })),
  );
  const all = (await listAllVideoFiles(conn)).filter((i) => inContent(i, options.content));
  const reachable = await mapLimited(all, 8, (i) => isReachable(conn, i.file, false));
  const unreachable = all.filter((_, n) => !reachable[n]).map(entry);
  const sharePercent = all.length === 0 ? 0 : Math.round((unreachable.length / all.length) * 1000) / 10;
  const result = (
    fields: Pick<KodiCleanResult, 'status' | 'ok'> & Partial<KodiCleanResult>,
  ): KodiCleanResult => ({
    action: 'clean',
    player: player.name,
    playerType: 'kodi',
    dryRun: options.dryRun,
    unreachable,
    total: all.length,
    sharePercent,
    anchors,
    removed: [],
    sent,
    tookMs: Date.now() - started,
    ...fields,
  });

  // Why a real clean would be refused now; a dry run reports it too.
  const missing = anchors.filter((a) => !a.reachable).map((a) => a.path);
  let refusal: string | undefined;
  if (missing.length > 0) {
    refusal =
      `Kodi cannot reach the anchor${missing.length > 1 ? 's' : ''} ${missing.map((p) => `"${p}"`).join(', ')}: ` +
      'the share may be offline or the path mapping wrong; a clean now could empty the library';
  } else if (sharePercent > options.maxSharePercent) {
    refusal =
      `${unreachable.length} of ${all.length} entries (${sharePercent} %) are unreachable, above the ` +
      `${options.maxSharePercent} % this node may remove: check the share and the mappings, or raise the limit`;
  }
  if (options.dryRun)
    return result({ status: 'dry-run', ok: true, reason: refusal && `a clean would be refused: ${refusal}` });
  if (!options.confirmed) {
    return result({
      status: 'refused',
      ok: false,
      reason: 'cleaning is off until "I understand" is ticked in the node',
    });
  }
  if (refusal) return result({ status: 'refused', ok: false, reason: refusal });
  const playing = (await getKodiPlayback(conn)).at(0);
  if (playing) {
    return result({
      status: 'refused',
      ok: false,
      reason: `"${playing.title}" is playing: no clean during playback`,
    });
  }

  return queueFor(conn).run(async () => {
    if (await isScanningVideo(conn)) {
      return result({
        status: 'refused',
        ok: false,
        reason: 'a library scan is running: Kodi refuses a clean then',
      });
    }
    const recorder = new NotificationRecorder(conn);
    let completion: 'event' | 'polling';
    let finished: boolean;
    try {
      const call = cleanCall(options.content ?? 'video');
      await conn.call(call.method, call.params);
      sent.push(call);
      const end = await waitForScanEnd(conn, recorder, {
        timeoutMs: options.timeoutMs ?? 300000,
        startEvent: KODI_EVENTS.cleanStarted,
        doneEvent: KODI_EVENTS.cleanFinished,
        safetyPoll: false, // Library.IsScanningVideo does not cover a clean
        signal: options.signal,
      });
      completion = end.via;
      finished = end.finished;
    } finally {
      recorder.stop();
    }
    const left = new Set((await listAllVideoFiles(conn)).map(key));
    const removed = unreachable.filter((i) => !left.has(key(i)));
    if (!finished) {
      return result({
        status: 'timed-out',
        ok: false,
        reason: 'Kodi did not finish the clean in time',
        removed,
        completion,
      });
    }
    return result({ status: 'cleaned', ok: true, removed, completion });
  });
}
