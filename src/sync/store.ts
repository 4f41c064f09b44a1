/**
 * The one durable store of the package: every node that keeps state across a restart (player-sync's queue, and
 * next the watch monitor's completions, watched-sync's retries, the library feeds' fingerprints) keeps it here, in
 * named collections of keyed records under `<userDir>/player-sync/store/`.
 *
 * A collection is an append-only log, one JSON record a line after a header line: `{"k": key, "v": value}` sets a
 * key, `{"k": key, "d": 1}` deletes it, the last record of a key wins. Changes are buffered and written together
 * (group commit: one write and one fsync for everything changed since the last one, off the event loop), so a
 * change costs O(1) however many are queued. When the log has grown to more than twice its live records (and past
 * a floor), it is rewritten with only those (compaction), in chunks, so that no single step blocks Node-RED.
 *
 * The file is outside data when it is read back: every record is parsed and checked by the collection's owner;
 * what cannot be read is dropped alone, the damaged file is kept aside with a timestamp, and `damage` says how
 * many records were dropped and where the copy lies. What is stored is plain data (objects, arrays, strings,
 * finite numbers, booleans, null) that the store's users built; anything else is refused with a StoreError.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { isObject } from '../core/values';

export const STORE_FORMAT = 'player-sync-store';
export const STORE_VERSION = 1;
/** The largest record a collection takes (its JSON text, key included). */
export const MAX_RECORD_CHARS = 256 * 1024;
/** A log smaller than this is never compacted: rewriting it would cost more than it saves. */
const COMPACT_FLOOR_BYTES = 1024 * 1024;
/** Records serialised and written per step of a compaction, so that one step never blocks for long. */
const COMPACT_CHUNK = 2000;
/** How deep a stored value may nest. */
const MAX_DEPTH = 32;

/** A value the store cannot keep, or a write that failed: refused alone, the collection as it was. */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** What a load found wrong with a collection's file, for the warning. */
export interface StoreDamage {
  /** Records that could not be read or that the owner's check refused. */
  dropped: number;
  /** Keys kept. */
  kept: number;
  /** Where the damaged file was copied (undefined when it could not be). */
  movedTo?: string;
  /** Why, in a few words: "2 damaged records", "written by a newer version of player-sync". */
  reason: string;
}

/** Bytes the store has written, for the bench and the health report. */
export interface StoreStats {
  /** Bytes written to disk since the collection was opened (appends and compactions). */
  bytesWritten: number;
  /** The log's size now. */
  fileBytes: number;
  /** The largest the log has been since the collection was opened. */
  peakFileBytes: number;
  /** The size of the live records alone. */
  liveBytes: number;
  /** Group commits (one write and one fsync each) and compactions so far. */
  commits: number;
  compactions: number;
}

/**
 * Why a value is not plain data, or undefined when it is. A circular reference ends as nesting too deep (no set of
 * visited objects: this runs for every record, and is kept cheap).
 */
function notPlain(value: unknown, depth: number): string | undefined {
  if (value === null) return undefined;
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined': // left out, as JSON leaves it out
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `the number ${String(value)}`;
    case 'bigint':
      return 'a BigInt';
    case 'object':
      break;
    default:
      return `a ${typeof value}`;
  }
  if (depth > MAX_DEPTH) return `a circular reference, or data nested more than ${MAX_DEPTH} levels deep`;
  if (Array.isArray(value)) {
    for (const v of value as unknown[]) {
      const why = notPlain(v, depth + 1);
      if (why) return why;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    if (Buffer.isBuffer(value)) return 'a Buffer';
    return `an object of class ${(value as { constructor?: { name?: string } }).constructor?.name ?? '?'}`;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const why = notPlain(record[key], depth + 1);
    if (why) return why;
  }
  return undefined;
}

/** One record's line; a StoreError when the value is not plain data or the record is too large. */
function recordLine(collection: string, key: string, value: unknown): string {
  if (typeof key !== 'string' || key === '')
    throw new StoreError(`${collection}: a record needs a key (a non-empty text)`);
  const why = value === undefined ? 'nothing (undefined)' : notPlain(value, 0);
  if (why) throw new StoreError(`${collection}: "${shortKey(key)}" cannot be stored: it holds ${why}`);
  const line = `{"k":${JSON.stringify(key)},"v":${JSON.stringify(value)}}`;
  if (line.length > MAX_RECORD_CHARS) {
    throw new StoreError(
      `${collection}: "${shortKey(key)}" cannot be stored: its record is ${line.length} characters, ` +
        `more than ${MAX_RECORD_CHARS}`,
    );
  }
  return line;
}

