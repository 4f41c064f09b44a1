/**
 * Plex: a partial scan of the folder of a change (or a metadata refresh of its item), waiting until the section
 * stops refreshing, then verification by the files of the section's items (listed page by page). Plex answers
 * 200 to a refresh whose path matches nothing, so only the listing tells.
 */
import type { PlexClient } from '../players/plex/client';
import {
  PlexItem,
  PlexSection,
  describeSections,
  findItemsByPath,
  getSections,
  refreshMetadata,
  requestPartialScan,
  sectionFor,
} from '../players/plex/library';
import { pollUntil } from './poll';
import { splitFile } from '../core/paths';
import { ChangeAction } from '../core/change';
import { actionName, startResult, ResultItem, SyncResult, SyncTarget } from '../core/result';
import { queueFor } from '../core/serial-queue';

export type PlexMode = 'path' | 'item';

export interface PlexRefreshOptions {
  mode?: PlexMode;
  action?: ChangeAction;
  wait?: boolean;
  verify?: boolean;
  timeoutMs?: number;
  pollMs?: number;
  /** How long "not refreshing" must last after the request when no refresh was seen (default 2 s). */
  settleMs?: number;
  pageSize?: number;
  signal?: AbortSignal;
}

const toResultItems = (items: PlexItem[]): ResultItem[] =>
  items.map((i) => ({ id: i.ratingKey, type: i.type, title: i.title, file: i.file }));

export async function plexRefresh(
  player: { client: PlexClient; name: string },
  target: SyncTarget,
  options: PlexRefreshOptions = {},
): Promise<SyncResult> {
  const { client } = player;
  const action = options.action ?? 'added';
  const mode = options.mode ?? 'path';
  const { sent, result } = startResult('plex', player.name, target, actionName(action), { mode });

  const sections = await getSections(client);
  const section = sectionFor(sections, target.playerPath);
  if (!section) {
    return result({
      status: 'not-verified',
      ok: false,
      reason:
        `"${target.playerPath}" is in no Plex library section (${describeSections(sections)}): add the folder ` +
        'to a section, or fix the path mapping',
    });
  }
  const find = (): Promise<PlexItem[]> =>
    findItemsByPath(client, section, target.playerPath, target.isFile, options.pageSize);
  const timeoutMs = options.timeoutMs ?? 120000;
  const pollMs = options.pollMs ?? 2000;

  let fallback: SyncResult['fallback'];
  const completion = await queueFor(client).run(async () => {
    if (mode === 'item' && action !== 'removed') {
      const items = await find();
      for (const item of items.slice(0, 50))
        sent.push({ method: await refreshMetadata(client, item.ratingKey), params: {} });
      if (items.length > 0)
        return options.wait === false ? undefined : waitIdle(client, section, timeoutMs, pollMs, options);
      fallback = 'path';
    }
    const { folder } = splitFile(target.playerPath, target.isFile);
    sent.push(await requestPartialScan(client, section, folder));
    return options.wait === false ? undefined : waitIdle(client, section, timeoutMs, pollMs, options);
  });
  if (options.wait === false) return result({ status: 'sent', ok: true, fallback });
  if (completion && !completion.ok) {
    return result({
      status: 'timed-out',
      ok: false,
      reason: `section "${section.title}" was still refreshing after ${Math.round(timeoutMs / 1000)} s`,
      fallback,
    });
  }
  const items = toResultItems(await find());
  const base = { items, completion: 'polling' as const, fallback };
  if (options.verify === false) return result({ ...base, status: 'scanned', ok: true });
  const gone = action === 'removed';
  if (gone ? items.length === 0 : items.length > 0)
    return result({ ...base, status: gone ? 'removed' : 'verified', ok: true });
  return result({
    ...base,
    status: 'not-verified',
    ok: false,
    reason: gone
      ? `Plex still lists ${items.map((i) => `"${i.title}"`).join(', ')}: if the files are gone, Plex keeps the ` +
        'items in its trash until it is emptied (Settings → Library → Empty trash automatically after every scan)'
      : `Plex scanned "${splitFile(target.playerPath, target.isFile).folder}" but section "${section.title}" has ` +
        `no item with a file at "${target.playerPath}": check that the file is there for the server and named ` +
        'the way Plex expects',
  });
}

/**
 * Waits until the section is no longer refreshing: after a refresh was seen, or once `settleMs` passed without
 * one (a small scan can be over before the first look).
 */
async function waitIdle(
  client: PlexClient,
  section: PlexSection,
  timeoutMs: number,
  pollMs: number,
  options: PlexRefreshOptions,
): Promise<{ ok: boolean }> {
  const settleMs = options.settleMs ?? 2000;
  const started = Date.now();
  let seen = false;
  const outcome = await pollUntil(
    async () => (await getSections(client)).find((s) => s.key === section.key)?.refreshing === true,
    (refreshing) => {
      if (refreshing) seen = true;
      return !refreshing && (seen || Date.now() - started >= settleMs);
    },
    { timeoutMs, pollMs: Math.min(pollMs, settleMs), signal: options.signal },
  );
  return { ok: outcome.ok };
}
