/**
 * The sync engine behind player-sync: change items in, one targeted update per change and player out.
 * Per player: a batching window that merges changes to the same folder, then one piece of work at a time in
 * arrival order (high priority first), deferred while someone watches, retried with capped exponential backoff
 * while the player is unreachable, and journaled so that a restart resumes where it stopped.
 */
import { EventEmitter } from 'node:events';
import { PlayerError } from '../players/errors';
import { Journal, JournalEntry } from './journal';
import { parentFolder } from '../core/paths';
import { backoffDelay } from '../core/time';
import { ChangeItem, mergeActions } from '../core/change';
import type { PlaybackSession } from '../core/playback';
import type { SyncResult } from '../core/result';
import { SerialQueue } from '../core/serial-queue';

/** One player (or one group of Kodi players sharing a library) as the engine sees it. */
export interface EngineTarget {
  key: string;
  name: string;
  apply(item: ChangeItem, signal: AbortSignal): Promise<SyncResult>;
  /** Many new folders under one parent in one go, where that is cheaper for this player (Kodi). */
  applyUnderParent?(parent: string, items: ChangeItem[], signal: AbortSignal): Promise<SyncResult[]>;
  /** Who is watching now (the sessions that count). */
  playing(): Promise<PlaybackSession[]>;
  /** Calls back when playback stops, where the player can say so; returns the unsubscribe. */
  onPlaybackStop?(callback: () => void): () => void;
  /** Calls back when the player answers again after being unreachable, where it can say so; returns the unsubscribe. */
  onBack?(callback: () => void): () => void;
}

export type WhilePlaying = 'defer' | 'skip' | 'ignore';

export interface EngineOptions {
  batchWindowMs: number;
  whilePlaying: WhilePlaying;
  /** Players in parallel (true) or one after another (false). */
  parallel: boolean;
  continueOnError: boolean;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** How often a deferred player is asked again when it cannot tell us playback stopped. */
  deferPollMs?: number;
  /** From how many new folders under one parent one scan of the parent is used (where the player offers it). */
  parentThreshold?: number;
}

/** What player-sync reports for one change item. */
export interface ItemOutcome {
  entry: JournalEntry;
  ok: boolean;
  results: Record<string, TargetResult>;
}

export type TargetResult =
  | SyncResult
  | {
      status: 'failed' | 'skipped' | 'cancelled';
      ok: boolean;
      reason: string;
      player: string;
      tookMs?: number;
      /** The player error's code, for a failure (where the fix is, for the glue to say). */
      code?: string;
    };

interface Work {
  key: string;
  item: ChangeItem;
  ids: string[];
  priority: 'high' | 'normal';
}

const workKey = (item: ChangeItem): string =>
  item.action === 'removed' && item.file ? item.file : item.path;

class TargetRunner {
  private staged = new Map<string, Work>();
  private ready: Work[] = [];
  private timer?: NodeJS.Timeout;
  private running = false;
  deferred = false;
  retrying = false;

  constructor(
    private readonly engine: SyncEngine,
    readonly target: EngineTarget,
  ) {}

  get pending(): number {
    return this.staged.size + this.ready.length + (this.running ? 1 : 0);
  }