const shortKey = (key: string): string => (key.length > 80 ? `${key.slice(0, 80)}…` : key);

/** Records checked and serialised, to be set together (see Collection.prepare). */
export interface Prepared {
  readonly lines: readonly (readonly [string, string])[];
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * One named collection of keyed records. The owner keeps what it needs in memory; the collection keeps each
 * key's line (to compact without asking the owner) and writes changes in the background.
 */
export class Collection<T> {
  /** Each live key's record, as written. */
  private readonly lines = new Map<string, string>();
  private liveChars = 0;
  private queue: string[] = [];
  private waiters: Waiter[] = [];
  private pumping = false;
  private handle?: fsp.FileHandle;
  /** The file needs a full rewrite before the next append (a failed append may have left half a line). */
  private rewrite = false;
  private closed = false;
  private readonly stats: StoreStats = {
    bytesWritten: 0,
    fileBytes: 0,
    peakFileBytes: 0,
    liveBytes: 0,
    commits: 0,
    compactions: 0,
  };
  /** What the last load found wrong, if anything. */
  damage?: StoreDamage;

  constructor(
    readonly name: string,
    /** The log file; undefined keeps the collection in memory only. */
    readonly file: string | undefined,
    private readonly check: (value: unknown, key: string) => T | undefined,
  ) {}

  get size(): number {
    return this.lines.size;
  }

  has(key: string): boolean {
    return this.lines.has(key);
  }

  /** The stored value of a key, read back through the owner's check. */
  get(key: string): T | undefined {
    const line = this.lines.get(key);
    if (line === undefined) return undefined;
    return this.check((JSON.parse(line) as { v: unknown }).v, key);
  }

  keys(): IterableIterator<string> {
    return this.lines.keys();
  }

  report(): StoreStats {
    return { ...this.stats, liveBytes: this.liveChars };
  }

