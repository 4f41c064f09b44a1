/**
 * The Players board: what the "Players" sidebar and the health endpoint show. Every configured player (its
 * connection: WebSocket, polling or down, since when; version; last good call; last failure), every queue of
 * player-sync and watched-sync per player (pending, deferred while someone watches, retrying, waiting for an
 * import) with "retry now" and "drop" for its items, and the last results. Sources register and unregister as
 * nodes start and close; the board pulls their views when a snapshot is taken, so a burst of changes costs one
 * snapshot per publish, not one per change. Plain data only, nothing secret: labels, paths, titles, reasons.
 * Knows nothing of Node-RED.
 */
import { EventEmitter } from 'node:events';
import { cleanText } from '../core/values';

export type PlayerKind = 'kodi' | 'jellyfin' | 'plex';

/** websocket: pushed events; polling: answers, but no push; down: does not answer (or refuses the credential). */
export type ConnectionView = 'idle' | 'connecting' | 'websocket' | 'polling' | 'down';

export interface PlayerView {
  /** The config node's id. */
  id: string;
  name: string;
  type: PlayerKind;
  state: ConnectionView;
  /** When the state began (ms since the epoch). */
  since: number;
  version?: string;
  lastSuccessAt?: number;
  lastFailureAt?: number;
  /** The last failure's reason, in words for people (never a secret). */
  lastFailure?: string;
}

export type QueueItemState = 'pending' | 'running' | 'deferred' | 'retrying' | 'waiting-for-import';

export interface QueueItemView {
  /** Unique within its queue: what "retry now" and "drop" name. */
  id: string;
  /** The library path, or the title where there is one. */
  what: string;
  /** added / updated / removed; watched, position… */
  action?: string;
  state: QueueItemState;
  /** When it arrived. */
  since?: number;
  /** For a retry: when the next attempt is due, how many there were, and why the last did not take. */
  nextAttemptAt?: number;
  attempts?: number;
  reason?: string;
  /** While deferred: who watches what ("Anna: Alien (1979)"). */
  watching?: string;
}

export interface QueueCounts {
  pending: number;
  running: number;
  deferred: number;
  retrying: number;
  waitingForImport: number;
}

export interface QueueView {
  /** Unique on the board: `<node id>/<player key>` (a Node-RED id holds no "/"). */
  id: string;
  node: string;
  nodeType: string;
  nodeName: string;
  /** The player's key (its config node's id, or a Kodi group's) and name. */
  player: string;
  playerName: string;
  counts: QueueCounts;
  /** The first MAX_QUEUE_ITEMS items, those with something to say first (retrying, deferred, running). */
  items: QueueItemView[];
  /** How many more there are than listed. */
  more: number;
}

/** A queue's node as the board sees it: its views (one per player), and what its buttons do. */
export interface QueueSource {
  views(): QueueView[];
  /** Runs a waiting item of `player`'s queue now; false when there is no such item or it is not waiting. */
  retryNow(player: string, item: string): boolean;
  /** Takes an item out of `player`'s queue (its node reports it dropped); false when it cannot be (being sent). */
  drop(player: string, item: string): boolean;
}

/** How a result is filed in the list. */
export type ResultOutcome = 'verified' | 'not-verified' | 'removed' | 'failed' | 'skipped';

export interface ResultView {
  /** Increasing: the newest has the largest. */
  seq: number;
  at: number;
  node: string;
  nodeType: string;
  nodeName: string;
  player: string;
  playerName: string;
  playerType?: string;
  outcome: ResultOutcome;
  /** The node's own status word (verified, not-verified, timed-out, already…). */
  status: string;
  what: string;
  action?: string;
  durationMs?: number;
  reason?: string;
}

export interface StoreView {
  /** Where the store's files are (undefined when nothing is kept on disk). */
  dir?: string;
  writable: boolean;
  /** The last write that failed, and when (cleared by nothing: it says what happened). */
  lastError?: string;
  lastErrorAt?: number;
}

export interface HealthSnapshot {
  /** Every player answers and the store can be written. */
  ready: boolean;
  at: number;
  players: PlayerView[];
  queues: QueueView[];
  store: StoreView;
  /** Newest first. */
  results: ResultView[];
}

