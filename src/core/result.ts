/** The result every sync node puts in msg.payload: what happened, where, what was sent and what was verified. */
import type { ChangeAction } from './change';

/** A call a sync node sent to a player, for the result's `sent` list. */
export interface SentCall {
  method: string;
  params: Record<string, unknown>;
}

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

/** The result's `action` for a change. */
export function actionName(action: ChangeAction): SyncResult['action'] {
  return action === 'added' ? 'scan' : action === 'updated' ? 'refresh' : 'remove';
}

/** The fields a sync call's outcome adds to what all its results share. */
export type ResultFields = Partial<SyncResult> & Pick<SyncResult, 'status' | 'ok'>;

/**
 * Starts the result of one sync call on one player: `result(fields)` makes each of its outcomes with the fields
 * they all share, the calls in `sent` and the time since `started`.
 */
export function startResult(
  playerType: PlayerType,
  player: string,
  target: SyncTarget,
  action: SyncResult['action'],
  extra: Record<string, unknown> = {},
  started = Date.now(),
): { sent: SentCall[]; result: (fields: ResultFields) => SyncResult } {
  const sent: SentCall[] = [];
  const common = {
    action,
    player,
    playerType,
    libraryPath: target.libraryPath,
    playerPath: target.playerPath,
    ...extra,
  };
  return {
    sent,
    result: (fields) => ({ ...common, items: [], sent, tookMs: Date.now() - started, ...fields }),
  };
}