  /**
   * Reads what an earlier run left, as [key, value] in the order the keys were first written. A missing file is
   * an empty collection. Damage is never an exception: the good records are kept, the file is copied aside and
   * rewritten clean, and `damage` says what happened.
   */
  load(): [string, T][] {
    this.damage = undefined;
    this.lines.clear();
    this.liveChars = 0;
    if (!this.file || !fs.existsSync(this.file)) return [];
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      throw new StoreError(`cannot read ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    this.stats.fileBytes = Buffer.byteLength(text);
    this.stats.peakFileBytes = this.stats.fileBytes;
    const { records, dropped, reason } = replayLog(text, this.name, this.check);
    for (const [key, { line }] of records) {
      this.lines.set(key, line);
      this.liveChars += line.length + 1;
    }
    if (dropped > 0 || reason) {
      this.damage = {
        dropped,
        kept: records.size,
        movedTo: this.file ? copyAside(this.file) : undefined,
        reason: reason ?? `${dropped} damaged record${dropped === 1 ? '' : 's'}`,
      };
    }
    // A clean file of the live records alone, when the old one was damaged or had grown well past them.
    if (this.damage || this.shouldCompact()) this.rewriteSync();
    return [...records].map(([key, { value }]) => [key, value]);
  }

  /** Sets one key; see setMany. */
  set(key: string, value: T): void {
    this.setMany([[key, value]]);
  }

  /**
   * Sets keys in one go, written with the next group commit. All or none: a value that is not plain data or is
   * too large refuses the whole call with a StoreError, and the collection is as it was.
   */
  setMany(pairs: readonly (readonly [string, T])[]): void {
    this.setPrepared(this.prepare(pairs));
  }

  /**
   * The records of pairs, checked and serialised but not yet set: a StoreError for one that cannot be stored. A
   * large batch is prepared in slices (between which the event loop runs), then set in one cheap step.
   */
  prepare(pairs: readonly (readonly [string, T])[]): Prepared {
    this.assertOpen();
    return { lines: pairs.map(([key, value]) => [key, recordLine(this.name, key, value)] as const) };
  }

  /** Sets prepared records (see prepare), written with the next group commit. */
  setPrepared(...batches: Prepared[]): void {
    this.assertOpen();
    for (const { lines } of batches) {
      for (const [key, line] of lines) {
        const old = this.lines.get(key);
        this.liveChars += line.length + 1 - (old === undefined ? 0 : old.length + 1);
        this.lines.set(key, line);
        this.queue.push(line);
      }
    }
    this.kick();
  }

  delete(key: string): void {
    this.deleteMany([key]);
  }

  deleteMany(keys: Iterable<string>): void {
    this.assertOpen();
    for (const key of keys) {
      const line = this.lines.get(key);
      if (line === undefined) continue;
      this.liveChars -= line.length + 1;
      this.lines.delete(key);
      this.queue.push(`{"k":${JSON.stringify(key)},"d":1}`);
    }
    this.kick();
  }

  /** Resolves when every change made so far is on disk; rejects with a StoreError when writing failed. */
  commit(): Promise<void> {
    // A write that failed leaves `rewrite` set: committing then rewrites the file from the live records.
    if (!this.file || (!this.pumping && this.queue.length === 0 && !this.rewrite)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.kick();
    });
  }

  /** Writes what is left and closes the file; the collection takes no more changes. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.commit();
    } finally {
      this.closed = true;
      await this.handle?.close().catch(() => undefined);
      this.handle = undefined;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError(`${this.name}: the store is closed`);
  }

  private kick(): void {
    if (!this.file) {
      this.queue = [];
      return;
    }
    if (this.pumping) return;
    this.pumping = true;
    // Everything changed in this turn of the event loop (one message's items) goes into the same write.
    setImmediate(() => void this.pump());
  }

  /** The background writer: appends what is queued, fsyncs once, answers the waiters; compacts when due. */
  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0 || this.waiters.length > 0) {
        const lines = this.queue;
        const waiters = this.waiters;
        this.queue = [];
        this.waiters = [];
        try {
          if (this.rewrite || this.shouldCompact()) await this.compact();
          else if (lines.length > 0) await this.append(lines);
          for (const w of waiters) w.resolve();
        } catch (err) {
          this.rewrite = true; // the next write starts from a clean file
          const failure = new StoreError(
            `cannot write ${this.file ?? this.name}: ${(err as Error).message}`,
            {
              cause: err,
            },
          );
          for (const w of waiters) w.reject(failure);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async append(lines: string[]): Promise<void> {
    const file = this.file as string;
    if (!this.handle) {
      await fsp.mkdir(path.dirname(file), { recursive: true });
      this.handle = await fsp.open(file, 'a');
      this.stats.fileBytes = (await this.handle.stat()).size;
      if (this.stats.fileBytes === 0) await this.write(this.handle, `${this.header()}\n`);
    }
    await this.write(this.handle, `${lines.join('\n')}\n`);
    await this.handle.datasync();
    this.stats.commits++;
  }

  private async write(handle: fsp.FileHandle, text: string): Promise<void> {
    const bytes = Buffer.from(text);
    await handle.write(bytes);
    this.stats.bytesWritten += bytes.length;
    this.stats.fileBytes += bytes.length;
    this.stats.peakFileBytes = Math.max(this.stats.peakFileBytes, this.stats.fileBytes);
  }

  private shouldCompact(): boolean {
    return this.stats.fileBytes > COMPACT_FLOOR_BYTES && this.stats.fileBytes > 2 * (this.liveChars + 64);
  }

  /**
   * Rewrites the log with the live records only: a temp file written in chunks (the event loop runs between
   * them), fsynced, renamed over the log, the folder fsynced. Changes made meanwhile are in the live records and,
   * queued, are appended after it (the same record twice is harmless: the last one wins).
   */
  private async compact(): Promise<void> {
    const file = this.file as string;
    const tmp = `${file}.tmp`;
    const snapshot = [...this.lines.values()];
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const out = await fsp.open(tmp, 'w');
    this.stats.fileBytes = 0;
    try {
      await this.write(out, `${this.header()}\n`);
      for (let i = 0; i < snapshot.length; i += COMPACT_CHUNK) {
        await this.write(out, `${snapshot.slice(i, i + COMPACT_CHUNK).join('\n')}\n`);
      }
      await out.datasync();
    } finally {
      await out.close();
    }
    await fsp.rename(tmp, file);
    await syncFolder(path.dirname(file));
    this.rewrite = false;
    this.stats.compactions++;
    this.stats.commits++;
  }

  /** The same, at load time, before anything else runs. */
  private rewriteSync(): void {
    const file = this.file as string;
    const tmp = `${file}.tmp`;
    const text = [this.header(), ...this.lines.values()].join('\n') + '\n';
    try {
      const fd = fs.openSync(tmp, 'w');
      try {
        fs.writeSync(fd, text);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw new StoreError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
    }
    const bytes = Buffer.byteLength(text);
    this.stats.bytesWritten += bytes;
    this.stats.fileBytes = bytes;
    this.stats.peakFileBytes = Math.max(this.stats.peakFileBytes, bytes);
  }

  private header(): string {
    return headerLine(this.name);
  }
}

/** Copies a damaged file aside with a timestamp (for the user to look at); returns where, or undefined. */
export function copyAside(file: string): string | undefined {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const to = `${file}.damaged-${stamp}`;
  try {
    fs.copyFileSync(file, to);
    return to;
  } catch {
    return undefined;
  }
}

const headerLine = (name: string): string =>
  JSON.stringify({ format: STORE_FORMAT, version: STORE_VERSION, collection: name });

/**
 * A log's live records (key → its line and checked value, in the order keys were first written), replayed from
 * its text without touching any file: what load() uses, and what a test or a tool reads a live log with.
 */
export function replayLog<T>(
  text: string,
  name: string,
  check: (value: unknown, key: string) => T | undefined,
): { records: Map<string, { line: string; value: T }>; dropped: number; reason?: string } {
  const records = new Map<string, { line: string; value: T }>();
  const lines = text.split('\n');
  let start = 0;
  while (start < lines.length && lines[start].trim() === '') start++;
  if (start === lines.length) return { records, dropped: 0 };
  let header: unknown;
  try {
    header = JSON.parse(lines[start]);
  } catch {
    header = undefined;
  }
  const replay = (texts: string[]): number => {
    let dropped = 0;
    for (const t of texts) {
      if (t.trim() === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(t);
      } catch {
        dropped++;
        continue;
      }
      if (!isObject(record) || typeof record.k !== 'string' || record.k === '') {
        dropped++;
        continue;
      }
      const key = record.k;
      if (record.d === 1 && !('v' in record)) {
        records.delete(key);
        continue;
      }
      const value = 'v' in record ? check(record.v, key) : undefined;
      let line: string | undefined;
      try {
        line = value === undefined ? undefined : recordLine(name, key, value);
      } catch {
        line = undefined;
      }
      if (value === undefined || line === undefined) {
        dropped++;
        continue;
      }
      records.set(key, { line, value });
    }
    return dropped;
  };
  if (!isObject(header) || header.format !== STORE_FORMAT) {
    // Not ours, or the header line is damaged: salvage the lines that still read as records.
    const dropped = replay(lines.slice(start));
    return {
      records,
      dropped,
      reason: records.size > 0 ? 'the header line is missing' : 'the file is not a player-sync store',
    };
  }
  if (typeof header.version !== 'number' || header.version > STORE_VERSION) {
    // A newer player-sync wrote it: its records may mean something else. Kept aside, not guessed at.
    const count = lines.slice(start + 1).filter((l) => l.trim() !== '').length;
    return { records, dropped: count, reason: 'written by a newer version of player-sync' };
  }
  return { records, dropped: replay(lines.slice(start + 1)) };
}

async function syncFolder(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems (and Windows) cannot fsync a folder: the rename is then as durable as they make it.
  } finally {
    await handle.close();
  }
}

/**
 * Whether the store under `dir` can be written: the folder (or, before its first write, the nearest folder above
 * it that exists) is writable by Node-RED.
 */
export function storeWritable(dir: string): boolean {
  let at = dir;
  for (;;) {
    try {
      fs.accessSync(at, fs.constants.W_OK);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
    const up = path.dirname(at);
    if (up === at) return false;
    at = up;
  }
}

/** A collection's name: also its file's name, so letters, digits, dot, dash and underscore only. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$/;

/** The store under one Node-RED user directory (or in memory only, without one). */
export class Store {
  readonly dir: string | undefined;

  constructor(userDir: string | undefined) {
    this.dir = userDir ? path.join(userDir, 'player-sync', 'store') : undefined;
  }

  /** Where a collection's log lies (undefined in memory). */
  fileOf(name: string): string | undefined {
    if (!NAME.test(name)) throw new StoreError(`"${name}" is not a valid store collection name`);
    return this.dir ? path.join(this.dir, `${name}.log`) : undefined;
  }

  /**
   * A named collection, its records checked on load by `check` (undefined drops a record). Open it once per
   * owner; load() it before use; close() it when the owner closes.
   */
  collection<T>(name: string, check: (value: unknown, key: string) => T | undefined): Collection<T> {
    return new Collection<T>(name, this.fileOf(name), check);
  }
}
