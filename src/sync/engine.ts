/**
 * The sync engine behind player-sync: change items in, one targeted update per change and player out.
 * Per player: a batching window that merges changes to the same folder, then one piece of work at a time in
 * arrival order (high priority first), deferred while someone watches, retried with capped exponential backoff
 * while the player is unreachable, and journaled so that a restart resumes where it stopped.
 */
import { EventEmitter } from 'node:events';
import { PlayerError } from '../players/errors';
import { Journal, JournalEntry, JournalError, TargetState } from './journal';
import { parentFolder } from '../core/paths';
import { backoffDelay } from '../core/time';
import { ChangeItem, mergeActions } from '../core/change';
import type { PlaybackSession } from '../core/playback';
import type { SyncResult } from '../core/result';
import { SerialQueue } from '../core/serial-queue';
import type { QueueItemView } from './health';

/** One player (or one group of Kodi players sharing a library) as the engine sees it. */
export interface EngineTarget {
  key: string;
  name: string;
  apply(item: ChangeItem, signal: AbortSignal): Promise<SyncResult>;
  /**
   * Many new folders under one parent in one go, where that is cheaper for this player (Kodi). `acceptedAt` is
   * when the earliest of them arrived: a scan of the parent begun after it has already found them.
   */
  applyUnderParent?(
    parent: string,
    items: ChangeItem[],
    signal: AbortSignal,
    acceptedAt: number,
  ): Promise<SyncResult[]>;
  /**
   * Whether changes begun before a crash are already done on the player (verified there), without sending
   * anything: for each, its result when it is, undefined when it is not or cannot be known.
   */
  check?(items: ChangeItem[], signal: AbortSignal): Promise<(SyncResult | undefined)[]>;
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
  /** The most new folders one scan of a parent covers; a larger bulk takes several (high priority between). */
  parentBatchMax?: number;
  /** Pieces of work in flight per player at once (default 1: in order; scans queue one at a time on a Kodi anyway). */
  concurrency?: number;
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
  /** When the earliest of its changes arrived. */
  at: number;
  /** Begun before a restart: checked on the player before it is sent again. */
  started: boolean;
  /** Finished on this player (done, cancelled, or dropped by a person): no longer listed, dropped or sent. */
  finished?: boolean;
}

/** A unit in flight, as the Players board sees it: what it waits for, and what ends that wait early. */
interface Flight {
  state: 'running' | 'deferred' | 'retrying';
  /** Being sent to the player now: it can be neither dropped nor retried. */
  sending: boolean;
  wake?: () => void;
  /** While deferred: who watches what. While retrying: when the next attempt is due, how many, and why. */
  watching?: string;
  retryAt?: number;
  attempts?: number;
  lastError?: string;
}

/** Who watches what, in a few words: "Anna: Alien (1979)", "The Office S02E03". */
export function watchingText(sessions: readonly PlaybackSession[]): string {
  return sessions
    .map((s) => {
      const episode =
        s.show !== undefined && s.season !== undefined && s.episode !== undefined
          ? `${s.show} S${String(s.season).padStart(2, '0')}E${String(s.episode).padStart(2, '0')}`
          : undefined;
      const what = episode ?? (s.year !== undefined ? `${s.title} (${s.year})` : s.title);
      return s.user ? `${s.user}: ${what}` : what;
    })
    .join(', ');
}

/** The reason a dropped change is reported with. */
export const DROPPED_REASON = 'dropped from the queue by a person (Players sidebar)';

/** A first-in first-out list whose shift is O(1). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(...values: T[]): void {
    for (const v of values) this.items.push(v);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const value = this.items[this.head];
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i];
  }
}

/** How many finished changes are given out in one turn of the event loop. */
const DELIVER_SLICE = 100;

/** How long a runner goes on from one piece of work to the next before it lets the event loop run. */
const YIELD_AFTER_MS = 10;

/** How many changes of a bulk are checked and serialised between two turns of the event loop. */
const ACCEPT_SLICE = 1000;

/** How many queued works are marked started with the one about to be sent (see process). */
const STARTED_AHEAD = 1024;

const workKey = (item: ChangeItem): string =>
  item.action === 'removed' && item.file ? item.file : item.path;

