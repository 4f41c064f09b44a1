/**
 * Plex: a partial scan of the folder of a change (or a metadata refresh of its item), waiting until the section
 * stops refreshing, then verification by the files of the section's items (listed page by page). Plex answers
 * 200 to a refresh whose path matches nothing, so only the listing tells.
 */
import type { PlexClient } from '../players/plex/client';
import type { PlexActivity, PlexNotifications } from '../players/plex/notifications';
import {
  PlexItem,
  PlexSection,
  describeSections,
  findItemsByPath,
  getSections,
  isRefreshing,
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
  player: { client: PlexClient; name: string; notifications?: PlexNotifications },
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
  // Listening before anything is sent: the section's refresh can end before the answer to the request is read.
  const heard = player.notifications ? new SectionActivity(player.notifications, section.key) : undefined;
  const waitIdle = (): Promise<{ ok: boolean; via: 'event' | 'polling' }> =>
    waitSectionDone(client, section, heard, timeoutMs, pollMs, options);
  const refreshAndVerify = async (): Promise<SyncResult> => {
    const completion = await queueFor(client).run(async () => {
      if (mode === 'item' && action !== 'removed') {
        const items = await find();
        for (const item of items.slice(0, 50))
          sent.push({ method: await refreshMetadata(client, item.ratingKey), params: {} });
        if (items.length > 0) return options.wait === false ? undefined : waitIdle();
        fallback = 'path';
      }
      const { folder } = splitFile(target.playerPath, target.isFile);
      sent.push(await requestPartialScan(client, section, folder));
      return options.wait === false ? undefined : waitIdle();
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
    const base = { items, completion: completion?.via ?? ('polling' as const), fallback };
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
  };
  try {
    return await refreshAndVerify();
  } finally {
    heard?.stop();
  }
}

/** What the notification socket says of one section's refresh, heard from before the request on. */
class SectionActivity {
  private readonly wakers = new Set<() => void>();
  /** A refresh of the section was seen starting, and ending. */
  started = false;
  ended = false;
  /** The socket was up from the start and stayed up: nothing can have been missed. */
  private readonly upAtStart: boolean;
  private dropped = false;
  private readonly onActivity = (a: PlexActivity): void => {
    if (a.type !== SECTION_REFRESH || a.sectionKey !== this.sectionKey) return;
    if (a.event === 'started') this.started = true;
    if (a.event === 'ended') this.ended = true;
    this.wake();
  };
  private readonly onState = (): void => {
    if (!this.notifications.up) this.dropped = true;
    this.wake();
  };

  constructor(
    private readonly notifications: PlexNotifications,
    private readonly sectionKey: string,
  ) {
    this.upAtStart = notifications.up;
    notifications.on('activity', this.onActivity);
    notifications.on('state', this.onState);
  }

  /** Whether every notification since the start can have reached us. */
  reliable(): boolean {
    return this.upAtStart && !this.dropped && this.notifications.up;
  }

  /** Resolves on the next notification for the section, a change of the socket, or after `ms`. */
  next(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wakers.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  stop(): void {
    this.notifications.off('activity', this.onActivity);
    this.notifications.off('state', this.onState);
    this.wake();
  }
}

/** Plex's activity for a section's scan. */
const SECTION_REFRESH = 'library.update.section';

/**
 * Waits until the section's refresh is over: its `ended` activity on the notification socket where that is up
 * (with a look at the section now and then, in case a notification was lost), otherwise polling (see below).
 */
async function waitSectionDone(
  client: PlexClient,
  section: PlexSection,
  heard: SectionActivity | undefined,
  timeoutMs: number,
  pollMs: number,
  options: PlexRefreshOptions,
): Promise<{ ok: boolean; via: 'event' | 'polling' }> {
  const started = Date.now();
  const settleMs = options.settleMs ?? 2000;
  const refreshing = (): Promise<boolean> => isRefreshing(client, section.key);
  while (heard?.reliable()) {
    if (heard.ended) return { ok: true, via: 'event' };
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs || options.signal?.aborted) return { ok: false, via: 'event' };
    // No refresh announced within the settle time (a path Plex had nothing to do for), or a long one: look.
    if (elapsed >= settleMs && !heard.started && !(await refreshing())) return { ok: true, via: 'polling' };
    await heard.next(Math.min(heard.started ? 5000 : settleMs, timeoutMs - elapsed), options.signal);
  }
  const left = Math.max(0, timeoutMs - (Date.now() - started));
  return {
    ...(await waitIdle(client, section, left, pollMs, options, heard?.started === true)),
    via: 'polling',
  };
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
  seenBefore = false,
): Promise<{ ok: boolean }> {
  const settleMs = options.settleMs ?? 2000;
  const started = Date.now();
  let seen = seenBefore;
  const outcome = await pollUntil(
    () => isRefreshing(client, section.key),
    (refreshing) => {
      if (refreshing) seen = true;
      return !refreshing && (seen || Date.now() - started >= settleMs);
    },
    { timeoutMs, pollMs: Math.min(pollMs, settleMs), firstPollMs: 100, signal: options.signal },
  );
  return { ok: outcome.ok };
}
