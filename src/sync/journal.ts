/**
 * The durable queue of player-sync, kept in the package's store (see store.ts): each change until every player is
 * done with it, and each player's state of it (pending, started, done, with its result). Two records per change
 * and player at most, each written once: the cost of a change does not grow with the length of the queue.
 *
 * A player's work is marked "started" (and that mark is on disk) before anything is sent to the player, so that
 * after a crash a started change is checked on the player before it is sent again.
 *
 * Journal files of earlier versions (one file per node, `<userDir>/player-sync/<node id>.json`) are read once
 * (parseJournal) and brought into the store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ChangeItem, plainItem } from '../core/change';
import { isObject } from '../core/values';
import { Collection, Prepared, Store, StoreDamage, StoreError, copyAside, replayLog } from './store';

export type TargetState = 'pending' | 'started' | 'done';

export interface JournalEntry {
  id: string;
  item: ChangeItem;
  priority: 'high' | 'normal';
  /** When the change arrived (ms since the epoch). */
  at: number;
  /** Per player (target key): still to do, begun (sent, perhaps not finished), or done. */
  targets: Record<string, TargetState>;
  /** The results so far, per target key. */
  results: Record<string, unknown>;
}

/** What a load found wrong with the stored queue, for the warning. */
export type JournalDamage = StoreDamage;

/** A change that cannot be journaled: refused alone, the journal unchanged. */
export class JournalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JournalError';
  }
}

export const JOURNAL_FORMAT = 'player-sync-journal';
export const JOURNAL_VERSION = 2;

/** One record of a journal file of an earlier version, checked; undefined when it is not a journal entry. */
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

/** One record of the journal's store collection: a change (key: its id) or one player's state of it. */
export type JournalRecord =
  | { item: ChangeItem; priority: 'high' | 'normal'; at: number; targets: string[] }
  | { state: 'started' }
  | { state: 'done'; result: unknown };

/** The key of one player's state of an entry: the entry's id, a bar, the target's key (ids never hold a bar). */
const targetKey = (id: string, target: string): string => `${id}|${target}`;

/** A record read back from the store, checked; undefined drops it. */
function checkRecord(value: unknown, key: string): JournalRecord | undefined {
  if (!isObject(value)) return undefined;
  if (key.includes('|')) {
    if (value.state === 'started') return { state: 'started' };
    if (value.state === 'done' && isObject(value.result)) return { state: 'done', result: value.result };
    return undefined;
  }
  const { item, priority, at, targets } = value;
  if (key.length > 200) return undefined;
  if (priority !== 'high' && priority !== 'normal') return undefined;
  if (typeof at !== 'number' || !Number.isFinite(at)) return undefined;
  if (!Array.isArray(targets) || targets.length === 0) return undefined;
  if (!targets.every((t): t is string => typeof t === 'string' && t !== '' && t.length <= 200))
    return undefined;
  try {
    return { item: plainItem(item, 'a journal record'), priority, at, targets };
  } catch {
    return undefined;
  }
}

/** The entries of a journal's records (in the order they came), and the keys of states without an entry. */
function assemble(records: Iterable<[string, JournalRecord]>): {
  entries: JournalEntry[];
  orphans: string[];
} {
  const entries = new Map<string, JournalEntry>();
  const states: [string, string, JournalRecord][] = [];
  for (const [key, record] of records) {
    if ('item' in record) {
      entries.set(key, {
        id: key,
        item: record.item,
        priority: record.priority,
        at: record.at,
        targets: Object.fromEntries(record.targets.map((t): [string, TargetState] => [t, 'pending'])),
        results: {},
      });
    } else {
      const bar = key.indexOf('|');
      states.push([key.slice(0, bar), key.slice(bar + 1), record]);
    }
  }
  const orphans: string[] = [];
  for (const [id, target, record] of states) {
    const entry = entries.get(id);
    if (!entry || !(target in entry.targets)) {
      orphans.push(targetKey(id, target));
      continue;
    }
    if ('state' in record && record.state === 'done') {
      entry.targets[target] = 'done';
      entry.results[target] = record.result;
    } else if (entry.targets[target] === 'pending') entry.targets[target] = 'started';
  }
  return { entries: [...entries.values()], orphans };
}

const collectionName = (nodeId: string): string => `player-sync-${nodeId.replace(/[^A-Za-z0-9._-]/g, '_')}`;

/** The store collection of one player-sync node's queue. */
export function journalCollection(store: Store, nodeId: string): Collection<JournalRecord> {
  return store.collection(collectionName(nodeId), checkRecord);
}

/** Where one player-sync node's queue lies in the store under a Node-RED user directory. */
export function journalFile(userDir: string, nodeId: string): string {
  return new Store(userDir).fileOf(collectionName(nodeId)) as string;
}

/**
 * The journal of one player-sync node: in the store under `userDir` (with the node's journal file of an earlier
 * version brought in), or in memory only without one.
 */
export function openJournal(userDir: string | undefined, nodeId: string): Journal {
  return new Journal(
    journalCollection(new Store(userDir), nodeId),
    userDir ? path.join(userDir, 'player-sync', `${nodeId}.json`) : undefined,
  );
}

/** The queue in a journal log's text, read without touching the file (for tests and tools). */
export function readJournalLog(text: string): JournalEntry[] {
  const { records } = replayLog(text, 'journal', checkRecord);
  return assemble([...records].map(([key, { value }]) => [key, value])).entries;
}

