/**
 * What changed in a library since the last run: a feed (players/library-feed.ts) is listed section by section and
 * page by page and each item's fingerprint is compared with the one the last run kept in the store. Each page's
 * changes are handed on (and their fingerprints stored) before the next page is asked for, so memory holds one
 * page and the section's ids, never the whole listing. Knows nothing of Node-RED.
 *
 * A section is listed in one of four ways:
 * - `first`: nothing is kept for it yet; every item is "added".
 * - `incremental`: the server lists what changed since the last run's watermark (Plex, Jellyfin); then the
 *   section's count is asked. When it is what the kept items and the added ones make, nothing was removed; when
 *   not (a removal, or a filter the server ignored), the section is listed in full.
 * - `full`: every item, compared; what is kept but was not listed is "removed" (only after a complete listing).
 * - `deep`: as full, on demand, even where an incremental listing would do.
 *
 * Requests that fail for a reason that may pass (unreachable, timeout, a server error) are tried again after a
 * capped exponential backoff; a refused credential (401) or a wrong answer stops the run at once. A run that
 * stops keeps what it stored for the pages it finished: the next run does not report them again.
 */
import { PlayerError } from '../players/errors';
import {
  FEED_MAX_PAGE_SIZE,
  FeedPage,
  LibraryEntry,
  LibraryFeed,
  LibrarySection,
} from '../players/library-feed';
import { pageThrough } from '../players/watched-list';
import type { Collection } from './store';
import { isObject } from '../core/values';
import { backoffDelay, sleep } from '../core/time';

export type ChangeKind = 'added' | 'updated' | 'removed';
/** `present` / `missing-locally`: whether the library path exists on this machine; `gone`: off the server. */
export type FileState = 'present' | 'missing-locally' | 'gone' | 'unchecked';
export type SectionMode = 'first' | 'incremental' | 'full' | 'deep';

export interface LibraryChange {
  change: ChangeKind;
  section: string;
  id: string;
  type: LibraryEntry['type'];
  title: string;
  year?: number;
  show?: string;
  season?: number;
  episode?: number;
  /** The file as the server has it. */
  playerPath?: string;
  /** The file as this machine has it (the player's path mappings, backwards). */
  libraryPath?: string;
  file: FileState;
}

/** What the store keeps per item: plain data built here. */
export interface FingerprintRecord {
  /** The section's key. */
  s: string;
  f: string;
  t: string;
  y: LibraryEntry['type'];
  /** The player path. */
  p?: string;
}

/** What the store keeps per section. */
export interface SectionMark {
  /** The watermark for the next incremental listing. */
  w?: string;
  /** When the last complete run of the section ended (ms since the epoch). */
  at: number;
}

export interface SectionReport {
  section: string;
  mode: SectionMode;
  /** Rows the server listed for it in this run. */
  listed: number;
  added: number;
  updated: number;
  removed: number;
}

export interface RunSummary {
  added: number;
  updated: number;
  removed: number;
  deep: boolean;
  sections: SectionReport[];
  /** Requests sent, tries again included. */
  requests: number;
  durationMs: number;
}

export interface Progress {
  section: string;
  done: number;
  total?: number;
}

export interface Backoff {
  firstMs: number;
  maxMs: number;
  /** Tries per request, the first included. */
  attempts: number;
}

export const DEFAULT_BACKOFF: Backoff = { firstMs: 2000, maxMs: 60_000, attempts: 6 };

export interface LibraryChangesOptions {
  /** The library path of a player path (the player's path mappings, backwards). */
  toLibrary(playerPath: string): string;
  /** Whether a library path exists here; undefined: files are not checked. */
  exists?: (libraryPath: string) => Promise<boolean>;
  backoff?: Backoff;
  /** Told before each wait between tries. */
  onRetry?: (err: unknown, waitMs: number) => void;
  now?: () => number;
}

export interface RunOptions {
  deep?: boolean;
  pageSize: number;
  signal?: AbortSignal;
  /** Each page's changes, in order; the next page is asked for when the promise resolves. */
  onChanges(changes: LibraryChange[]): void | Promise<void>;
  onProgress?(progress: Progress): void;
}

const SEP = '\n';
const itemKey = (section: string, id: string): string => `${section}${SEP}${id}`;

const TYPES = new Set(['movie', 'episode']);

/** A stored fingerprint as written by this module, or undefined (a damaged record is dropped). */
export function checkFingerprint(v: unknown): FingerprintRecord | undefined {
  if (!isObject(v)) return undefined;
  const { s, f, t, y, p } = v;
  if (typeof s !== 'string' || typeof f !== 'string' || typeof t !== 'string') return undefined;
  if (typeof y !== 'string' || !TYPES.has(y)) return undefined;
  if (p !== undefined && typeof p !== 'string') return undefined;
  const record: FingerprintRecord = { s, f, t, y: y as LibraryEntry['type'] };
  if (p !== undefined) record.p = p;
  return record;
}

