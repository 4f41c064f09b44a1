/**
 * Targeted scan on one Kodi: the folder that holds a path (the show folder for a show Kodi does not know yet),
 * through that Kodi's queue, waited for by its notifications (or by polling) and verified in the library. A scan
 * that is already running (started by anyone) is waited out first, never stopped.
 */
import type { KodiConnection } from '../players/kodi/connection';
import {
  NotificationRecorder,
  decodeLibraryUpdate,
  waitForScanEnd,
  waitOutRunningScan,
} from '../players/kodi/events';
import {
  findItemsByPath,
  findItemsByPaths,
  findShowByFolder,
  getVideoSources,
  KodiItem,
  KODI_ITEM_TYPES,
  KodiItemType,
  KodiSource,
  listDirectory,
  scanCall,
} from '../players/kodi/library';
import { parentFolder, separatorOf, splitFile } from '../core/paths';
import { startResult, SentCall, SyncResult, SyncTarget } from '../core/result';
import { queueFor } from '../core/serial-queue';

import {
  DEFAULT_TIMEOUT_MS,
  KodiPlayerRef,
  KodiScanOptions,
  inKodiForm,
  kodiFormWith,
  toResultItems,
  typesFor,
} from './kodi-common';
import { describeSources, inSourceForm } from '../players/kodi/sources';

const SEASON_FOLDER = /^(season\s*\d+|specials|s\d{1,2})$/i;

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

  const find = (): Promise<KodiItem[]> =>
    findItemsByPath(conn, target.playerPath, {
      isFile: target.isFile,
      types: typesFor(options.type, target.isFile),
    });
  // Without notifications (Kodi's WebSocket off), the item in the library also ends the wait for a scan too quick
  // to be seen running.
  const expected =
    options.verify === false ? undefined : async (): Promise<boolean> => (await find()).length > 0;
  const added: KodiEvent[] = [];
  const scan = await queueFor(conn).run(() =>
    scanAndWait(conn, directory, sent, added, { ...options, timeoutMs, expected }),
  );
  if (scan.status) return result({ status: scan.status, ok: false, reason: scan.reason, directory, added });
  const base = { directory, completion: scan.completion, fallback: scan.fallback, added };
  if (options.wait === false) return result({ ...base, status: 'sent', ok: true });
  if (options.verify === false) return result({ ...base, status: 'scanned', ok: true });

  // Where the change did not say what it is, the scan's own notifications did (VideoLibrary.OnUpdate, added): one
  // query for those types first, the others only when it finds nothing.
  const told = options.type ? [] : addedTypes(added);
  let items =
    told.length > 0
      ? await findItemsByPath(conn, target.playerPath, { isFile: target.isFile, types: told })
      : [];
  if (items.length === 0) items = await find();
  if (items.length > 0) return result({ ...base, status: 'verified', ok: true, items: toResultItems(items) });
  // Kodi skips a folder that its directory cache does not list yet ("does not exist - skipping scan"), e.g. one
  // created after Kodi last listed the parent. Listing the parent refreshes that cache; then one more scan.
  await listDirectory(conn, parentFolder(directory)).catch(() => undefined);
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

/** The library item types Kodi said it added (a file is never a TV show: its folder is). */
function addedTypes(added: readonly KodiEvent[]): KodiItemType[] {
  const types = new Set(added.map((e) => e.type));
  return KODI_ITEM_TYPES.filter((t) => types.has(t));
}

