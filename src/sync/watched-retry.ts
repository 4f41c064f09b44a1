/**
 * Watched-sync's retries: a change a player could not take yet (the item is still being imported there: "not
 * found"; the player is down: "failed") is kept in the store and tried again by a policy chosen per library-path
 * prefix (the longest prefix that matches wins): `retries` −1 forever, 0 never, n times; `delay` seconds between
 * tries. What is kept is plain data built from the change's known fields, never a message; after a restart the
 * waiting retries are resumed. Knows nothing of Node-RED.
 */
import type { Collection } from './store';
import { isObject } from '../core/values';
import { isUnder } from '../core/paths';
import type { WatchedChange, WatchedItem } from './watched';
import { itemKey } from './watched';

export interface RetryPolicy {
  /** A library path prefix; '' (or '/') for every item. */
  prefix: string;
  /** −1: forever; 0: never; n: n more tries. */
  retries: number;
  /** Seconds between tries. */
  delayS: number;
}

/** When no policy names the item's path: a few tries over about an hour (an import usually lands by then). */
export const DEFAULT_POLICY: RetryPolicy = { prefix: '', retries: 6, delayS: 600 };

/** The policy for a library path: the longest prefix that holds it, else the default. */
export function policyFor(policies: readonly RetryPolicy[], libraryPath: string | undefined): RetryPolicy {
  let best: RetryPolicy | undefined;
  for (const p of policies) {
    const everything = p.prefix === '' || p.prefix === '/';
    if (!everything && (!libraryPath || !isUnder(libraryPath, p.prefix))) continue;
    if (!best || p.prefix.length > best.prefix.length) best = p;
  }
  return best ?? DEFAULT_POLICY;
}

/** A retry waiting in the store. */
export interface RetryRecord {
  /** The player (config node id) the change is for. */
  target: string;
  change: WatchedChange;
  /** Tries so far, and when the next is due (ms since the epoch). */
  attempts: number;
  nextAt: number;
  /** Why the last try did not take. */
  reason: string;
  /** The player did not have the item (yet): waiting for its import there, rather than for the player. */
  importing?: boolean;
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optStr = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string';
const optNum = (v: unknown): v is number | undefined => v === undefined || num(v);
const optBool = (v: unknown): v is boolean | undefined => v === undefined || typeof v === 'boolean';

function checkItem(v: unknown): WatchedItem | undefined {
  if (!isObject(v)) return undefined;
  const { libraryPath, type, title, year, show, season, episode, ids } = v;
  if (!optStr(libraryPath) || !optStr(type) || !optStr(title) || !optStr(show)) return undefined;
  if (!optNum(year) || !optNum(season) || !optNum(episode)) return undefined;
  const item: WatchedItem = { libraryPath, type, title, year, show, season, episode };
  if (ids !== undefined) {
    if (!isObject(ids) || !optStr(ids.imdb) || !optNum(ids.tmdb) || !optNum(ids.tvdb)) return undefined;
    item.ids = { imdb: ids.imdb, tmdb: ids.tmdb, tvdb: ids.tvdb };
  }
  return item;
}

/** A stored retry read back, checked field by field; undefined drops it (the store says how many it dropped). */
export function checkRetry(value: unknown): RetryRecord | undefined {
  if (!isObject(value) || typeof value.target !== 'string' || !isObject(value.change)) return undefined;
  if (!num(value.attempts) || !num(value.nextAt) || typeof value.reason !== 'string') return undefined;
  const c = value.change;
  const item = checkItem(c.item);
  if (!item || !num(c.at) || !optStr(c.from) || !optStr(c.user)) return undefined;
  if (!optBool(c.played) || !optNum(c.positionS) || !optNum(c.runtimeS)) return undefined;
  if (!optBool(c.favourite) || !optNum(c.rating) || !optBool(value.importing)) return undefined;
  const change: WatchedChange = { from: c.from, user: c.user, item, at: c.at };
  if (c.played !== undefined) change.played = c.played;
  if (c.positionS !== undefined) change.positionS = c.positionS;
  if (c.runtimeS !== undefined) change.runtimeS = c.runtimeS;
  if (c.favourite !== undefined) change.favourite = c.favourite;
  if (c.rating !== undefined) change.rating = c.rating;
  const record: RetryRecord = {
    target: value.target,
    change: plain(change),
    attempts: value.attempts,
    nextAt: value.nextAt,
    reason: value.reason,
  };
  if (value.importing === true) record.importing = true;
  return record;
}

/** Plain data only: the fields set, nothing else of whatever the change was made from. */
function plain(change: WatchedChange): WatchedChange {
  const strip = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return strip({
    ...change,
    item: strip({ ...change.item, ids: change.item.ids && strip({ ...change.item.ids }) }),
  });
}

/** The key of a retry: one per player, user and item (a newer change of the same replaces the older). */
export function retryKey(target: string, change: WatchedChange): string {
  return `${target}|${(change.user ?? '').toLowerCase()}|${fieldsOf(change).join(',')}|${itemKey(change.item)}`.slice(
    0,
    2000,
  );
}

/** The fields a change sets (played, positionS, favourite, rating): a retry is kept per field set. */
function fieldsOf(change: WatchedChange): string[] {
  return (['played', 'positionS', 'favourite', 'rating'] as const).filter((k) => change[k] !== undefined);
}

/** What a failed try leads to. */
export type RetryOutcome =
  { kind: 'scheduled'; record: RetryRecord } | { kind: 'given-up'; record: RetryRecord };

export class RetryQueue {
  private timer?: NodeJS.Timeout;
  private running = false;
  /** Read through a method: it changes while a try awaits a player. */
  private state: { closed: boolean; attempting?: string } = { closed: false };

