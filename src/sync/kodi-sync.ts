/**
 * Action → completion → verification for one Kodi: targeted scan, refresh and remove of the item at a path.
 * Every library-changing call on one Kodi goes through that Kodi's queue, one at a time, and a scan that is
 * already running (started by anyone) is waited out first, never stopped.
 */
import type { KodiConnection } from '../players/kodi/connection';
import {
  NotificationRecorder,
  decodeLibraryUpdate,
  pause,
  waitForScanEnd,
  waitOutRunningScan,
} from '../players/kodi/events';
import {
  KodiItem,
  KodiItemType,
  KodiSource,
  findItemsByPath,
  findShowByFolder,
  getVideoSources,
  refreshCall,
  removeCall,
} from '../players/kodi/library';
import { getKodiPlayback } from '../players/kodi/playback';
import { isUnder, parentFolder, parsePath, separatorOf, splitFile } from '../core/paths';
import { startResult, ResultItem, SentCall, SyncResult, SyncTarget } from '../core/result';
import { queueFor } from '../core/serial-queue';
import { episodeTitle } from '../core/playback';

export interface KodiScanOptions {
  /** Wait for the scan to finish (default true). */
  wait?: boolean;
  /** Check the library for the item afterwards (default true). */
  verify?: boolean;
  timeoutMs?: number;
  /** When the targeted scan does not finish in time: scan the whole library instead (default true). */
  fallbackFullScan?: boolean;
  fallbackTimeoutMs?: number;
  /** What the path holds, when known: narrows the search and picks the right folder for TV. */
  type?: KodiItemType;
  pollMs?: number;
  signal?: AbortSignal;
}

export interface KodiPlayerRef {
  conn: KodiConnection;
  /** The name to show in results (config node name or label). */
  name: string;
}

const DEFAULT_TIMEOUT_MS = 60000;
const SEASON_FOLDER = /^(season\s*\d+|specials|s\d{1,2})$/i;

function toResultItems(items: KodiItem[]): ResultItem[] {
  return items.map((i) => ({
    id: i.id,
    type: i.type,
    title:
      i.type === 'episode' && i.showTitle ? episodeTitle(i.showTitle, i.season, i.episode, i.title) : i.title,
    file: i.file,
  }));
}

/** The source holding `path` (longest match), or undefined. */
export function sourceFor(sources: KodiSource[], path: string): KodiSource | undefined {
  return sources
    .filter((s) => isUnder(path, s.file))
    .sort((a, b) => b.file.length - a.file.length)
    .at(0);
}

/** `folder` (under `source`) re-written with the source's own prefix text, so separators and case are Kodi's. */
export function inSourceForm(folder: string, source: KodiSource): string {
  const sep = separatorOf(source.file);
  const root = source.file.endsWith(sep) ? source.file : source.file + sep;
  try {
    const rest = parsePath(folder).segments.slice(parsePath(source.file).segments.length);
    return rest.length === 0 ? root : root + rest.join(sep) + sep;
  } catch {
    return folder;
  }
}

/**
 * The target as Kodi writes it: the mapped path re-written with the prefix of the source that holds it (Kodi's
 * path filters compare exactly, so "d:\\movies" would not find "D:\\Movies"). Unchanged outside every source.
 */
export async function inKodiForm(
  conn: KodiConnection,
  target: SyncTarget,
): Promise<{ target: SyncTarget; source?: KodiSource; sources: KodiSource[] }> {
  const sources = await getVideoSources(conn);
  const source = sourceFor(sources, target.playerPath);
  if (!source) return { target, sources };
  const { folder, name } = splitFile(target.playerPath, target.isFile);
  let playerPath = inSourceForm(folder, source) + name;
  if (!target.isFile && !/[\\/]$/.test(target.playerPath)) playerPath = playerPath.replace(/[\\/]$/, '');
  return { target: { ...target, playerPath }, source, sources };
}

/**
 * The folder to scan for a path: the item's own folder, except for TV, where Kodi adds nothing when a season
 * folder of a show it does not know yet is scanned: then the show folder.
 */
async function scanDirectory(
  conn: KodiConnection,
  source: KodiSource,
  folder: string,
  type: KodiItemType | undefined,
): Promise<string> {
  const direct = inSourceForm(folder, source);
  const sep = separatorOf(source.file);
  const root = inSourceForm(source.file, source);
  const below = direct.slice(root.length).split(sep).filter(Boolean);
  const last = below.at(-1) ?? '';
  const isTv = type === 'episode' || type === 'tvshow' || SEASON_FOLDER.test(last);
  if (!isTv || below.length < 2) return direct;
  const showFolder = root + below[0] + sep;
  const show = await findShowByFolder(conn, showFolder);
  return show ? direct : showFolder;
}