class TargetRunner {
  private staged = new Map<string, Work>();
  /** Units of work ready to run (one work, or new folders under one parent), high priority first. */
  private readonly high = new Fifo<Work[]>();
  private readonly normal = new Fifo<Work[]>();
  private queuedWorks = 0;
  /** The keys (paths) of the work in flight: a later change to one of them waits until it is through. */
  private readonly inFlight = new Set<string>();
  private inFlightWorks = 0;
  private unitsInFlight = 0;
  /** When this runner last let the event loop run (see drain). */
  private ranSince = Date.now();
  /** The commit of this player's last started marks. */
  private marksOnDisk: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  deferred = false;
  retrying = false;
  /** The units in flight, each with what it waits for. */
  private readonly flying = new Map<Work[], Flight>();

  constructor(
    private readonly engine: SyncEngine,
    readonly target: EngineTarget,
  ) {}

  get pending(): number {
    return this.staged.size + this.queuedWorks + this.inFlightWorks;
  }

  add(id: string, item: ChangeItem, priority: 'high' | 'normal', at: number, started = false): void {
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
      staged.started ||= started;
      staged.at = Math.min(staged.at, at);
      if (priority === 'high') staged.priority = 'high';
    } else {
      this.staged.set(key, { key, item, ids: [id], priority, at, started });
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

  /** Every work of this player, for the Players board: in flight first (with why it waits), then in order. */
  *items(): IterableIterator<QueueItemView> {
    const view = (w: Work, state: QueueItemView['state'], f?: Flight): QueueItemView => {
      const item: QueueItemView = {
        id: w.ids[0],
        what: w.item.path,
        action: w.item.action,
        state,
        since: w.at,
      };
      if (f && state === 'retrying') {
        if (f.retryAt !== undefined) item.nextAttemptAt = f.retryAt;
        if (f.attempts !== undefined) item.attempts = f.attempts;
        if (f.lastError !== undefined) item.reason = f.lastError;
      }
      if (f && state === 'deferred' && f.watching !== undefined) item.watching = f.watching;
      return item;
    };
    for (const [unit, f] of this.flying) {
      const state = f.sending ? 'running' : f.state;
      for (const w of unit) if (!w.finished) yield view(w, state, f);
    }
    for (const queue of [this.high, this.normal])
      for (const unit of queue) for (const w of unit) if (!w.finished) yield view(w, 'pending');
    for (const w of this.staged.values()) yield view(w, 'pending');
  }

  /** Ends the wait of the unit in flight when it holds `id` and waits (deferred or retrying): it is tried now. */
  retryNow(id: string): boolean {
    const found = this.flyingWith(id);
    if (!found?.flight.wake || found.flight.sending) return false;
    found.flight.wake();
    return true;
  }

  /** The unit in flight that holds the unfinished work `id`, if one does. */
  private flyingWith(id: string): { unit: Work[]; flight: Flight; work: Work } | undefined {
    for (const [unit, flight] of this.flying) {
      const work = unit.find((w) => w.ids[0] === id && !w.finished);
      if (work) return { unit, flight, work };
    }
    return undefined;
  }

  /**
   * Takes a work out of the queue and finishes it as cancelled (the node reports it; the other players still get
   * the change): a queued one, or one of the unit in flight while it waits; not one being sent to the player now.
   */
  drop(id: string): boolean {
    const finishDropped = (w: Work): void => {
      this.engine.finish(
        this.target,
        w,
        { status: 'cancelled', ok: false, reason: DROPPED_REASON, player: this.target.name },
        { dropped: true },
      );
      w.finished = true;
    };
    for (const [key, w] of this.staged) {
      if (w.ids[0] !== id) continue;
      this.staged.delete(key);
      finishDropped(w);
      this.engine.progress();
      return true;
    }
    const inFlight = this.flyingWith(id);
    if (inFlight) {
      const { flight } = inFlight;
      if (flight.sending || !flight.wake) return false;
      finishDropped(inFlight.work);
      // The wait ends only when nothing of the unit is left to wait for; the rest keeps its backoff.
      if (inFlight.unit.every((w) => w.finished)) flight.wake();
      else this.engine.progress();
      return true;
    }
    for (const queue of [this.high, this.normal]) {
      for (const unit of queue) {
        const w = unit.find((x) => x.ids[0] === id && !x.finished);
        if (!w) continue;
        finishDropped(w);
        this.engine.progress();
        return true;
      }
    }
    return false;
  }

  /** The staged works into units: high ones alone, new folders under one parent together where cheaper. */
  private flush(): void {
    this.clear();
    const works = [...this.staged.values()];
    this.staged.clear();
    this.queuedWorks += works.length;
    const threshold = this.engine.options.parentThreshold ?? 8;
    const most = Math.max(1, this.engine.options.parentBatchMax ?? 1000);
    const byParent = new Map<string, Work[]>();
    const units: Work[][] = [];
    for (const w of works) {
      if (w.priority === 'high') this.high.push([w]);
      else if (this.target.applyUnderParent && w.item.action === 'added') {
        const parent = parentFolder(w.item.path);
        const group = byParent.get(parent);
        if (group) group.push(w);
        else {
          const fresh = [w];
          byParent.set(parent, fresh);
          units.push(fresh); // in the order the first of each parent came
        }
      } else units.push([w]);
    }
    for (const unit of units) {
      if (unit.length === 1 || unit.length < threshold) {
        for (const w of unit) this.normal.push([w]);
      } else {
        for (let i = 0; i < unit.length; i += most) this.normal.push(unit.slice(i, i + most));
      }
    }
    this.drain();
  }

  /** Starts units while there is room, in order; a unit touching a path in flight waits for it (so do all after it). */
  private drain(): void {
    const most = Math.max(1, this.engine.options.concurrency ?? 1);
    while (!this.engine.closed() && this.unitsInFlight < most) {
      const queue = this.high.length > 0 ? this.high : this.normal;
      const unit = queue.peek();
      if (!unit || unit.some((w) => this.inFlight.has(w.key))) break;
      queue.shift();
      this.queuedWorks -= unit.length;
      this.inFlightWorks += unit.length;
      this.unitsInFlight++;
      for (const w of unit) this.inFlight.add(w.key);
      void this.process(unit).finally(() => {
        for (const w of unit) this.inFlight.delete(w.key);
        this.inFlightWorks -= unit.length;
        this.unitsInFlight--;
        if (this.pending === 0) {
          this.deferred = false;
          this.retrying = false;
        }
        this.engine.progress();
        // Work that answers at once (a player that is quick, a queue in memory) would otherwise run as one chain
        // of promises and keep Node-RED from everything else: the event loop gets its turn every few ms.
        if (Date.now() - this.ranSince < YIELD_AFTER_MS) this.drain();
        else {
          setImmediate(() => {
            this.ranSince = Date.now();
            this.drain();
          });
        }
      });
    }
  }

  /** The next `count` works queued (high priority first), without taking them. */
  private upcoming(count: number): Work[] {
    const works: Work[] = [];
    for (const queue of [this.high, this.normal]) {
      for (const unit of queue) {
        for (const w of unit) {
          if (works.length >= count) return works;
          works.push(w);
        }
      }
    }
    return works;
  }

  /** The works still to do; those whose items another player's failure cancelled are finished as cancelled. */
  private uncancelled(works: Work[]): Work[] {
    const live: Work[] = [];
    for (const w of works) {
      if (!w.ids.every((id) => this.engine.isCancelled(id))) {
        live.push(w);
        continue;
      }
      this.engine.finish(this.target, w, {
        status: 'cancelled',
        ok: false,
        reason: 'another player failed',
        player: this.target.name,
      });
    }
    return live;
  }

  /** Works begun before a restart that the player already shows done are finished without being sent again. */
  private async alreadyDone(works: Work[]): Promise<Work[]> {
    const { target } = this;
    const begun = works.filter((w) => w.started);
    if (!target.check || begun.length === 0) return works;
    const results = await target.check(
      begun.map((w) => w.item),
      this.engine.signal,
    );
    const finished = new Set<Work>();
    begun.forEach((w, i) => {
      const result = results[i];
      if (!result) return;
      finished.add(w);
      this.engine.finish(target, w, { ...result, resumed: true });
    });
    return works.filter((w) => !finished.has(w));
  }

  private async process(batch: Work[]): Promise<void> {
    const flight: Flight = { state: 'running', sending: false };
    this.flying.set(batch, flight);
    try {
      await this.processUnit(batch, flight);
    } finally {
      this.flying.delete(batch);
    }
  }

  private async processUnit(batch: Work[], flight: Flight): Promise<void> {
    const { options } = this.engine;
    let live = this.uncancelled(batch.filter((w) => !w.finished));
    if (live.length === 0) return;
    let attempt = 0;
    while (!this.engine.closed()) {
      // Finished while it waited (dropped by a person, already reported): the rest of the unit goes on.
      live = live.filter((w) => !w.finished);
      if (live.length === 0) return;
      flight.state = 'running';
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
            flight.state = 'deferred';
            flight.watching = watchingText(sessions);
            this.engine.progress();
            await this.waitForPlaybackStop(flight);
            continue;
          }
        }
        this.deferred = false;
        this.retrying = false;
        const results = await this.engine.exclusive(async () => {
          // One after another, a player before this one may have failed while this one waited its turn.
          live = await this.alreadyDone(this.uncancelled(live));
          if (live.length === 0) return [];
          // On disk before anything is sent: after a crash, this work is checked before it is sent again. The
          // works queued next are marked with it (a mark on one not yet sent only makes a restart check it first),
          // so that a bulk costs one fsync per few hundred works, not one each.
          const key = this.target.key;
          if (!live.every((w) => w.ids.every((id) => this.engine.isStarted(id, key)))) {
            this.marksOnDisk = this.engine.markStarted(
              this.target,
              [...live, ...this.upcoming(STARTED_AHEAD)],
              this.marksOnDisk,
            );
          }
          await this.marksOnDisk;
          flight.sending = true;
          this.engine.progress();
          return live.length > 1 && this.target.applyUnderParent
            ? this.target.applyUnderParent(
                parentFolder(live[0].item.path),
                live.map((w) => w.item),
                this.engine.signal,
                Math.min(...live.map((w) => w.at)),
              )
            : Promise.all(live.map((w) => this.target.apply(w.item, this.engine.signal)));
        });
        flight.sending = false;
        // A batch of 1,000 finishes a slice per turn of the event loop (each is journaled), not all in one go.
        for (let i = 0; i < live.length; i++) {
          if (i > 0 && i % DELIVER_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
          this.engine.finish(this.target, live[i], results[i]);
        }
        return;
      } catch (err) {
        flight.sending = false;
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
        const delay = backoffDelay(attempt++, options.retryMinMs ?? 1000, options.retryMaxMs ?? 300000);
        flight.state = 'retrying';
        flight.attempts = attempt;
        flight.retryAt = Date.now() + delay;
        flight.lastError = err instanceof Error ? err.message : String(err);
        this.engine.progress();
        // The backoff is for a player that is down: one that comes back is asked at once.
        await this.waitFor(delay, (cb) => this.target.onBack?.(cb), flight);
      }
    }
  }

  private waitForPlaybackStop(flight: Flight): Promise<void> {
    return this.waitFor(
      this.engine.options.deferPollMs ?? 30000,
      (cb) => this.target.onPlaybackStop?.(cb),
      flight,
    );
  }

  /** Waits `ms`, or less when `subscribe`'s event comes first, the engine closes, or `flight.wake()` is called. */
  private waitFor(
    ms: number,
    subscribe: (callback: () => void) => (() => void) | undefined,
    flight: Flight,
  ): Promise<void> {
    return new Promise((resolve) => {
      const state: { finished: boolean } = { finished: false };
      let unsubscribe: (() => void) | undefined;
      const done = (): void => {
        if (state.finished) return;
        state.finished = true;
        if (flight.wake === done) flight.wake = undefined;
        clearTimeout(timer);
        unsubscribe?.();
        this.engine.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      flight.wake = done;
      const off = subscribe(done);
      if (state.finished)
        off?.(); // the event had already come
      else unsubscribe = off;
      this.engine.signal.addEventListener('abort', done, { once: true });
      if (this.engine.signal.aborted) done();
    });
  }
}

