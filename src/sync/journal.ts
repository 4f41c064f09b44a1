/**
 * The durable queue of player-sync: what is still to do, one JSON record a line after a header line, written
 * atomically (a temp file, fsync, rename, fsync of the folder) so that a crash between two steps leaves either the
 * old or the new journal, never half of one.
 *
 * The file is outside data when it is read back: every record is checked, a damaged one is dropped alone, and a
 * damaged file is kept aside (with a timestamp) for the user to look at, with a warning that says how many records
 * were dropped and where the copy lies. What is written is plain data built here, never a copy of a message.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ChangeItem, plainItem } from '../core/change';
import { isObject } from '../core/values';

export type TargetState = 'pending' | 'done';

export interface JournalEntry {
  id: string;
  item: ChangeItem;
  priority: 'high' | 'normal';
  /** When the change arrived (ms since the epoch). */
  at: number;
  /** Per player (target key): still to do, or done. */
  targets: Record<string, TargetState>;
  /** The results so far, per target key. */
  results: Record<string, unknown>;
}

/** What a load found wrong with the file, for the warning. */
export interface JournalDamage {
  /** Records that could not be read or had the wrong shape. */
  dropped: number;
  /** Records kept. */
  kept: number;
  /** Where the damaged file was moved (undefined when it could not be copied). */
  movedTo?: string;
  /** Why, in a few words: "2 damaged records", "written by a newer version". */
  reason: string;
}

/** A change that cannot be journaled: refused alone, the journal unchanged. */
export class JournalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JournalError';
  }
}

export const JOURNAL_FORMAT = 'player-sync-journal';
export const JOURNAL_VERSION = 2;

/** One record read back from the file, checked; undefined when it is not a journal entry. */
export function checkEntry(value: unknown): JournalEntry | undefined {
  if (!isObject(value)) return undefined;
  const { id, item, priority, at, targets, results } = value;
  if (typeof id !== 'string' || id === '' || id.length > 200) return undefined;
  if (priority !== 'high' && priority !== 'normal') return undefined;
  if (typeof at !== 'number' || !Number.isFinite(at)) return undefined;
  if (!isObject(targets) || Object.keys(targets).length === 0) return undefined;
  if (!Object.values(targets).every((s) => s === 'pending' || s === 'done')) return undefined;
  if (results !== undefined && !isObject(results)) return undefined;
  let checked: ChangeItem;
  try {
    checked = plainItem(item, 'a journal record');
  } catch {
    return undefined;
  }
  return {
    id,
    item: checked,
    priority,
    at,
    targets: targets as Record<string, TargetState>,
    results: results ?? {},
  };
}