  add(id: string, item: ChangeItem, priority: 'high' | 'normal'): void {
    const key = workKey(item);
    const staged = this.staged.get(key);
    if (staged) {
      const merged: ChangeItem = {
        ...staged.item,
        ...item,
        action: mergeActions(staged.item.action, item.action),
      };
      // The file belongs to the later change: a whole-folder removal after a file's import removes the folder.
      if (item.file === undefined) delete merged.file;
      staged.item = merged;
      staged.ids.push(id);
      if (priority === 'high') staged.priority = 'high';
    } else {
      this.staged.set(key, { key, item, ids: [id], priority });
    }
    if (priority === 'high') {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.flush();
    }, this.engine.options.batchWindowMs);
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(): void {
    this.clear();
    const works = [...this.staged.values()];
    this.staged.clear();
    const high = works.filter((w) => w.priority === 'high');
    // High before normal; within each, in the order they came.
    this.ready = [
      ...this.ready.filter((w) => w.priority === 'high'),
      ...high,
      ...this.ready.filter((w) => w.priority !== 'high'),
      ...works.filter((w) => w.priority !== 'high'),
    ];
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.ready.length > 0 && !this.engine.closed()) {
        const batch = this.nextBatch();
        await this.process(batch);
      }
    } finally {
      this.running = false;
      this.engine.progress();
    }
  }

  /** The next work, or several new folders under one parent when the player scans a parent more cheaply. */
  private nextBatch(): Work[] {
    const first = this.ready.shift() as Work;
    const threshold = this.engine.options.parentThreshold ?? 8;
    if (!this.target.applyUnderParent || first.item.action !== 'added' || first.priority === 'high')
      return [first];
    const parent = parentFolder(first.item.path);
    const siblings = this.ready.filter(
      (w) => w.item.action === 'added' && w.priority !== 'high' && parentFolder(w.item.path) === parent,
    );
    if (siblings.length + 1 < threshold) return [first];
    this.ready = this.ready.filter((w) => !siblings.includes(w));
    return [first, ...siblings];
  }

  /** The works still to do; those whose items another player's failure cancelled are finished as cancelled. */
  private uncancelled(works: Work[]): Work[] {
    const live = works.filter((w) => !w.ids.every((id) => this.engine.isCancelled(id)));
    for (const w of works.filter((x) => !live.includes(x))) {
      this.engine.finish(this.target, w, {
        status: 'cancelled',
        ok: false,
        reason: 'another player failed',
        player: this.target.name,
      });
    }
    return live;
  }

  private async process(batch: Work[]): Promise<void> {
    const { options } = this.engine;
    let live = this.uncancelled(batch);
    if (live.length === 0) return;
    let attempt = 0;
    while (!this.engine.closed()) {
      try {
        if (options.whilePlaying !== 'ignore') {
          const sessions = await this.target.playing();
          if (sessions.length > 0) {
            const what = sessions.map((s) => s.title).join(', ');
            if (options.whilePlaying === 'skip') {
              for (const w of live) {
                this.engine.finish(this.target, w, {
                  status: 'skipped',
                  ok: true,
                  reason: `playing: ${what}`,
                  player: this.target.name,
                });
              }
              return;
            }
            this.deferred = true;
            this.engine.progress();
            await this.waitForPlaybackStop();
            continue;
          }
        }
        this.deferred = false;
        this.retrying = false;
        const results = await this.engine.exclusive(() => {
          // One after another, a player before this one may have failed while this one waited its turn.
          live = this.uncancelled(live);
          if (live.length === 0) return Promise.resolve([]);
          return live.length > 1 && this.target.applyUnderParent
            ? this.target.applyUnderParent(
                parentFolder(live[0].item.path),
                live.map((w) => w.item),
                this.engine.signal,
              )
            : Promise.all(live.map((w) => this.target.apply(w.item, this.engine.signal)));
        });
        live.forEach((w, i) => {
          this.engine.finish(this.target, w, results[i]);
        });
        return;
      } catch (err) {
        if (this.engine.closed()) return;
        // Only a player that cannot be reached (or answers too late) is worth asking again.
        const retryable = err instanceof PlayerError && err.retryable;
        if (!retryable) {
          const reason = err instanceof Error ? err.message : String(err);
          for (const w of live)
            this.engine.finish(this.target, w, {
              status: 'failed',
              ok: false,
              reason,
              player: this.target.name,
              ...(err instanceof PlayerError ? { code: err.code } : {}),
            });
          return;
        }
        this.retrying = true;
        this.deferred = false;
        this.engine.progress();
        const delay = backoffDelay(attempt++, options.retryMinMs ?? 1000, options.retryMaxMs ?? 300000);
        // The backoff is for a player that is down: one that comes back is asked at once.
        await this.waitFor(delay, (cb) => this.target.onBack?.(cb));
      }
    }
  }

  private waitForPlaybackStop(): Promise<void> {
    return this.waitFor(this.engine.options.deferPollMs ?? 30000, (cb) => this.target.onPlaybackStop?.(cb));
  }

  /** Waits `ms`, or less when `subscribe`'s event comes first or the engine closes. */
  private waitFor(ms: number, subscribe: (callback: () => void) => (() => void) | undefined): Promise<void> {
    return new Promise((resolve) => {
      const state: { finished: boolean } = { finished: false };
      let unsubscribe: (() => void) | undefined;
      const done = (): void => {
        if (state.finished) return;
        state.finished = true;
        clearTimeout(timer);
        unsubscribe?.();
        this.engine.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const off = subscribe(done);
      if (state.finished)
        off?.(); // the event had already come
      else unsubscribe = off;
      this.engine.signal.addEventListener('abort', done, { once: true });
      if (this.engine.signal.aborted) done();
    });
  }
}