  constructor(
    private readonly store: Collection<RetryRecord>,
    private readonly policies: readonly RetryPolicy[],
    /** Tries one waiting retry; resolves true when it took (or is no longer wanted), false to try again later. */
    private readonly attempt: (
      record: RetryRecord,
    ) => Promise<{ ok: boolean; reason?: string; importing?: boolean }>,
    /** A retry that ran out of tries. */
    private readonly gaveUp: (record: RetryRecord) => void,
  ) {}

  private isClosed(): boolean {
    return this.state.closed;
  }

  /** Retries waiting now. */
  get size(): number {
    return this.store.size;
  }

  /** All waiting retries, for a status or a sidebar. */
  list(): RetryRecord[] {
    return this.entries().map(([, r]) => r);
  }

  /** The waiting retry of `key`, if there is one. */
  get(key: string): RetryRecord | undefined {
    return this.store.get(key);
  }

  /** All waiting retries with their keys (what "retry now" and "drop" name). */
  entries(): [string, RetryRecord][] {
    const out: [string, RetryRecord][] = [];
    for (const key of this.store.keys()) {
      const r = this.store.get(key);
      if (r) out.push([key, r]);
    }
    return out;
  }

  /** The retry being tried now, if one is: it can be neither dropped nor retried. */
  get attempting(): string | undefined {
    return this.state.attempting;
  }

  /** A waiting retry is tried now, not at its time; false when there is no such retry (or it is being tried). */
  retryNow(key: string, now = Date.now()): boolean {
    const record = this.store.get(key);
    if (!record || this.isClosed() || key === this.state.attempting) return false;
    if (record.nextAt > now) this.store.set(key, { ...record, nextAt: now });
    void this.runDue(now);
    return true;
  }

  /**
   * A waiting retry taken out (a person's "drop"); the record dropped, or undefined when there was none or it is
   * being tried now (its outcome is on its way).
   */
  drop(key: string): RetryRecord | undefined {
    const record = this.store.get(key);
    if (!record || key === this.state.attempting) return undefined;
    this.store.delete(key);
    this.plan();
    return record;
  }

