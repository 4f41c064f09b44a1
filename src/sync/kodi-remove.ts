/** Remove on one Kodi: the library items at a path (never the files), never while one of them plays, verified. */
import type { KodiConnection } from '../players/kodi/connection';
import { pause } from '../players/kodi/events';
import { KodiItem, KodiItemType, removeCall } from '../players/kodi/library';
import { getKodiPlayback } from '../players/kodi/playback';
import { isUnder, splitFile } from '../core/paths';
import { SyncResult, SyncTarget, startResult } from '../core/result';
import { queueFor } from '../core/serial-queue';

import { KodiPlayerRef, inKodiForm, toResultItems, itemsAt } from './kodi-common';

export interface KodiRemoveOptions {
  type?: KodiItemType;
  timeoutMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
}

/** Removes the item at a path from the library (never the files), refusing while it plays; verifies it is gone. */
export async function kodiRemove(
  player: KodiPlayerRef,
  given: SyncTarget,
  options: KodiRemoveOptions = {},
): Promise<SyncResult> {
  const started = Date.now();
  const { conn } = player;
  const { target } = await inKodiForm(conn, given);
  const { sent, result } = startResult('kodi', player.name, target, 'remove', {}, started);
  const { found, chosen } = await itemsAt(conn, target, options.type);
  if (chosen.length === 0) return result({ status: 'not-in-library', ok: true });
  const playing = await playingAmong(conn, found, target);
  if (playing) {
    return result({
      status: 'refused',
      ok: false,
      reason: `"${playing}" is playing on ${player.name}: nothing was removed; send it again after playback stops`,
      items: toResultItems(chosen),
    });
  }
  await queueFor(conn).run(async () => {
    for (const item of chosen) {
      const call = removeCall(item);
      await conn.call(call.method, call.params);
      sent.push(call);
    }
  });
  // Kodi answers "OK" even for an unknown id: look.
  const timeoutMs = options.timeoutMs ?? 10000;
  const ids = new Set(chosen.map((i) => `${i.type}:${i.id}`));
  let left: KodiItem[];
  for (;;) {
    const now = (await itemsAt(conn, target, options.type)).found;
    left = now.filter((i) => ids.has(`${i.type}:${i.id}`));
    if (left.length === 0 || Date.now() - started > timeoutMs) break;
    await pause(options.pollMs ?? 200, undefined, options.signal);
  }
  if (left.length > 0) {
    return result({
      status: 'not-verified',
      ok: false,
      reason: `Kodi answered OK but still lists ${left.map((i) => `"${i.title}"`).join(', ')}`,
      items: toResultItems(left),
    });
  }
  return result({ status: 'removed', ok: true, items: toResultItems(chosen) });
}

/** The title of what is playing among `items` (or under the target folder), if anything. */
async function playingAmong(
  conn: KodiConnection,
  items: KodiItem[],
  target: SyncTarget,
): Promise<string | undefined> {
  const sessions = await getKodiPlayback(conn);
  const { folder } = splitFile(target.playerPath, target.isFile);
  const hit = sessions.find(
    (s) =>
      items.some((i) => i.type === s.type && i.id === s.id) ||
      (s.file !== undefined && (target.isFile ? s.file === target.playerPath : isUnder(s.file, folder))),
  );
  return hit?.title;
}
