/**
 * Jellyfin: a targeted update of the folder of a change (or a refresh of its item), then verification that the
 * library really holds, or no longer holds, the item. Jellyfin answers 204 to /Library/Media/Updated whatever
 * the path, and acts only after its LibraryMonitorDelay (60 s by default): the wait allows for that.
 */
import { JellyfinClient, productOf } from '../players/jellyfin/client';
import {
  ItemRefreshOptions,
  JellyfinItem,
  UpdateType,
  describeLibraries,
  findItemsByPath,
  getLibraries,
  libraryFor,
  mediaUpdated,
  nearestFolderItem,
  refreshItem,
  refreshLibrary,
} from '../players/jellyfin/library';
import { pollUntil } from './poll';
import { splitFile } from '../core/paths';
import { ChangeAction } from '../core/change';
import { actionName, startResult, ResultItem, SyncResult, SyncTarget } from '../core/result';
import { queueFor } from '../core/serial-queue';

/**
 * immediate: refresh the nearest item Jellyfin knows above the change (a show, a folder, the library) at once;
 * gentle (also 'path', its earlier name): tell Jellyfin the folder changed and let it wait for files to settle
 * (its LibraryMonitorDelay, 60 s by default); item: refresh the item's metadata and images; library: a full scan.
 */
export type JellyfinMode = 'immediate' | 'gentle' | 'path' | 'item' | 'library';

export interface JellyfinRefreshOptions extends Partial<ItemRefreshOptions> {
  mode?: JellyfinMode;
  action?: ChangeAction;
  wait?: boolean;
  verify?: boolean;
  /** Allow for the server's LibraryMonitorDelay (60 s by default, in gentle mode) plus the scan. */
  timeoutMs?: number;
  /** The longest pause between two looks at the library (the first is 250 ms, each next half as long again). */
  pollMs?: number;
  signal?: AbortSignal;
}

const UPDATE_TYPES: Record<ChangeAction, UpdateType> = {
  added: 'Created',
  updated: 'Modified',
  removed: 'Deleted',
};

const toResultItems = (items: JellyfinItem[]): ResultItem[] =>
  items.map((i) => ({ id: i.Id, type: i.Type.toLowerCase(), title: i.Name, file: i.Path }));

/** The folder Jellyfin should look at, without its trailing separator (as Jellyfin writes paths). */
function folderPath(target: SyncTarget): string {
  const { folder } = splitFile(target.playerPath, target.isFile);
  return folder.length > 1 ? folder.replace(/[\\/]+$/, '') : folder;
}

export async function jellyfinRefresh(
  player: { client: JellyfinClient; name: string },
  target: SyncTarget,
  options: JellyfinRefreshOptions = {},
): Promise<SyncResult> {
  const { client } = player;
  const action = options.action ?? 'added';
  const mode = options.mode ?? 'immediate';
  const { sent, result } = startResult('jellyfin', player.name, target, actionName(action), { mode });

  const product = productOf(client.endpoint);
  const libs = await getLibraries(client);
  const lib = libraryFor(libs, target.playerPath);
  if (!lib) {
    return result({
      status: 'not-verified',
      ok: false,
      reason:
        `"${target.playerPath}" is in no ${product} library (${describeLibraries(libs)}), and ${product} ignores ` +
        'changes there: add the folder to a library, or fix the path mapping',
    });
  }
  const find = (): Promise<JellyfinItem[]> => findItemsByPath(client, lib, target.playerPath, target.isFile);

  // For an update: when each item was last refreshed before we asked (the server's clock, not ours).
  const before = new Map<string, string | undefined>();
  // The action, one at a time per server.
  await queueFor(client).run(async () => {
    const current = action === 'updated' || mode === 'item' ? await find() : [];
    if (action === 'updated') for (const i of current) before.set(i.Id, i.DateLastRefreshed);
    if (mode === 'library') {
      await refreshLibrary(client);
      sent.push({ method: 'POST /Library/Refresh', params: {} });
      return;
    }
    if (mode === 'immediate' && (action !== 'updated' || current.length === 0)) {
      // What Jellyfin does after its LibraryMonitorDelay, without the delay: the nearest item it knows above the
      // change (the show for a new episode, the library for a new movie) is refreshed, and finds what is new or
      // gone below it. Missing metadata and images are filled in; nothing that is there is replaced.
      const start = await nearestFolderItem(client, lib, folderPath(target));
      const id = start?.Id ?? lib.ItemId;
      const refresh: ItemRefreshOptions = {
        metadataRefreshMode: 'Default',
        imageRefreshMode: 'Default',
        replaceAllMetadata: false,
        replaceAllImages: false,
      };
      await refreshItem(client, id, refresh);
      sent.push({
        method: `POST /Items/${id}/Refresh`,
        params: { ...refresh, itemPath: start?.Path ?? lib.Name },
      });
      return;
    }
    if ((mode === 'item' || mode === 'immediate') && action !== 'removed') {
      const items = current;
      const refresh: ItemRefreshOptions = {
        metadataRefreshMode: options.metadataRefreshMode ?? 'FullRefresh',
        imageRefreshMode: options.imageRefreshMode ?? 'FullRefresh',
        replaceAllMetadata: options.replaceAllMetadata ?? false,
        replaceAllImages: options.replaceAllImages ?? false,
      };
      for (const item of items.slice(0, 50)) {
        await refreshItem(client, item.Id, refresh);
        sent.push({ method: `POST /Items/${item.Id}/Refresh`, params: { ...refresh } });
      }
      if (items.length > 0) return;
      // Not in the library yet: tell Jellyfin about the folder instead.
    }
    const updates = [{ Path: folderPath(target), UpdateType: UPDATE_TYPES[action] }];
    await mediaUpdated(client, updates);
    sent.push({ method: 'POST /Library/Media/Updated', params: { Updates: updates } });
  });

  const fallback: SyncResult['fallback'] =
    mode === 'item' && !sent.some((c) => c.method.startsWith('POST /Items/')) ? 'path' : undefined;
  if (options.wait === false) return result({ status: 'sent', ok: true, fallback });
  // Completion and verification are one here: Jellyfin gives no event for a Media/Updated call.
  const expectGone = action === 'removed';
  const refreshedSince = (i: JellyfinItem): boolean =>
    !before.has(i.Id) || i.DateLastRefreshed === undefined || i.DateLastRefreshed !== before.get(i.Id);
  const outcome = await pollUntil(
    find,
    (items) =>
      expectGone
        ? items.length === 0
        : items.length > 0 && (action !== 'updated' || items.every(refreshedSince)),
    {
      timeoutMs: options.timeoutMs ?? 180000,
      pollMs: options.pollMs ?? 5000,
      firstPollMs: 250,
      signal: options.signal,
    },
  );
  const items = toResultItems(outcome.value);
  const base = { items, completion: 'polling' as const, fallback, waitedMs: outcome.waitedMs };
  if (options.verify === false) return result({ ...base, status: 'scanned', ok: true });
  if (outcome.ok) return result({ ...base, status: expectGone ? 'removed' : 'verified', ok: true });
  const seconds = Math.round(outcome.waitedMs / 1000);
  return result({
    ...base,
    status: 'not-verified',
    ok: false,
    reason: expectGone
      ? `${product} still lists ${items.map((i) => `"${i.title}"`).join(', ')} after ${seconds} s`
      : `after ${seconds} s ${product} has no${action === 'updated' ? ' freshly refreshed' : ''} item at ` +
        `"${target.playerPath}" in library "${lib.Name}": check that the file is there for the server and that ` +
        "the timeout allows for the server's library monitor delay (Dashboard → Libraries)",
  });
}