/** One player's end of one piece of work (before the change is through on every player). */
export interface TargetOutcome {
  key: string;
  name: string;
  item: ChangeItem;
  result: TargetResult;
}

interface EngineEvents {
  'item-done': [ItemOutcome];
  /** A player is through with a change (the Players board shows it at once, before the other players). */
  'target-done': [TargetOutcome];
  /** The store could not write (a full disk, a permission): the work goes on, but may not survive a crash. */
  'store-error': [Error];
  /** The store wrote what was asked (after a store-error: it can write again). */
  'store-ok': [];
  progress: [{ done: number; total: number; deferred: string[]; retrying: string[] }];
}

export class SyncEngine extends EventEmitter<EngineEvents> {
  private closedFlag = false;
  private readonly runners: TargetRunner[];
  private readonly aborter = new AbortController();
  private readonly serial = new SerialQueue();
  private readonly cancelled = new Set<string>();
  private counter = 0;
  /** Changes whose end is being written before they are given out. */
  private finishing = 0;
  /** Finished changes waiting to be given out, and whether they are being given out. */
  private readonly outbox = new Fifo<ItemOutcome>();
  private delivering = false;
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
        if (state !== 'done' && !keys.has(key)) {
          this.journal.complete(entry.id, key, {
            status: 'skipped',
            ok: true,
            reason: 'the player is no longer configured in this node',
            player: key,
          });
        }
      }
      const mine = this.runners.filter((r) => {
        const state = entry.targets[r.target.key];
        return state === 'pending' || state === 'started';
      });
      if (mine.length === 0) continue;
      this.accepted++;
      resumed.push(entry);
      for (const runner of mine) {
        const started = entry.targets[runner.target.key] === 'started';
        runner.add(entry.id, entry.item, entry.priority, entry.at, started);
      }
    }
    this.progress();
    return resumed;
  }

  /**
   * Journals the items (so they survive a restart), then queues them for every player; returns their ids. All of
   * them or none: an item that cannot be journaled refuses the whole message with a JournalError, and nothing of
   * it is queued. The journal's write is group-committed in the background; nothing is sent to a player before it
   * is on disk (see markStarted).
   */
  accept(items: ChangeItem[], priority: 'high' | 'normal', onIds?: (ids: string[]) => void): string[] {
    const entries = this.entriesOf(items, priority);
    this.journal.putAll(entries);
    return this.queue(entries, onIds);
  }

  /**
   * The same for a bulk, without blocking Node-RED: its records are checked and serialised in slices (the event
   * loop runs between them), then journaled and queued in one short step. All of it or none, as accept.
   */
  async acceptBulk(
    items: ChangeItem[],
    priority: 'high' | 'normal',
    onIds?: (ids: string[]) => void,
  ): Promise<string[]> {
    const entries = this.entriesOf(items, priority);
    const prepared = [];
    for (let from = 0; from < entries.length; from += ACCEPT_SLICE) {
      if (from > 0) await new Promise((resolve) => setImmediate(resolve));
      prepared.push(this.journal.prepare(entries.slice(from, from + ACCEPT_SLICE)));
    }
    if (this.closedFlag)
      throw new JournalError('player-sync was stopped (a deploy) while it took the message');
    this.journal.putPrepared(entries, prepared);
    return this.queue(entries, onIds);
  }

  private entriesOf(items: ChangeItem[], priority: 'high' | 'normal'): JournalEntry[] {
    const now = Date.now();
    const targets = this.runners.map((r) => r.target.key);
    // Unique within the node: the time and a random tag for the message, a counter for each of its items.
    const tag = `${now.toString(36)}-${Math.random().toString(36).slice(2, 6)}-`;
    return items.map((item) => {
      const states: Record<string, TargetState> = {};
      for (const key of targets) states[key] = 'pending';
      return {
        id: tag + (this.counter++).toString(36),
        item,
        priority,
        at: now,
        targets: states,
        results: {},
      };
    });
  }

  /** Queues journaled entries for every player; `onIds` hears their ids first (before any can be done). */
  private queue(entries: JournalEntry[], onIds?: (ids: string[]) => void): string[] {
    const ids = entries.map((e) => e.id);
    onIds?.(ids);
    this.accepted += entries.length;
    for (const runner of this.runners) {
      for (const { id, item, priority, at } of entries) runner.add(id, item, priority, at);
    }
    this.progress();
    return ids;
  }

  /**
   * Marks the works started for a player and resolves when those marks (and all journaled before) are on disk.
   * `onDisk` is the commit of this player's marks written before; it is waited for when nothing new is written.
   */
  markStarted(
    target: EngineTarget,
    works: readonly { ids: string[] }[],
    onDisk: Promise<void>,
  ): Promise<void> {
    let wrote = false;
    for (const w of works) for (const id of w.ids) wrote = this.journal.start(id, target.key) || wrote;
    if (!wrote) return onDisk;
    return this.commit();
  }

  /** The journal's writes on disk; a failure is told (store-error), and so is a success after one (store-ok). */
  private commit(): Promise<void> {
    return this.journal.commit().then(
      () => {
        this.emit('store-ok');
      },
      (err: unknown) => {
        this.emit('store-error', err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  /** Whether a player's work on an entry is marked started (or done) in the journal. */
  isStarted(id: string, target: string): boolean {
    const state = this.journal.stateOf(id, target);
    return state !== undefined && state !== 'pending';
  }

  isCancelled(id: string): boolean {
    return this.cancelled.has(id);
  }

  /** Runs player work one at a time across players when they are to be done one after another. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.options.parallel ? work() : this.serial.run(work);
  }

  /** A player is through with a work; `dropped`: a person took it out (it cancels the change on no other player). */
  finish(target: EngineTarget, work: Work, result: TargetResult, how: { dropped?: boolean } = {}): void {
    // Work that ends after close (a redeploy aborted it) stays pending in the journal: the next engine does it.
    if (this.closedFlag) return;
    work.finished = true;
    if (this.listenerCount('target-done') > 0)
      this.emit('target-done', { key: target.key, name: target.name, item: work.item, result });
    const outcomes: ItemOutcome[] = [];
    for (const id of work.ids) {
      if (!result.ok && !this.options.continueOnError && !how.dropped) this.cancelled.add(id);
      const entry = this.journal.complete(id, target.key, result);
      if (!entry || Object.values(entry.targets).some((s) => s !== 'done')) continue;
      this.cancelled.delete(id);
      const done = entry.results as Record<string, TargetResult>;
      // In the order the players are configured, not the order they finished in.
      const results: Record<string, TargetResult> = {};
      for (const runner of this.runners) {
        if (runner.target.key in done) results[runner.target.key] = done[runner.target.key];
      }
      outcomes.push({ entry, ok: Object.values(results).every((r) => r.ok), results });
    }
    if (outcomes.length === 0) {
      this.progress();
      return;
    }
    // Out only once its end is on disk: a crash after this never gives the same change out twice.
    this.finishing += outcomes.length;
    void this.commit().then(() => {
      this.outbox.push(...outcomes);
      if (!this.delivering) this.deliver();
    });
  }

  /**
   * Gives out finished changes in order, a slice per turn of the event loop: a batch of 1,000 verified at once
   * would otherwise become 1,000 messages in one go, and Node-RED would answer nothing meanwhile.
   */
  private deliver(): void {
    this.delivering = true;
    for (let n = 0; n < DELIVER_SLICE; n++) {
      const outcome = this.outbox.shift();
      if (!outcome) break;
      this.finishing--;
      if (this.closedFlag) continue;
      this.completed++;
      this.emit('item-done', outcome);
    }
    if (!this.closedFlag) this.progress();
    if (this.outbox.length > 0)
      setImmediate(() => {
        this.deliver();
      });
    else this.delivering = false;
  }

  progress(): void {
    this.emit('progress', {
      done: this.completed,
      total: this.accepted,
      deferred: this.runners.filter((r) => r.deferred).map((r) => r.target.name),
      retrying: this.runners.filter((r) => r.retrying).map((r) => r.target.name),
    });
    // Once all is through (and said, "10/10"), a new round of work counts from zero.
    if (this.finishing === 0 && !this.runners.some((r) => r.pending > 0)) {
      this.accepted -= this.completed;
      this.completed = 0;
    }
  }

  /** Each player's works, for the Players board. */
  queues(): { key: string; name: string; items: () => IterableIterator<QueueItemView> }[] {
    return this.runners.map((r) => ({ key: r.target.key, name: r.target.name, items: () => r.items() }));
  }

  /** Ends the wait of a deferred or retrying change on one player: it is tried now. */
  retryNow(key: string, id: string): boolean {
    return this.runners.find((r) => r.target.key === key)?.retryNow(id) ?? false;
  }

  /** Takes a change out of one player's queue; it comes out (output 2) as cancelled, dropped by a person. */
  drop(key: string, id: string): boolean {
    if (this.closedFlag) return false;
    return this.runners.find((r) => r.target.key === key)?.drop(id) ?? false;
  }

  /** Closed: no new work starts; a method, so that a loop re-reads it after every await. */
  closed(): boolean {
    return this.closedFlag;
  }

  /** Stops: no new work starts, work in flight is aborted (it stays in the journal), the journal is written. */
  close(): Promise<void> {
    this.closedFlag = true;
    this.aborter.abort();
    for (const runner of this.runners) runner.clear();
    this.removeAllListeners();
    return this.journal.close();
  }
}