function typesFor(type: KodiItemType | undefined, isFile: boolean): KodiItemType[] | undefined {
  if (type === 'tvshow') return ['tvshow', 'episode'];
  if (type) return [type];
  return isFile ? ['movie', 'episode', 'musicvideo'] : undefined;
}

function describeSources(sources: KodiSource[]): string {
  return sources.length ? sources.map((s) => `${s.label}: ${s.file}`).join('; ') : 'Kodi has no video source';
}

/** Targeted scan of the folder that holds `target`, waited for and verified. */
export async function kodiScan(
  player: KodiPlayerRef,
  given: SyncTarget,
  options: KodiScanOptions = {},
): Promise<SyncResult> {
  const started = Date.now();
  const { conn } = player;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { target, source, sources } = await inKodiForm(conn, given);
  const { sent, result } = startResult('kodi', player.name, target, 'scan', {}, started);

  if (!source) {
    return result({
      status: 'not-verified',
      ok: false,
      reason:
        `"${target.playerPath}" is outside every Kodi video source (${describeSources(sources)}), and Kodi ` +
        'ignores a scan there: add the folder as a source in Kodi, or fix the path mapping',
    });
  }
  const { folder } = splitFile(target.playerPath, target.isFile);
  const directory = await scanDirectory(conn, source, folder, options.type);

  const added: KodiEvent[] = [];
  const scan = await queueFor(conn).run(() =>
    scanAndWait(conn, directory, sent, added, { ...options, timeoutMs }),
  );
  if (scan.status) return result({ status: scan.status, ok: false, reason: scan.reason, directory, added });
  const base = { directory, completion: scan.completion, fallback: scan.fallback, added };
  if (options.wait === false) return result({ ...base, status: 'sent', ok: true });
  if (options.verify === false) return result({ ...base, status: 'scanned', ok: true });

  const find = (): Promise<KodiItem[]> =>
    findItemsByPath(conn, target.playerPath, {
      isFile: target.isFile,
      types: typesFor(options.type, target.isFile),
    });
  let items = await find();
  if (items.length > 0) return result({ ...base, status: 'verified', ok: true, items: toResultItems(items) });
  // Kodi skips a folder that its directory cache does not list yet ("does not exist - skipping scan"), e.g. one
  // created after Kodi last listed the parent. Listing the parent refreshes that cache; then one more scan.
  await conn
    .call('Files.GetDirectory', { directory: parentFolder(directory), media: 'files' })
    .catch(() => undefined);
  const again = await queueFor(conn).run(() =>
    scanAndWait(conn, directory, sent, added, { ...options, timeoutMs }),
  );
  if (!again.status) {
    items = await find();
    if (items.length > 0) {
      return result({ ...base, status: 'verified', ok: true, items: toResultItems(items), rescanned: true });
    }
  }
  return result({
    ...base,
    status: 'not-verified',
    ok: false,
    reason:
      `Kodi scanned "${directory}" but its library has nothing at "${target.playerPath}": check that the folder ` +
      "holds a video with an .nfo file or a name Kodi's scraper knows, and that the source's content type is set",
  });
}

interface ScanOutcome {
  status?: 'timed-out';
  reason?: string;
  completion?: 'event' | 'polling';
  fallback?: 'full-scan';
}

/** An item a Kodi notification named. */
interface KodiEvent {
  id: number;
  type: string;
}

/** The items a recorder saw Kodi add (VideoLibrary.OnUpdate with added: true). */
function addedItems(recorder: NotificationRecorder): KodiEvent[] {
  return recorder.seen.flatMap((n) => {
    const update = decodeLibraryUpdate(n);
    return update?.added && update.id !== undefined
      ? [{ id: update.id, type: update.type ?? 'unknown' }]
      : [];
  });
}