/** A result small enough to keep: the whole result, or its verdict alone when the whole is too large. */
function keptResult(result: unknown): unknown {
  if (!isObject(result)) return { ok: false, reason: 'no result' };
  const { status, ok, reason, player, tookMs } = result;
  return { status, ok, reason, player, tookMs, trimmed: true };
}

/**
 * player-sync's queue, kept in the store: every change until every player is done with it, with each player's
 * state (pending, started, done) and result. Writes are buffered and group-committed by the store; `commit()`
 * says when what was written so far is on disk.
 */
export class Journal {
  private entries = new Map<string, JournalEntry>();
  /** What the last load found wrong, if anything. */
  damage?: JournalDamage;

  constructor(
    readonly collection: Collection<JournalRecord>,
    /** A journal file of an earlier version of player-sync, imported into the store once and removed. */
    readonly legacyFile?: string,
  ) {}

  get file(): string | undefined {
    return this.collection.file;
  }

  /** Reads the queue an earlier run left (a missing one is empty); damage is never an exception (see Store). */
  load(): JournalEntry[] {
    this.entries.clear();
    const records = this.collection.load();
    this.damage = this.collection.damage;
    const { entries, orphans } = assemble(records);
    for (const entry of entries) this.entries.set(entry.id, entry);
    // A player's state without its change (its record was damaged and dropped): nothing to resume.
    this.collection.deleteMany(orphans);
    this.importLegacy();
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
   * Journals entries in one go (written with the store's next group commit). Either all of them are kept or
   * none: when one cannot be stored, a JournalError says why and the journal is as it was.
   */
  putAll(entries: JournalEntry[]): void {
    this.putPrepared(entries, [this.prepare(entries)]);
  }

  /** The records of entries, checked and serialised (see Collection.prepare); a JournalError for one that cannot. */
  prepare(entries: readonly JournalEntry[]): Prepared {
    // What load() would drop is refused now: an id it could not tell from a player's state, or too long.
    const bad = entries.find((e) => e.id === '' || e.id.includes('|') || e.id.length > 200);
    if (bad)
      throw new JournalError(
        `the change id "${bad.id.slice(0, 80)}" cannot be stored (empty, too long or with "|")`,
      );
    try {
      return this.collection.prepare(
        entries.map((e) => [
          e.id,
          { item: e.item, priority: e.priority, at: e.at, targets: Object.keys(e.targets) },
        ]),
      );
    } catch (err) {
      const message = err instanceof StoreError ? err.message : String(err);
      throw new JournalError(message, { cause: err });
    }
  }

  /** Journals entries whose records were prepared (all slices of one message), in one step. */
  putPrepared(entries: readonly JournalEntry[], prepared: Prepared[]): void {
    this.collection.setPrepared(...prepared);
    for (const entry of entries) this.entries.set(entry.id, entry);
  }

  /** A player's state of an entry, or undefined when the journal does not hold it. */
  stateOf(id: string, target: string): TargetState | undefined {
    return this.entries.get(id)?.targets[target];
  }

  /**
   * Marks that a player's work on an entry has begun: after a crash, it is checked before it is done again.
   * False when it was marked (or done) before.
   */
  start(id: string, target: string): boolean {
    const entry = this.entries.get(id);
    if (!entry || entry.targets[target] !== 'pending') return false;
    entry.targets[target] = 'started';
    this.collection.set(targetKey(id, target), { state: 'started' });
    return true;
  }

  /** Marks one target of an entry done (with its result); the entry goes when every target is done. */
  complete(id: string, target: string, result: unknown): JournalEntry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    entry.targets[target] = 'done';
    entry.results[target] = result;
    if (Object.values(entry.targets).every((s) => s === 'done')) {
      this.entries.delete(id);
      this.collection.deleteMany([id, ...Object.keys(entry.targets).map((t) => targetKey(id, t))]);
    } else {
      try {
        this.collection.set(targetKey(id, target), {
          state: 'done',
          result: isObject(result) ? result : keptResult(result),
        });
      } catch {
        this.collection.set(targetKey(id, target), { state: 'done', result: keptResult(result) });
      }
    }
    return entry;
  }

  /** Resolves when everything journaled so far is on disk. */
  commit(): Promise<void> {
    return this.collection.commit();
  }

  close(): Promise<void> {
    return this.collection.close();
  }

  /** Brings the queue of an earlier version's journal file into the store, then removes that file. */
  private importLegacy(): void {
    const file = this.legacyFile;
    if (!file || !fs.existsSync(file)) return;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return; // left where it is; the next start tries again
    }
    const { records, dropped, reason } = parseJournal(text);
    if (dropped > 0 || reason) {
      // Damage in the old file is reported as the store's own is: a copy kept aside, and what was dropped.
      this.damage = {
        dropped: (this.damage?.dropped ?? 0) + dropped,
        kept: this.entries.size + records.length,
        movedTo: copyAside(file),
        reason: reason ?? `${dropped} damaged record${dropped === 1 ? '' : 's'}`,
      };
    }
    const fresh = records.filter((e) => !this.entries.has(e.id));
    this.putAll(fresh.map((e) => ({ ...e, targets: { ...e.targets }, results: { ...e.results } })));
    for (const e of fresh) {
      for (const [target, state] of Object.entries(e.targets)) {
        if (state === 'done') this.complete(e.id, target, e.results[target] ?? { ok: true });
      }
    }
    void this.commit()
      .then(() => {
        fs.rmSync(file, { force: true });
      })
      .catch(() => undefined); // kept: imported again (same ids, no duplicates) at the next start
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
