/**
 * The durable queue of player-sync: what is still to do, written atomically (a temp file, fsync, rename, fsync
 * of the folder) so that a crash between two steps leaves either the old or the new journal, never half of one.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChangeItem } from './arr-event';

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

interface JournalFile {
  version: 1;
  entries: JournalEntry[];
}

export class Journal {
  private entries = new Map<string, JournalEntry>();

  constructor(readonly file: string | undefined) {}

  /** Reads the journal left by an earlier run; a missing file is an empty journal. */
  load(): JournalEntry[] {
    if (!this.file || !fs.existsSync(this.file)) return [];
    const data = JSON.parse(fs.readFileSync(this.file, 'utf8')) as JournalFile;
    this.entries = new Map(data.entries.map((e) => [e.id, e]));
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }

  put(entry: JournalEntry): void {
    this.entries.set(entry.id, entry);
    this.write();
  }

  /** Marks one target of an entry done (with its result); the entry goes when every target is done. */
  complete(id: string, target: string, result: unknown): JournalEntry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    entry.targets[target] = 'done';
    entry.results[target] = result;
    if (Object.values(entry.targets).every((s) => s === 'done')) this.entries.delete(id);
    this.write();
    return entry;
  }

  private write(): void {
    if (!this.file) return;
    const dir = path.dirname(this.file);
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${this.file}.tmp`;
    const data: JournalFile = { version: 1, entries: [...this.entries.values()] };
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(data));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    const dirFd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  }
}
