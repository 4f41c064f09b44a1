/** The result every sync node puts in msg.payload: what happened, where, what was sent and what was verified. */
import type { SentCall } from '../players/kodi/library';

export type PlayerType = 'kodi' | 'jellyfin' | 'plex';

export type SyncStatus =
  | 'verified' // the library was checked after the action and holds (or no longer holds) the item
  | 'scanned' // done and waited for, but not verified (verify off)
  | 'sent' // sent, not waited for (wait off)
  | 'not-verified' // done, but the library does not show the expected state
  | 'timed-out'
  | 'removed'
  | 'not-in-library'
  | 'refused';

export interface ResultItem {
  id: number | string;
  type: string;
  title: string;
  file?: string;
}

export interface SyncResult {
  status: SyncStatus;
  /** True for the outcomes that go to output 1. */
  ok: boolean;
  /** Why, for anything but a plain success. */
  reason?: string;
  action: 'scan' | 'refresh' | 'remove' | 'clean';
  player: string;
  playerType: PlayerType;
  libraryPath: string;
  playerPath: string;
  /** The library items found at the path after the action (before it, for a removal). */
  items: ResultItem[];
  /** The calls that changed something, in order. */
  sent: SentCall[];
  /** How the end of the player's work was detected. */
  completion?: 'event' | 'polling';
  /** Set when a fallback was used: a full library scan, a scan instead of a refresh, a path update instead of
   *  an item refresh. */
  fallback?: 'full-scan' | 'scan' | 'path';
  tookMs: number;
  [extra: string]: unknown;
}

/** The library path and the player path of one change, with what the path names. */
export interface SyncTarget {
  libraryPath: string;
  playerPath: string;
  /** The path names a file (otherwise a folder). */
  isFile: boolean;
}

const MEDIA_EXTENSIONS = new Set([
  'mkv',
  'mp4',
  'm4v',
  'avi',
  'mov',
  'wmv',
  'mpg',
  'mpeg',
  'ts',
  'm2ts',
  'mts',
  'iso',
  'vob',
  'webm',
  'flv',
  'ogv',
  'divx',
  'xvid',
  '3gp',
  'strm',
  'nfo',
  'srt',
  'ass',
  'ssa',
  'sub',
  'idx',
  'jpg',
  'jpeg',
  'png',
  'tbn',
  'mp3',
  'flac',
]);

/** Whether a path names a media or sidecar file (a folder like "Film.2020.x264" does not). */
export function looksLikeFile(path: string): boolean {
  if (/[\\/]$/.test(path)) return false;
  const m = /\.([a-z0-9]{1,5})$/i.exec(path);
  return m !== null && MEDIA_EXTENSIONS.has(m[1].toLowerCase());
}

/** What happened to a library path: the change items of player-sync and the arr webhooks. */
export type ChangeAction = 'added' | 'updated' | 'removed';

export const CHANGE_ACTIONS: readonly ChangeAction[] = ['added', 'updated', 'removed'];

/** The result's `action` for a change. */
export function actionName(action: ChangeAction): SyncResult['action'] {
  return action === 'added' ? 'scan' : action === 'updated' ? 'refresh' : 'remove';
}

/** The result maker of one sync call: the fields all its results share, the calls it sent, its start time. */
export function resultBuilder(
  common: Pick<SyncResult, 'action' | 'player' | 'playerType' | 'libraryPath' | 'playerPath'> &
    Record<string, unknown>,
  sent: SentCall[],
  started: number,
): (fields: Partial<SyncResult> & Pick<SyncResult, 'status' | 'ok'>) => SyncResult {
  return (fields) => ({ ...common, items: [], sent, tookMs: Date.now() - started, ...fields });
}
