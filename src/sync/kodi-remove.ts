/** Remove on one Kodi: the library items at a path (never the files), never while one of them plays, verified. */
import type { KodiConnection } from '../players/kodi/connection';
import { pause } from '../players/kodi/events';
import { KodiItem, KodiItemType, findItemsByPath, removeCall } from '../players/kodi/library';
import { getKodiPlayback } from '../players/kodi/playback';
import { isUnder, splitFile } from '../core/paths';
import { SentCall, SyncResult, SyncTarget } from '../core/result';
import { queueFor } from '../core/serial-queue';

import { KodiPlayerRef, inKodiForm, toResultItems, typesFor, pickItems } from './kodi-common';

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
  const sent: SentCall[] = [];
  const types = typesFor(options.type, target.isFile);
  const base = {
    action: 'remove' as const,
    player: player.name,
    playerType: 'kodi' as const,
    libraryPath: target.libraryPath,
    playerPath: target.playerPath,
    sent,
  };
  const found = await findItemsByPath(conn, target.playerPath, { isFile: target.isFile, types });
  const chosen = pickItems(found, target);
  if (chosen.length === 0) {
    return { ...base, status: 'not-in-library', ok: true, items: [], tookMs: Date.now() - started };
  }
  const playing = await playingAmong(conn, found, target);
  if (playing) {
    return {
      ...base,
      status: 'refused',
      ok: false,
      reason: `"${playing}" is playing on ${player.name}: nothing was removed; send it again after playback stops`,
      items: toResultItems(chosen),
      tookMs: Date.now() - started,
    };
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
    const now = await findItemsByPath(conn, target.playerPath, { isFile: target.isFile, types });
    left = now.filter((i) => ids.has(`${i.type}:${i.id}`));
    if (left.length === 0 || Date.now() - started > timeoutMs) break;
    await pause(options.pollMs ?? 200, undefined, options.signal);
  }
  if (left.length > 0) {
    return {
      ...base,
      status: 'not-verified',
      ok: false,
      reason: `Kodi answered OK but still lists ${left.map((i) => `"${i.title}"`).join(', ')}`,
      items: toResultItems(left),
      tookMs: Date.now() - started,
    };
  }
  return { ...base, status: 'removed', ok: true, items: toResultItems(chosen), tookMs: Date.now() - started };
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