  /**
   * A change did not take on `target`: kept for a retry by its policy, or given up at once when the policy says
   * never (or it has had its tries).
   */
  failed(
    target: string,
    change: WatchedChange,
    reason: string,
    previous?: RetryRecord,
    now = Date.now(),
    importing = false,
  ): RetryOutcome {
    const policy = policyFor(this.policies, change.item.libraryPath);
    const attempts = (previous?.attempts ?? 0) + (previous ? 1 : 0);
    const record: RetryRecord = {
      target,
      change: plain(change),
      attempts,
      nextAt: now + policy.delayS * 1000,
      reason,
    };
    if (importing) record.importing = true;
    const key = retryKey(target, change);
    if (policy.retries === 0 || (policy.retries > 0 && attempts >= policy.retries)) {
      this.store.delete(key);
      return { kind: 'given-up', record };
    }
    this.store.set(key, record);
    this.plan();
    return { kind: 'scheduled', record };
  }

  /** A newer change of the same user and item on `target` took: an older retry of it is not wanted any more. */
  settled(target: string, change: WatchedChange): void {
    // Only retries of no more than the fields this change set: a pending "played" is not settled by a position.
    const took = new Set(fieldsOf(change));
    const user = (change.user ?? '').toLowerCase();
    const item = itemKey(change.item);
    const gone: string[] = [];
    for (const key of this.store.keys()) {
      const r = this.store.get(key);
      if (!r || r.target !== target || (r.change.user ?? '').toLowerCase() !== user) continue;
      if (itemKey(r.change.item) !== item) continue;
      if (fieldsOf(r.change).every((f) => took.has(f))) gone.push(key);
    }
    if (gone.length > 0) this.store.deleteMany(gone);
  }

  /** Tries every retry that is due now, then plans the next wake-up. */
  async runDue(now = Date.now()): Promise<void> {
    if (this.running) return; // one pass at a time: the running one plans the next when it ends
    this.running = true;
    try {
      await this.runPass(now);
    } finally {
      this.running = false;
    }
    this.plan();
  }

  private async runPass(now: number): Promise<void> {
    const due: [string, RetryRecord][] = [];
    for (const key of this.store.keys()) {
      const r = this.store.get(key);
      if (r && r.nextAt <= now) due.push([key, r]);
    }
    for (const [key, record] of due) {
      if (this.isClosed()) return;
      let outcome: { ok: boolean; reason?: string; importing?: boolean };
      this.state.attempting = key;
      try {
        outcome = await this.attempt(record);
      } catch (err) {
        outcome = { ok: false, reason: (err as Error).message };
      } finally {
        this.state.attempting = undefined;
      }
      if (this.isClosed()) return;
      const now = this.store.get(key);
      // Replaced by a newer change meanwhile (or settled): that one is not this try's to end.
      if (!now || now.nextAt !== record.nextAt || now.change.at !== record.change.at) continue;
      if (outcome.ok) {
        this.store.delete(key);
        continue;
      }
      const next = this.failed(
        record.target,
        record.change,
        outcome.reason ?? record.reason,
        record,
        Date.now(),
        outcome.importing ?? record.importing,
      );
      if (next.kind === 'given-up') this.gaveUp(next.record);
    }
  }

  /** Sets the timer for the earliest retry (at most a day ahead; timers that long drift). */
  plan(): void {
    if (this.running) return; // planned when the pass ends
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.isClosed()) return;
    let earliest = Infinity;
    for (const key of this.store.keys())
      earliest = Math.min(earliest, this.store.get(key)?.nextAt ?? Infinity);
    if (earliest === Infinity) return;
    const wait = Math.min(Math.max(0, earliest - Date.now()), 24 * 3600 * 1000);
    this.timer = setTimeout(() => {
      void this.runDue();
    }, wait);
  }

  /** Stops the timer; what waits stays in the store for the next start. */
  close(): void {
    this.state.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
