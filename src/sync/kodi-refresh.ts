/** Refresh on one Kodi: re-read the NFO and artwork of the item at a path (scan it when it is new), verified. */
import { NotificationRecorder, decodeLibraryUpdate, pause } from '../players/kodi/events';
import { KodiItemType, findItemsByPath, refreshCall } from '../players/kodi/library';
import { SentCall, SyncResult, SyncTarget } from '../core/result';
import { queueFor } from '../core/serial-queue';

import {
  DEFAULT_TIMEOUT_MS,
  KodiPlayerRef,
  KodiScanOptions,
  inKodiForm,
  toResultItems,
  typesFor,
  pickItems,
} from './kodi-common';
import { kodiScan } from './kodi-scan';

export interface KodiRefreshOptions extends KodiScanOptions {
  /** Time for the refresh itself to show up. */
  refreshTimeoutMs?: number;
}

/** Re-reads NFO and artwork of the item at a path; an item not yet in the library is scanned instead. */
export async function kodiRefresh(
  player: KodiPlayerRef,
  given: SyncTarget,
  options: KodiRefreshOptions = {},
): Promise<SyncResult> {
  const started = Date.now();
  const { conn } = player;
  const { target } = await inKodiForm(conn, given);
  const types = typesFor(options.type, target.isFile);
  const found = await findItemsByPath(conn, target.playerPath, { isFile: target.isFile, types });
  const chosen = pickItems(found, target);
  if (chosen.length === 0) {
    const scanned = await kodiScan(player, given, options);
    return { ...scanned, action: 'refresh', fallback: 'scan', tookMs: Date.now() - started };
  }
  const sent: SentCall[] = [];
  const timeoutMs = options.refreshTimeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const completion = await queueFor(conn).run(async () => {
    let via: 'event' | 'polling' = 'event';
    for (const item of chosen) {
      const recorder = new NotificationRecorder(conn);
      try {
        const call = refreshCall(item);
        await conn.call(call.method, call.params);
        sent.push(call);
        if (options.wait === false) continue;
        via = await waitForRefresh(recorder, item.type, timeoutMs, options);
      } finally {
        recorder.stop();
      }
    }
    return via;
  });
  const base = {
    action: 'refresh' as const,
    player: player.name,
    playerType: 'kodi' as const,
    libraryPath: target.libraryPath,
    playerPath: target.playerPath,
    sent,
    completion,
    before: toResultItems(chosen),
  };
  if (options.wait === false)
    return { ...base, status: 'sent', ok: true, items: [], tookMs: Date.now() - started };
  const after = await findItemsByPath(conn, target.playerPath, { isFile: target.isFile, types });
  const items = toResultItems(pickItems(after, target));
  if (items.length === 0) {
    return {
      ...base,
      status: 'not-verified',
      ok: false,
      reason: `after the refresh Kodi has nothing at "${target.playerPath}" (is the .nfo file still valid?)`,
      items,
      tookMs: Date.now() - started,
    };
  }
  return { ...base, status: 'verified', ok: true, items, tookMs: Date.now() - started };
}

/**
 * A refresh ends with `VideoLibrary.OnUpdate {added: true}` for the item's type (Kodi removes the item and adds
 * it again, sometimes under a new id). Without events, wait a moment and let verification speak.
 */
async function waitForRefresh(
  recorder: NotificationRecorder,
  type: KodiItemType,
  timeoutMs: number,
  options: KodiScanOptions,
): Promise<'event' | 'polling'> {
  const started = Date.now();
  const done = (): boolean =>
    recorder.seen.some((n) => {
      const update = decodeLibraryUpdate(n);
      return update?.added === true && update.type === type;
    });
  while (!done() && Date.now() - started < timeoutMs && !options.signal?.aborted) {
    if (!recorder.reliable()) {
      await pause(Math.min(1500, timeoutMs), undefined, options.signal);
      return 'polling';
    }
    await pause(timeoutMs - (Date.now() - started), recorder, options.signal);
  }
  return 'event';
}