/** The most results kept. */
export const MAX_RESULTS = 100;
/** The most items one queue lists (the counts cover them all). */
export const MAX_QUEUE_ITEMS = 50;
/** The longest text kept of a path, title or reason. */
const MAX_TEXT = 300;

/** A text fit to show: a string, without control characters, at most MAX_TEXT long. */
export function shown(value: unknown): string | undefined {
  const clean = cleanText(value);
  return clean !== undefined && clean.length > MAX_TEXT ? `${clean.slice(0, MAX_TEXT - 1)}…` : clean;
}

/** Items with something to say first: retrying, waiting for an import, deferred, running, then pending. */
const ORDER: Record<QueueItemState, number> = {
  retrying: 0,
  'waiting-for-import': 1,
  deferred: 2,
  running: 3,
  pending: 4,
};

/** A queue's view from all its items: counted, the first MAX_QUEUE_ITEMS listed in order of interest. */
export function queueView(
  base: Omit<QueueView, 'id' | 'counts' | 'items' | 'more'>,
  items: Iterable<QueueItemView>,
  extraPending = 0,
): QueueView {
  const counts: QueueCounts = {
    pending: extraPending,
    running: 0,
    deferred: 0,
    retrying: 0,
    waitingForImport: 0,
  };
  const listed: QueueItemView[] = [];
  let total = extraPending;
  for (const item of items) {
    total++;
    if (item.state === 'waiting-for-import') counts.waitingForImport++;
    else counts[item.state]++;
    listed.push(item);
  }
  listed.sort((a, b) => ORDER[a.state] - ORDER[b.state]);
  const shownItems = listed.slice(0, MAX_QUEUE_ITEMS);
  return {
    id: `${base.node}/${base.player}`,
    ...base,
    counts,
    items: shownItems,
    more: total - shownItems.length,
  };
}

/** How a player-sync result is filed: a verified removal is "removed"; what was not checked is "not verified". */
export function outcomeOf(status: string, action?: string, ok?: boolean): ResultOutcome {
  if (status === 'verified' || status === 'already') return action === 'remove' ? 'removed' : 'verified';
  if (status === 'removed') return 'removed';
  if (status === 'skipped') return 'skipped';
  if (status === 'failed' || status === 'refused' || status === 'cancelled') return 'failed';
  if (ok === false && status !== 'not-verified' && status !== 'timed-out') return 'failed';
  return 'not-verified';
}

interface BoardEvents {
  /** Something on the board changed: a snapshot now differs from the last. */
  change: [];
  /** A player came, went, or changed its state or version (also a `change`). */
  players: [];
}

export class HealthBoard extends EventEmitter<BoardEvents> {
  private readonly players = new Map<string, () => PlayerView>();
  private readonly queues = new Map<string, QueueSource>();
  private readonly stores = new Map<string, () => StoreView>();
  private results: ResultView[] = [];
  private seq = 0;
  private storeError?: { message: string; at: number };
  private storeOkAt = 0;

  constructor() {
    super();
    this.setMaxListeners(0); // one per player-health node, and the push: as many as a user's flows hold
  }

  /** A write of the store failed (a full disk, a permission): not ready until a write succeeds again. */
  reportStoreError(message: string, at = Date.now()): void {
    this.storeError = { message: shown(message) ?? 'a write failed', at };
    this.changed();
  }

  /** A write of the store succeeded: after a failure, ready again (the failure stays shown, with its time). */
  reportStoreOk(at = Date.now()): void {
    const failing = this.storeFailing();
    this.storeOkAt = at;
    if (failing) this.changed();
  }

  private storeFailing(): boolean {
    return this.storeError !== undefined && this.storeError.at >= this.storeOkAt;
  }

  /** A player's view, read at each snapshot; returns what takes it off the board. */
  addPlayer(id: string, view: () => PlayerView): () => void {
    this.players.set(id, view);
    this.playersChanged();
    return () => {
      if (this.players.get(id) !== view) return;
      this.players.delete(id);
      this.playersChanged();
    };
  }

  /** A node's queues; returns what takes them off the board. */
  addQueues(node: string, source: QueueSource): () => void {
    this.queues.set(node, source);
    this.changed();
    return () => {
      if (this.queues.get(node) !== source) return;
      this.queues.delete(node);
      this.changed();
    };
  }