/** The serialised form of an entry: a JournalError for anything JSON cannot hold. */
function serialise(entry: JournalEntry): string {
  try {
    return JSON.stringify(entry);
  } catch (err) {
    throw new JournalError(
      `the change for "${entry.item.path}" cannot be stored: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

export class Journal {
  private entries = new Map<string, JournalEntry>();
  /** Each entry's line as last written, so that a write serialises only what changed. */
  private lines = new Map<string, string>();
  /** What the last load found wrong, if anything. */
  damage?: JournalDamage;

  constructor(readonly file: string | undefined) {}

  /**
   * Reads the journal left by an earlier run; a missing file is an empty journal. Damage is never an exception:
   * the readable records are kept, the file is moved aside, and `damage` says what happened.
   */
  load(): JournalEntry[] {
    this.damage = undefined;
    this.entries.clear();
    this.lines.clear();
    if (!this.file || !fs.existsSync(this.file)) return [];
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      throw new JournalError(`cannot read ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    const { records, dropped, reason } = parseJournal(text);
    for (const entry of records) {
      // The same id twice (a crash between two rewrites never makes this, an edited file may): the last wins.
      this.entries.set(entry.id, entry);
      this.lines.set(entry.id, JSON.stringify(entry));
    }
    if (dropped > 0 || reason) {
      this.damage = {
        dropped,
        kept: this.entries.size,
        movedTo: this.moveAside(),
        reason: reason ?? `${dropped} damaged record${dropped === 1 ? '' : 's'}`,
      };
      this.write(); // the good records, in a clean file
    }
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }

  /** Journals one entry; see putAll. */
  put(entry: JournalEntry): void {
    this.putAll([entry]);
  }

  /**
   * Journals entries in one write. Either all of them are stored or none: when one cannot be serialised or the
   * write fails, a JournalError says why and the journal (in memory and on disk) is as it was.
   */
  putAll(entries: JournalEntry[]): void {
    const lines = entries.map((e) => [e, serialise(e)] as const);
    for (const [entry, line] of lines) {
      this.entries.set(entry.id, entry);
      this.lines.set(entry.id, line);
    }
    try {
      this.write();
    } catch (err) {
      for (const [entry] of lines) {
        this.entries.delete(entry.id);
        this.lines.delete(entry.id);
      }
      throw new JournalError(`cannot write ${this.file ?? 'the journal'}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Marks one target of an entry done (with its result); the entry goes when every target is done. */
  complete(id: string, target: string, result: unknown): JournalEntry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    entry.targets[target] = 'done';
    entry.results[target] = result;
    if (Object.values(entry.targets).every((s) => s === 'done')) {
      this.entries.delete(id);
      this.lines.delete(id);
    } else {
      this.lines.set(id, serialise(entry));
    }
    this.write();
    return entry;
  }

  private write(): void {
    if (!this.file) return;
    const dir = path.dirname(this.file);
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${this.file}.tmp`;
    const header = JSON.stringify({ format: JOURNAL_FORMAT, version: JOURNAL_VERSION });
    const text = [header, ...this.lines.values()].join('\n') + '\n';
    try {
      const fd = fs.openSync(tmp, 'w');
      try {
        fs.writeSync(fd, text);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file);
    } catch (err) {
      fs.rmSync(tmp, { force: true }); // no half-written temp file left behind
      throw err;
    }
    const dirFd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  }

  /** Moves the damaged file aside with a timestamp; returns where, or undefined when it could not. */
  private moveAside(): string | undefined {
    if (!this.file) return undefined;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const to = `${this.file}.damaged-${stamp}`;
    try {
      fs.copyFileSync(this.file, to);
      return to;
    } catch {
      return undefined;
    }
  }
}

/**
 * The records of a journal file of this version (a header line, then one record a line) or of version 1 (one
 * JSON document `{version: 1, entries: [...]}`), with how many were dropped.
 */
export function parseJournal(text: string): { records: JournalEntry[]; dropped: number; reason?: string } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return { records: [], dropped: 0 };
  let header: unknown;
  try {
    header = JSON.parse(lines[0]);
  } catch {
    header = undefined;
  }
  if (isObject(header) && header.format === JOURNAL_FORMAT) {
    if (typeof header.version !== 'number' || header.version > JOURNAL_VERSION) {
      // A newer player-sync wrote it: its records may mean something else. Kept aside, not guessed at.
      return { records: [], dropped: lines.length - 1, reason: 'written by a newer version of player-sync' };
    }
    return readRecords(lines.slice(1));
  }
  if (isObject(header) && header.version === 1 && Array.isArray(header.entries)) {
    return readRecords(header.entries.map((e) => JSON.stringify(e)));
  }
  // Version 1 cut short, or garbage: salvage every whole record that can still be found.
  const v1 = /^\s*\{\s*"version"\s*:\s*1\s*,\s*"entries"\s*:\s*\[/.exec(text);
  if (v1) {
    const salvaged = salvageObjects(text.slice(v1[0].length));
    const read = readRecords(salvaged.objects);
    return { ...read, dropped: read.dropped + salvaged.broken, reason: 'the file was cut short or damaged' };
  }
  const read = readRecords(lines);
  return read.records.length === 0
    ? { ...read, reason: 'the file is not a player-sync journal' }
    : { ...read, reason: 'the header line is missing' };
}

function readRecords(lines: string[]): { records: JournalEntry[]; dropped: number } {
  const records: JournalEntry[] = [];
  let dropped = 0;
  for (const line of lines) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      dropped++;
      continue;
    }
    const entry = checkEntry(value);
    if (entry) records.push(entry);
    else dropped++;
  }
  return { records, dropped };
}

/** The top-level `{…}` objects of a JSON array's body, as text; an unfinished last one counts as broken. */
function salvageObjects(body: string): { objects: string[]; broken: number } {
  const objects: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) objects.push(body.slice(start, i + 1));
    } else if (c === ']' && depth === 0) break;
  }
  return { objects, broken: depth > 0 ? 1 : 0 };
}