export function checkMark(v: unknown): SectionMark | undefined {
  if (!isObject(v) || typeof v.at !== 'number' || !Number.isFinite(v.at)) return undefined;
  if (v.w !== undefined && typeof v.w !== 'string') return undefined;
  return v.w === undefined ? { at: v.at } : { w: v.w, at: v.at };
}

export class RunStopped extends Error {
  constructor() {
    super('the run was stopped');
    this.name = 'RunStopped';
  }
}

/** Whether trying a failed request again may help. */
function worthRetrying(err: unknown): boolean {
  if (!(err instanceof PlayerError)) return false;
  if (err.code === 'auth' || err.code === 'config' || err.code === 'protocol' || err.code === 'too-large')
    return false;
  return err.retryable || (err.code === 'http' && (err.status ?? 0) >= 500);
}

export class LibraryChanges {
  private readonly backoff: Backoff;
  private readonly now: () => number;

  constructor(
    private readonly feed: LibraryFeed,
    private readonly items: Collection<FingerprintRecord>,
    private readonly marks: Collection<SectionMark>,
    private readonly options: LibraryChangesOptions,
  ) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.now = options.now ?? Date.now;
  }

  async run(run: RunOptions): Promise<RunSummary> {
    const { pageSize } = run;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > FEED_MAX_PAGE_SIZE) {
      throw new PlayerError({
        player: this.feed.label,
        call: 'library listing',
        code: 'config',
        reason: `the page size must be a whole number from 1 to ${FEED_MAX_PAGE_SIZE}, not ${String(pageSize)}`,
        fix: 'Set the page size in the node or send msg.pageSize within that range',
        retryable: false,
      });
    }
    const started = this.now();
    const summary: RunSummary = {
      added: 0,
      updated: 0,
      removed: 0,
      deep: run.deep === true,
      sections: [],
      requests: 0,
      durationMs: 0,
    };
    const sections = await this.attempt(summary, run.signal, () => this.feed.sections());
    for (const section of sections) {
      const report = await this.runSection(section, run, summary, started);
      summary.sections.push(report);
      summary.added += report.added;
      summary.updated += report.updated;
      summary.removed += report.removed;
    }
    await Promise.all([this.items.commit(), this.marks.commit()]);
    summary.durationMs = this.now() - started;
    return summary;
  }

  private async runSection(
    section: LibrarySection,
    run: RunOptions,
    summary: RunSummary,
    started: number,
  ): Promise<SectionReport> {
    const mark = this.marks.get(section.key);
    const report: SectionReport = {
      section: section.title,
      mode: run.deep ? 'deep' : !mark ? 'first' : this.feed.incremental && mark.w ? 'incremental' : 'full',
      listed: 0,
      added: 0,
      updated: 0,
      removed: 0,
    };
    let largest: number | undefined;
    const seen = (entry: LibraryEntry): void => {
      if (entry.stamp !== undefined && (largest === undefined || entry.stamp > largest))
        largest = entry.stamp;
    };
    if (report.mode === 'incremental') {
      await this.list(section, run, summary, report, { since: mark?.w, seen });
      const total = await this.attempt(summary, run.signal, () => this.feed.count(section));
      // What the server holds should be what was kept plus what was added; anything else means a removal (or a
      // change the filter did not show): the whole section is listed, and compared.
      if (total !== this.keptCount(section.key)) report.mode = 'full';
    }
    if (report.mode !== 'incremental') {
      const ids = new Set<string>();
      await this.list(section, run, summary, report, { ids, seen });
      await this.removeUnlisted(section, ids, run, report);
    }
    const w = this.feed.watermark(started, largest) ?? (report.mode === 'incremental' ? mark?.w : undefined);
    this.marks.set(section.key, w === undefined ? { at: this.now() } : { w, at: this.now() });
    return report;
  }

  private keptCount(sectionKey: string): number {
    const prefix = `${sectionKey}${SEP}`;
    let n = 0;
    for (const key of this.items.keys()) if (key.startsWith(prefix)) n++;
    return n;
  }

  /** Pages through the section (or what changed since `since`), handing on each page's changes. */
  private async list(
    section: LibrarySection,
    run: RunOptions,
    summary: RunSummary,
    report: SectionReport,
    how: { since?: string; ids?: Set<string>; seen: (e: LibraryEntry) => void },
  ): Promise<void> {
    let total: number | undefined;
    const progress = (): void => {
      run.onProgress?.({ section: section.title, done: report.listed, total });
    };
    // The paging loop every listing shares (players/watched-list.ts): a page is handed on before the next is asked.
    await pageThrough(
      this.feed.label,
      this.feed.call(section),
      run.pageSize,
      async (start, size) => {
        const page: FeedPage = await this.attempt(summary, run.signal, () =>
          this.feed.page(section, start, size, how.since),
        );
        report.listed += page.rows;
        total = page.total;
        if (page.entries.length === 0) progress();
        return page;
      },
      async (entries) => {
        const changes: LibraryChange[] = [];
        const records: [string, FingerprintRecord][] = [];
        for (const entry of entries) {
          how.seen(entry);
          how.ids?.add(entry.id);
          const key = itemKey(section.key, entry.id);
          const kept = this.items.get(key);
          if (kept && kept.f === entry.fingerprint) continue;
          changes.push(this.changeOf(kept ? 'updated' : 'added', section, entry));
          const record: FingerprintRecord = {
            s: section.key,
            f: entry.fingerprint,
            t: entry.title,
            y: entry.type,
          };
          if (entry.file !== undefined) record.p = entry.file;
          records.push([key, record]);
        }
        await this.checkFiles(changes);
        for (const c of changes) report[c.change === 'added' ? 'added' : 'updated']++;
        if (changes.length > 0) await run.onChanges(changes);
        // Stored once handed on: a crash between the two reports the page again next time, never loses it.
        if (records.length > 0) this.items.setMany(records);
        if (run.signal?.aborted) throw new RunStopped();
        progress();
      },
    );
  }

  /** After a complete listing: what is kept for the section and was not listed is gone from the server. */
  private async removeUnlisted(
    section: LibrarySection,
    ids: Set<string>,
    run: RunOptions,
    report: SectionReport,
  ): Promise<void> {
    const prefix = `${section.key}${SEP}`;
    const gone: string[] = [];
    for (const key of this.items.keys()) {
      if (key.startsWith(prefix) && !ids.has(key.slice(prefix.length))) gone.push(key);
    }
    for (let at = 0; at < gone.length; at += run.pageSize) {
      const keys = gone.slice(at, at + run.pageSize);
      const changes: LibraryChange[] = [];
      for (const key of keys) {
        const kept = this.items.get(key);
        if (!kept) continue;
        const change: LibraryChange = {
          change: 'removed',
          section: section.title,
          id: key.slice(prefix.length),
          type: kept.y,
          title: kept.t,
          file: 'gone',
        };
        if (kept.p !== undefined) {
          change.playerPath = kept.p;
          change.libraryPath = this.options.toLibrary(kept.p);
        }
        changes.push(change);
      }
      report.removed += changes.length;
      if (changes.length > 0) await run.onChanges(changes);
      this.items.deleteMany(keys);
      if (run.signal?.aborted) throw new RunStopped();
    }
  }

  private changeOf(kind: ChangeKind, section: LibrarySection, entry: LibraryEntry): LibraryChange {
    const change: LibraryChange = {
      change: kind,
      section: section.title,
      id: entry.id,
      type: entry.type,
      title: entry.title,
      file: 'unchecked',
    };
    for (const k of ['year', 'show', 'season', 'episode'] as const) {
      if (entry[k] !== undefined) (change as unknown as Record<string, unknown>)[k] = entry[k];
    }
    if (entry.file !== undefined) {
      change.playerPath = entry.file;
      change.libraryPath = this.options.toLibrary(entry.file);
    }
    return change;
  }

  /** Whether each change's library path exists here, a page's worth at a time. */
  private async checkFiles(changes: LibraryChange[]): Promise<void> {
    const exists = this.options.exists;
    if (!exists) return;
    await Promise.all(
      changes.map(async (c) => {
        if (c.libraryPath === undefined) return;
        c.file = (await exists(c.libraryPath).catch(() => false)) ? 'present' : 'missing-locally';
      }),
    );
  }

  /** One request, tried again after a capped exponential backoff while the failure may pass. */
  private async attempt<T>(
    summary: RunSummary,
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    for (let tried = 0; ; tried++) {
      if (signal?.aborted) throw new RunStopped();
      summary.requests++;
      try {
        return await call();
      } catch (err) {
        if (!worthRetrying(err) || tried + 1 >= this.backoff.attempts) throw err;
        const waitMs = backoffDelay(tried, this.backoff.firstMs, this.backoff.maxMs);
        this.options.onRetry?.(err, waitMs);
        await sleep(waitMs, signal);
      }
    }
  }
}