interface EngineEvents {
  'item-done': [ItemOutcome];
  progress: [{ done: number; total: number; deferred: string[]; retrying: string[] }];
}

export class SyncEngine extends EventEmitter<EngineEvents> {
  private closedFlag = false;
  private readonly runners: TargetRunner[];
  private readonly aborter = new AbortController();
  private readonly serial = new SerialQueue();
  private readonly cancelled = new Set<string>();
  private counter = 0;
  private accepted = 0;
  private completed = 0;

  constructor(
    targets: EngineTarget[],
    readonly options: EngineOptions,
    readonly journal: Journal,
  ) {
    super();
    this.runners = targets.map((t) => new TargetRunner(this, t));
  }

  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  /** Picks up what an earlier run left in the journal; returns those entries. */
  restore(): JournalEntry[] {
    const keys = new Set(this.runners.map((r) => r.target.key));
    const resumed: JournalEntry[] = [];
    for (const entry of this.journal.load()) {
      // A player taken out of the node since: nothing is left to do there, so the entry can end.
      for (const [key, state] of Object.entries(entry.targets)) {
        if (state === 'pending' && !keys.has(key)) {
          this.journal.complete(entry.id, key, {
            status: 'skipped',
            ok: true,
            reason: 'the player is no longer configured in this node',
            player: key,
          });
        }
      }
      const mine = this.runners.filter((r) => entry.targets[r.target.key] === 'pending');
      if (mine.length === 0) continue;
      this.accepted++;
      resumed.push(entry);
      for (const runner of mine) runner.add(entry.id, entry.item, entry.priority);
    }
    this.progress();
    return resumed;
  }

  /**
   * Journals the items (so they survive a restart), then queues them for every player; returns their ids. All of
   * them or none: an item that cannot be journaled refuses the whole message with a JournalError, and nothing of
   * it is queued.
   */
  accept(items: ChangeItem[], priority: 'high' | 'normal'): string[] {
    const now = Date.now();
    const entries: JournalEntry[] = items.map((item) => ({
      id: `${now.toString(36)}-${(this.counter++).toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
      item,
      priority,
      at: now,
      targets: Object.fromEntries(this.runners.map((r) => [r.target.key, 'pending' as const])),
      results: {},
    }));
    this.journal.putAll(entries);
    this.accepted += entries.length;
    for (const { id, item } of entries) for (const runner of this.runners) runner.add(id, item, priority);
    this.progress();
    return entries.map((e) => e.id);
  }

  isCancelled(id: string): boolean {
    return this.cancelled.has(id);
  }

  /** Runs player work one at a time across players when they are to be done one after another. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.options.parallel ? work() : this.serial.run(work);
  }

  finish(target: EngineTarget, work: Work, result: TargetResult): void {
    // Work that ends after close (a redeploy aborted it) stays pending in the journal: the next engine does it.
    if (this.closedFlag) return;
    for (const id of work.ids) {
      if (!result.ok && !this.options.continueOnError) this.cancelled.add(id);
      const entry = this.journal.complete(id, target.key, result);
      if (!entry || Object.values(entry.targets).some((s) => s === 'pending')) continue;
      this.completed++;
      this.cancelled.delete(id);
      const done = entry.results as Record<string, TargetResult>;
      // In the order the players are configured, not the order they finished in.
      const results: Record<string, TargetResult> = {};
      for (const runner of this.runners) {
        if (runner.target.key in done) results[runner.target.key] = done[runner.target.key];
      }
      this.emit('item-done', { entry, ok: Object.values(results).every((r) => r.ok), results });
    }
    this.progress();
  }

  progress(): void {
    const busy = this.runners.some((r) => r.pending > 0);
    if (!busy) {
      // A new round of work counts from zero.
      this.accepted -= this.completed;
      this.completed = 0;
    }
    this.emit('progress', {
      done: this.completed,
      total: this.accepted,
      deferred: this.runners.filter((r) => r.deferred).map((r) => r.target.name),
      retrying: this.runners.filter((r) => r.retrying).map((r) => r.target.name),
    });
  }

  /** Closed: no new work starts; a method, so that a loop re-reads it after every await. */
  closed(): boolean {
    return this.closedFlag;
  }

  close(): void {
    this.closedFlag = true;
    this.aborter.abort();
    for (const runner of this.runners) runner.clear();
    this.removeAllListeners();
  }
}
