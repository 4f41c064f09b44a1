/** Refresh on one Kodi: re-read the NFO and artwork of the item at a path (scan it when it is new), verified. */
import { NotificationRecorder, decodeLibraryUpdate, pause } from '../players/kodi/events';
import { KodiItemType, refreshCall } from '../players/kodi/library';
import { SyncResult, SyncTarget, startResult } from '../core/result';
import { queueFor } from '../core/serial-queue';

import {
  DEFAULT_TIMEOUT_MS,
  KodiPlayerRef,
  KodiScanOptions,
  inKodiForm,
  toResultItems,
  itemsAt,
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
  const { chosen } = await itemsAt(conn, target, options.type);
  if (chosen.length === 0) {
    const scanned = await kodiScan(player, given, options);
    return { ...scanned, action: 'refresh', fallback: 'scan', tookMs: Date.now() - started };
  }
  const { sent, result } = startResult('kodi', player.name, target, 'refresh', {}, started);
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
  const base = { completion, before: toResultItems(chosen) };
  if (options.wait === false) return result({ ...base, status: 'sent', ok: true });
  const items = toResultItems((await itemsAt(conn, target, options.type)).chosen);
  if (items.length === 0) {
    return result({
      ...base,
      status: 'not-verified',
      ok: false,
      reason: `after the refresh Kodi has nothing at "${target.playerPath}" (is the .nfo file still valid?)`,
    });
  }
  return result({ ...base, status: 'verified', ok: true, items });
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