/** Runs inside the Kodi's queue: waits out any running scan, scans, waits for the end (and falls back). */
export async function scanAndWait(
  conn: KodiConnection,
  directory: string,
  sent: SentCall[],
  added: KodiEvent[],
  options: KodiScanOptions & { timeoutMs: number; expected?: () => Promise<boolean> },
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
      const call = scanCall(dir);
      await conn.call(call.method, call.params);
      sent.push(call);
      if (options.wait === false) return { finished: true, via: 'event', sawScan: false, waitedMs: 0 };
      return await waitForScanEnd(conn, recorder, { ...waitOptions, timeoutMs, expected: options.expected });
    } finally {
      added.push(...addedItems(recorder));
      recorder.stop();
    }
  };

  const first = await scanOnce(directory, options.timeoutMs);
  if (first.finished) return { completion: first.via };
  const seconds = Math.round(options.timeoutMs / 1000);
  // A wait ended by its caller (a redeploy, Node-RED stopping) is no timeout: never a full scan for it.
  if (options.fallbackFullScan === false || options.signal?.aborted) {
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

/** How many children of a bulk one verification asks about (one library query per item type). */
const LOOKUP_CHUNK = 50;

/** One new folder (or file) of a bulk under one parent, with what its change says it holds. */
export interface ScanChild {
  target: SyncTarget;
  type?: KodiItemType;
}

/**
 * Many new folders under one parent: one scan of the parent (cheaper for Kodi past a handful of folders), then
 * all of them verified with one library query per item type for every 50 (matched here). A folder the library
 * still lacks is retried alone, with its own targeted scan; the others are not scanned again. With `verifyFirst`
 * (a scan of the parent began after these changes arrived), the library is asked first and only what it lacks is
 * scanned. One result per child, in order.
 */
export async function kodiScanUnder(
  player: KodiPlayerRef,
  parent: SyncTarget,
  children: readonly ScanChild[],
  options: KodiScanOptions & { verifyFirst?: boolean } = {},
): Promise<SyncResult[]> {
  const started = Date.now();
  const { conn } = player;
  const sources = await getVideoSources(conn);
  const forms = children.map((c) => kodiFormWith(sources, c.target).target);
  const results: (SyncResult | undefined)[] = children.map(() => undefined);
  const verified = (i: number, items: KodiItem[], extra: Record<string, unknown>): SyncResult => {
    const { result } = startResult('kodi', player.name, forms[i], 'scan', {}, started);
    return result({ status: 'verified', ok: true, items: toResultItems(items), ...extra });
  };
  /**
   * What the library holds at each child, 50 at a time; a query that fails counts its 50 as not found yet (each is
   * then retried alone, below), so one failed verification never sends the whole batch back.
   */
  /** Whether a query failed (read through an object: it is set inside lookUp's awaits). */
  const lookUpState = { failed: false };
  const lookUpFailed = (): boolean => lookUpState.failed;
  const lookUp = async (indexes: number[]): Promise<KodiItem[][]> => {
    const found: KodiItem[][] = [];
    for (let from = 0; from < indexes.length; from += LOOKUP_CHUNK) {
      const chunk = indexes.slice(from, from + LOOKUP_CHUNK);
      const answers = await findItemsByPaths(
        conn,
        chunk.map((i) => ({
          path: forms[i].playerPath,
          isFile: forms[i].isFile,
          types: typesFor(children[i].type, forms[i].isFile),
        })),
      ).catch((): KodiItem[][] => {
        lookUpState.failed = true;
        return chunk.map(() => []);
      });
      found.push(...answers);
    }
    return found;
  };
  let left = children.map((_, i) => i);
  if (options.verifyFirst) {
    const found = await lookUp(left);
    left = left.filter((i, n) => {
      if (found[n].length === 0) return true;
      results[i] = verified(i, found[n], { coveredBy: 'an earlier scan of the parent', sent: [] });
      return false;
    });
  }
  if (left.length > 0) {
    const scan = await kodiScan(player, parent, { ...options, verify: false });
    const shared = { directory: scan.directory, completion: scan.completion, fallback: scan.fallback };
    if (!scan.ok) {
      for (const i of left) {
        results[i] = {
          ...scan,
          libraryPath: children[i].target.libraryPath,
          playerPath: forms[i].playerPath,
          scannedParent: parent.playerPath,
          tookMs: Date.now() - started,
        };
      }
      left = [];
    }
    let sent = scan.sent;
    lookUpState.failed = false; // what counts is the lookup after this scan
    let found = await lookUp(left);
    // Kodi skips a folder its directory cache does not list yet ("does not exist - skipping scan"): a parent made
    // after Kodi last listed the folder above it, as a new bulk folder is. When the parent's scan brought in none
    // of the batch (as far as the library could be asked), listing the folder above refreshes that cache, and the
    // parent is scanned once more, before any child is scanned alone.
    let rescanned = false;
    if (left.length > 1 && !lookUpFailed() && found.every((items) => items.length === 0)) {
      const directory = typeof scan.directory === 'string' ? scan.directory : parent.playerPath;
      await listDirectory(conn, parentFolder(directory)).catch(() => undefined);
      const again = await kodiScan(player, parent, { ...options, verify: false });
      sent = [...sent, ...again.sent];
      if (again.ok) {
        found = await lookUp(left);
        rescanned = true;
      }
    }
    const missing: number[] = [];
    left.forEach((i, n) => {
      if (found[n].length === 0) missing.push(i);
      else
        results[i] = verified(i, found[n], {
          ...shared,
          sent,
          scannedParent: parent.playerPath,
          ...(rescanned ? { rescanned } : {}),
        });
    });
    // One that the parent's scan did not bring in is retried alone (its own scan, and Kodi's directory cache
    // refreshed): never the whole batch again.
    for (const i of missing) {
      const own = await kodiScan(player, children[i].target, { ...options, type: children[i].type });
      results[i] = { ...own, scannedParent: parent.playerPath, sent: [...sent, ...own.sent] };
    }
  }
  return results.map((r) => r as SyncResult);
}

/** A change begun before a restart, to be checked on this Kodi. */
export interface BegunChange {
  target: SyncTarget;
  action: 'added' | 'updated' | 'removed';
  type?: KodiItemType;
}

/**
 * Which changes are already done on this Kodi, asked of its library without sending anything (one query per item
 * type for every 50): a new path is in the library, a removed one is not. Undefined for one that is not, and for a
 * refresh, which leaves nothing to check.
 */
export async function kodiAlreadyDone(
  player: KodiPlayerRef,
  changes: readonly BegunChange[],
): Promise<(SyncResult | undefined)[]> {
  const started = Date.now();
  const sources = await getVideoSources(player.conn);
  const asked = changes
    .map((c, index) => ({ ...c, index, target: kodiFormWith(sources, c.target).target }))
    .filter((c) => c.action !== 'updated');
  const found = await findItemsByPaths(
    player.conn,
    asked.map((c) => ({
      path: c.target.playerPath,
      isFile: c.target.isFile,
      types: typesFor(c.type, c.target.isFile),
    })),
  );
  const answers: (SyncResult | undefined)[] = changes.map(() => undefined);
  asked.forEach((c, n) => {
    const items = found[n];
    const { result } = startResult(
      'kodi',
      player.name,
      c.target,
      c.action === 'added' ? 'scan' : 'remove',
      {},
      started,
    );
    if (c.action === 'added' && items.length > 0) {
      answers[c.index] = result({ status: 'verified', ok: true, items: toResultItems(items) });
    } else if (c.action === 'removed' && items.length === 0) {
      answers[c.index] = result({ status: 'removed', ok: true });
    }
  });
  return answers;
}