/** Runs inside the Kodi's queue: waits out any running scan, scans, waits for the end (and falls back). */
async function scanAndWait(
  conn: KodiConnection,
  directory: string,
  sent: SentCall[],
  added: KodiEvent[],
  options: KodiScanOptions & { timeoutMs: number },
): Promise<ScanOutcome> {
  const waitOptions = { timeoutMs: options.timeoutMs, pollMs: options.pollMs, signal: options.signal };
  const before = await waitOutRunningScan(conn, waitOptions);
  if (!before.idle) {
    return {
      status: 'timed-out',
      reason:
        `Kodi was still busy with another library scan after ${Math.round(before.waitedMs / 1000)} s; the scan ` +
        `of "${directory}" was not sent, so as not to stop that one`,
    };
  }
  const scanOnce = async (
    dir: string,
    timeoutMs: number,
  ): Promise<Awaited<ReturnType<typeof waitForScanEnd>>> => {
    const recorder = new NotificationRecorder(conn);
    try {
      const params = { directory: dir, showdialogs: false };
      await conn.call('VideoLibrary.Scan', params);
      sent.push({ method: 'VideoLibrary.Scan', params });
      if (options.wait === false) return { finished: true, via: 'event', sawScan: false, waitedMs: 0 };
      return await waitForScanEnd(conn, recorder, { ...waitOptions, timeoutMs });
    } finally {
      added.push(...addedItems(recorder));
      recorder.stop();
    }
  };

  const first = await scanOnce(directory, options.timeoutMs);
  if (first.finished) return { completion: first.via };
  const seconds = Math.round(options.timeoutMs / 1000);
  if (options.fallbackFullScan === false) {
    return {
      status: 'timed-out',
      reason: `Kodi did not finish scanning "${directory}" within ${seconds} s`,
      completion: first.via,
    };
  }
  // The targeted scan did not finish in time. If it is still running, sending another Scan would stop it: wait it
  // out first, then scan the whole library.
  const fallbackMs = options.fallbackTimeoutMs ?? options.timeoutMs * 5;
  const busy = await waitOutRunningScan(conn, { ...waitOptions, timeoutMs: fallbackMs });
  if (!busy.idle) {
    return {
      status: 'timed-out',
      reason: `Kodi was still scanning "${directory}" ${seconds + Math.round(busy.waitedMs / 1000)} s after it was asked`,
      completion: first.via,
    };
  }
  const full = await scanOnce('', fallbackMs);
  if (!full.finished) {
    return {
      status: 'timed-out',
      reason:
        `the scan of "${directory}" did not finish within ${seconds} s, and the full library scan sent instead ` +
        `did not finish within ${Math.round(fallbackMs / 1000)} s`,
      completion: full.via,
      fallback: 'full-scan',
    };
  }
  return { completion: full.via, fallback: 'full-scan' };
}

export interface KodiRefreshOptions extends KodiScanOptions {
  /** Time for the refresh itself to show up. */
  refreshTimeoutMs?: number;
}

/** The items an action on `target` should touch: a show when the path is its folder, otherwise the videos. */
function pickItems(items: KodiItem[], target: SyncTarget): KodiItem[] {
  const { folder } = splitFile(target.playerPath, target.isFile);
  const show = items.find(
    (i) => i.type === 'tvshow' && !target.isFile && isUnder(i.file, folder) && isUnder(folder, i.file),
  );
  if (show) return [show];
  return items.filter((i) => i.type !== 'tvshow');
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

/**
 * Many new folders under one parent: one scan of the parent (cheaper for Kodi past a handful of folders), then
 * each folder verified on its own. One result per child, in order.
 */
export async function kodiScanUnder(
  player: KodiPlayerRef,
  parent: SyncTarget,
  children: SyncTarget[],
  options: KodiScanOptions = {},
): Promise<SyncResult[]> {
  const started = Date.now();
  const scan = await kodiScan(player, parent, { ...options, verify: false });
  return Promise.all(
    children.map(async (child): Promise<SyncResult> => {
      const base = {
        ...scan,
        libraryPath: child.libraryPath,
        playerPath: child.playerPath,
        scannedParent: parent.playerPath,
      };
      if (!scan.ok) return { ...base, tookMs: Date.now() - started };
      const { target } = await inKodiForm(player.conn, child);
      const items = await findItemsByPath(player.conn, target.playerPath, {
        isFile: target.isFile,
        types: typesFor(options.type, target.isFile),
      });
      return items.length > 0
        ? { ...base, status: 'verified', ok: true, items: toResultItems(items), tookMs: Date.now() - started }
        : {
            ...base,
            status: 'not-verified',
            ok: false,
            reason: `Kodi scanned "${parent.playerPath}" but its library has nothing at "${target.playerPath}"`,
            items: [],
            tookMs: Date.now() - started,
          };
    }),
  );
}