  /** Where state is kept on disk, read at each snapshot (one per Node-RED user dir). */
  addStore(key: string, view: () => StoreView): () => void {
    this.stores.set(key, view);
    return () => {
      if (this.stores.get(key) === view) this.stores.delete(key);
    };
  }

  /** One result, at the top of the list; the oldest beyond MAX_RESULTS go. */
  addResult(result: Omit<ResultView, 'seq' | 'at'> & { at?: number }): void {
    const clean: ResultView = {
      ...result,
      seq: ++this.seq,
      at: result.at ?? Date.now(),
      what: shown(result.what) ?? '',
      reason: shown(result.reason),
    };
    if (clean.reason === undefined) delete clean.reason;
    this.results.push(clean);
    if (this.results.length > 2 * MAX_RESULTS) this.results = this.results.slice(-MAX_RESULTS);
    this.changed();
  }

  /** "Retry now" on an item of a queue (by the queue's id, as its view gives it). */
  retryNow(queue: string, item: string): boolean {
    return this.act(queue, (source, player) => source.retryNow(player, item));
  }

  /** "Drop" an item of a queue (by the queue's id, as its view gives it). */
  drop(queue: string, item: string): boolean {
    return this.act(queue, (source, player) => source.drop(player, item));
  }

  /** A button's action on the node the queue id names (`<node>/<player>`), without listing any queue. */
  private act(queue: string, action: (source: QueueSource, player: string) => boolean): boolean {
    const at = queue.indexOf('/');
    const source = at > 0 ? this.queues.get(queue.slice(0, at)) : undefined;
    const ok = source !== undefined && action(source, queue.slice(at + 1));
    if (ok) this.changed();
    return ok;
  }

  changed(): void {
    this.emit('change');
  }

  /** A player's state (or the list of players) changed: heard by those who watch the players alone. */
  playersChanged(): void {
    this.emit('players');
    this.changed();
  }

  /** Every player, without the rest of the snapshot (cheap: for watching the players alone). */
  snapshotPlayers(): PlayerView[] {
    const players: PlayerView[] = [];
    for (const view of this.players.values()) {
      try {
        players.push(view());
      } catch {
        // a source that cannot say (closing) is left out
      }
    }
    return players.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  snapshot(now = Date.now()): HealthSnapshot {
    const players = this.snapshotPlayers();
    const queues: QueueView[] = [];
    for (const source of this.queues.values()) {
      try {
        queues.push(...source.views());
      } catch {
        // as above
      }
    }
    queues.sort((a, b) => a.nodeName.localeCompare(b.nodeName) || a.playerName.localeCompare(b.playerName));
    const stores = [...this.stores.values()].map((view) => view());
    const store: StoreView = { ...(stores.find((s) => !s.writable) ?? stores.at(0) ?? { writable: true }) };
    if (this.storeError) {
      store.lastError = this.storeError.message;
      store.lastErrorAt = this.storeError.at;
    }
    const ready = players.every((p) => p.state !== 'down') && store.writable && !this.storeFailing();
    return {
      ready,
      at: now,
      players,
      queues,
      store,
      results: this.results.slice(-MAX_RESULTS).reverse(),
    };
  }
}

/** The board of this Node-RED: every node of the package reports to it. */
export const healthBoard = new HealthBoard();

/** A player's connection state as it changes, with when it began; the rest of its view is read when asked. */
export class PlayerTracker {
  private current: ConnectionView = 'idle';
  private sinceAt = Date.now();
  version?: string;

  constructor(
    private readonly read: () => Omit<PlayerView, 'state' | 'since' | 'version'>,
    private readonly board: HealthBoard = healthBoard,
  ) {}

  get state(): ConnectionView {
    return this.current;
  }

  /** The state now; the board hears of a change. */
  set(state: ConnectionView, now = Date.now()): void {
    if (state === this.current) return;
    this.current = state;
    this.sinceAt = now;
    this.board.playersChanged();
  }

  setVersion(version: string | undefined): void {
    const clean = shown(version);
    if (clean === undefined || clean === this.version) return;
    this.version = clean;
    this.board.playersChanged();
  }

  view(): PlayerView {
    const view: PlayerView = { ...this.read(), state: this.current, since: this.sinceAt };
    if (this.version !== undefined) view.version = this.version;
    return view;
  }
}
