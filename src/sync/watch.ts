/**
 * Who watches what: the watch-activity domain, for every kind of player. Observations of a player's sessions come
 * in (from its notifications, or a poll), events go out: started, paused, resumed, progress, stopped, completed.
 *
 * Watched time counts the time a session was seen playing: wall-clock time from one move of its position to the next,
 * but no more than the position moved (a stall or buffering does not count), and none of a pause; around a seek the
 * time played counts, not the distance jumped. Players report positions sparsely (Plex every ~10 s, Jellyfin on each
 * client report): time is counted when the position moves, not at every look. A play
 * is completed when its position reaches the threshold (85 % by default) and it was watched for at least the
 * minimum (120 s by default, to ignore zapping), at most once per user, item and day; those completions are kept
 * in the store, so a restart does not complete the same play twice. Knows nothing of Node-RED.
 */
import type { Collection } from './store';
import { isObject } from '../core/values';
import type { ProviderIds } from '../core/playback';

/** One playing session as a player reports it, in the same words for Kodi, Jellyfin and Plex. */
export interface WatchObservation {
  /** Stable while the session lasts: Kodi's player id, Jellyfin's session id, Plex's session key. */
  sessionId: string;
  user?: string;
  device?: string;
  /** The app playing it, where the player says (Jellyfin's client, Plex's player product). */
  client?: string;
  item: WatchItem;
  /** Where playback is, in seconds, and how long the item runs. */
  positionS?: number;
  runtimeS?: number;
  paused: boolean;
}

export interface WatchItem {
  /** movie, episode, song… as the player names it */
  type: string;
  title: string;
  /** The player's own id of the item, where it has one. */
  id?: string;
  year?: number;
  show?: string;
  season?: number;
  episode?: number;
  ids?: ProviderIds;
  playerPath?: string;
  libraryPath?: string;
}

export type WatchTopic = 'started' | 'paused' | 'resumed' | 'progress' | 'stopped' | 'completed';

export interface WatchEvent {
  topic: WatchTopic;
  sessionId: string;
  user?: string;
  device?: string;
  client?: string;
  item: WatchItem;
  positionS?: number;
  runtimeS?: number;
  /** Position as a percentage of the runtime, one decimal. */
  percent?: number;
  /** Seconds seen playing, pauses and seeks excluded. */
  watchedS: number;
  /** When the session was first seen (ms since the epoch). */
  startedAt: number;
}

export interface WatchOptions {
  /** Percent of the runtime the position must reach for a completion (default 85). */
  thresholdPercent?: number;
  /** Seconds that must have been watched for a completion (default 120). */
  minimumWatchedS?: number;
  /** How often a progress event is given while playing, in ms; 0 for none (default 0). */
  progressEveryMs?: number;
}

interface Session {
  obs: WatchObservation;
  startedAt: number;
  /** When it was last seen. */
  seenAt: number;
  /** Where the position last moved to, and when (or when playing resumed there): time is counted from here. */
  anchorPos?: number;
  anchorAt: number;
  /** What the last ordinary move of the position played: about how often this player reports (Kodi 1 s, Plex 10 s). */
  stepMs: number;
  watchedMs: number;
  progressAt: number;
  completed: boolean;
  /** Not seen since the player could not be asked: the time since seenAt is unknown. */
  unsure: boolean;
}

/** A completion remembered in the store: who completed which item on which day (the key says it all). */
export interface CompletionRecord {
  at: number;
}

/** The store's record of a completion, checked when read back; undefined drops it. */
export function checkCompletion(value: unknown): CompletionRecord | undefined {
  return isObject(value) && typeof value.at === 'number' && Number.isFinite(value.at)
    ? { at: value.at }
    : undefined;
}

/** The day (UTC) of a time, for "once per user, item and day". */
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Who completed what, for the dedup key: the user, and the item's most stable name. */
function completionKey(obs: WatchObservation, at: number): string {
  const { item } = obs;
  const what =
    item.libraryPath ?? item.playerPath ?? item.id ?? `${item.type}:${item.show ?? ''}:${item.title}`;
  return `${dayOf(at)}|${obs.user ?? ''}|${what}`.slice(0, 1000);
}

/** How long completions are remembered: a little over a day is all "once per day" needs. */
const KEEP_COMPLETIONS_MS = 3 * 24 * 3600 * 1000;

export class WatchTracker {
  private readonly sessions = new Map<string, Session>();
  private readonly threshold: number;
  private readonly minimumMs: number;
  private readonly progressEveryMs: number;

  constructor(
    options: WatchOptions = {},
    /** Where completions are remembered across restarts (a store collection, or none). */
    private readonly completions?: Collection<CompletionRecord>,
  ) {
    this.threshold = options.thresholdPercent ?? 85;
    this.minimumMs = (options.minimumWatchedS ?? 120) * 1000;
    this.progressEveryMs = options.progressEveryMs ?? 0;
  }

  /** Whether a session is being followed. */
  has(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  /** Whether a session is followed now, playing this item. */
  follows(sessionId: string, item: WatchItem): boolean {
    const session = this.sessions.get(sessionId);
    return session !== undefined && sameItem(session.obs.item, item);
  }

  /**
   * Sessions not seen for longer than `silentMs` end without events (a stop that never came: a webhook lost, a
   * server gone): what a source that is only told of changes keeps stays bounded.
   */
  expire(silentMs: number, now = Date.now()): void {
    for (const [id, session] of this.sessions) if (now - session.seenAt > silentMs) this.sessions.delete(id);
  }

  /** Whether a session followed now was last seen paused (undefined when it is not followed). */
  pausedOf(sessionId: string): boolean | undefined {
    return this.sessions.get(sessionId)?.obs.paused;
  }

  /** Sessions being followed now. */
  get active(): number {
    return this.sessions.size;
  }

  /**
   * The player's sessions as they are now (every one it has: a session it no longer lists has stopped); returns
   * the events this makes, in order.
   */
  observe(observations: readonly WatchObservation[], now = Date.now()): WatchEvent[] {
    const events: WatchEvent[] = [];
    const seen = new Set<string>();
    for (const obs of observations) {
      seen.add(obs.sessionId);
      events.push(...this.update(obs, now));
    }
    for (const [id, session] of this.sessions) {
      if (seen.has(id)) continue;
      events.push(...this.end(session, now));
    }
    return events;
  }

  /**
   * One session as it is now, the others unchanged (a webhook tells of one session at a time); returns the events
   * this makes, in order.
   */
  update(obs: WatchObservation, now = Date.now()): WatchEvent[] {
    const events: WatchEvent[] = [];
    const known = this.sessions.get(obs.sessionId);
    if (!known || !sameItem(known.obs.item, obs.item)) {
      // A new session, or a new item in the same session (the next episode): the old play has stopped.
      if (known) events.push(...this.end(known, now));
      const session: Session = {
        obs,
        startedAt: now,
        seenAt: now,
        anchorPos: obs.positionS,
        anchorAt: now,
        stepMs: 0,
        watchedMs: 0,
        progressAt: now,
        completed: false,
        unsure: false,
      };
      this.sessions.set(obs.sessionId, session);
      events.push(this.event('started', session));
      if (obs.paused) events.push(this.event('paused', session));
      return events;
    }
    // Time seen playing counts as watched, none of a pause; after the player could not be asked, only what its
    // position proves.
    if (known.obs.paused) {
      known.anchorPos = obs.positionS; // from a pause, time counts from where and when playing resumes
      known.anchorAt = now;
    } else known.watchedMs += this.played(known, obs, now);
    known.unsure = false;
    const wasPaused = known.obs.paused;
    known.obs = obs;
    known.seenAt = now;
    if (!wasPaused && obs.paused) events.push(this.event('paused', known));
    if (wasPaused && !obs.paused) events.push(this.event('resumed', known));
    if (this.progressEveryMs > 0 && !obs.paused && now - known.progressAt >= this.progressEveryMs) {
      known.progressAt = now;
      events.push(this.event('progress', known));
    }
    events.push(...this.completion(known, now));
    return events;
  }

  /**
   * The player says a session played to its end (Plex's scrobble, Jellyfin's PlayedToCompletion): completed
   * below the threshold too, though still only after the minimum watched time and once per user, item and day.
   */
  playedToEnd(sessionId: string, now = Date.now()): WatchEvent[] {
    const session = this.sessions.get(sessionId);
    return session ? this.completion(session, now, true) : [];
  }

  /** The player says one session stopped (Kodi's Player.OnStop), without a new list of sessions. */
  stopped(sessionId: string, now = Date.now()): WatchEvent[] {
    const session = this.sessions.get(sessionId);
    return session ? this.end(session, now) : [];
  }

  /**
   * The player could not be asked (down, restarting): what its sessions did meanwhile is unknown. The time since
   * each was last seen counts only as far as its position proves, when it is seen again; a session that is gone
   * then ends without it.
   */
  lost(): void {
    for (const session of this.sessions.values()) session.unsure = true;
  }

  /** Every session ends (the node closes, the player went away): no events, no completions. */
  forget(): void {
    this.sessions.clear();
  }

  /** Completions older than a few days, dropped from the store (called now and then). */
  prune(now = Date.now()): void {
    if (!this.completions) return;
    const old: string[] = [];
    for (const key of this.completions.keys()) {
      const record = this.completions.get(key);
      if (!record || now - record.at > KEEP_COMPLETIONS_MS) old.push(key);
    }
    if (old.length > 0) this.completions.deleteMany(old);
  }

  /**
   * How much was played since the position last moved, now that it is `obs`: nothing while the position has not
   * moved (the time is counted when it does); the wall-clock time since, but no more than the position moved
   * (buffering and stalls do not count); for a seek (a jump more than a second off the wall clock, either way) never
   * the distance, and the time only when it is longer than the player's usual step (see below). Without positions, the wall-clock time
   * since the last look. After the player could not be asked (unsure), only what the position proves.
   */
  private played(session: Session, obs: WatchObservation, now: number): number {
    const after = obs.positionS;
    const before = session.anchorPos;
    if (after === undefined || before === undefined || session.obs.positionS === undefined) {
      const wall = Math.max(0, now - session.seenAt);
      session.anchorPos = after;
      session.anchorAt = now;
      if (session.unsure) return 0;
      // The first position (a player that said none at first, a webhook without one): played from 0 at most.
      return after === undefined ? wall : Math.min(wall, Math.max(0, after * 1000));
    }
    if (after === before) return 0;
    const wall = Math.max(0, now - session.anchorAt);
    const moved = (after - before) * 1000;
    session.anchorPos = after;
    session.anchorAt = now;
    if (moved >= 0 && moved <= wall + SEEK_SLACK_MS) {
      session.stepMs = Math.min(wall, moved);
      return session.stepMs;
    }
    if (moved < 0 && moved >= -SEEK_SLACK_MS) return 0; // a player settling a position (a keyframe), not a seek
    // A seek: which part of the time was playing and which was seeking cannot be told. Over about one of the
    // player's usual steps (a player that reports often), nothing: at most that step is lost. Over a longer time (a
    // webhook at play, the next at stop), that time but the second a seek takes.
    if (session.unsure || wall <= 2 * session.stepMs) return 0;
    return Math.max(0, wall - SEEK_COST_MS);
  }

  private end(session: Session, now: number): WatchEvent[] {
    // The tail since the position last moved: no more than the player's usual step between reports (a position
    // that stopped moving before the end was a stall), and no more than a minute (a player gone silent, a stop never
    // sent). Without positions, since it was last seen.
    if (!session.obs.paused && !session.unsure) {
      const tail =
        session.obs.positionS === undefined
          ? now - session.seenAt
          : Math.min(now - session.anchorAt, Math.max(now - session.seenAt, session.stepMs));
      session.watchedMs += Math.min(Math.max(0, tail), END_CREDIT_MAX_MS);
    }
    session.seenAt = now;
    this.sessions.delete(session.obs.sessionId);
    // A play that reached the threshold before it stopped completes now (the last look may have been before).
    return [...this.completion(session, now), this.event('stopped', session)];
  }

  private completion(session: Session, now: number, toEnd = false): WatchEvent[] {
    if (session.completed) return [];
    const percent = percentOf(session.obs);
    const reached = toEnd || (percent !== undefined && percent >= this.threshold);
    if (!reached || session.watchedMs < this.minimumMs) return [];
    session.completed = true;
    const key = completionKey(session.obs, now);
    if (this.completions?.has(key)) return []; // completed already today (before a restart, or another session)
    this.completions?.set(key, { at: now });
    return [this.event('completed', session)];
  }

  private event(topic: WatchTopic, session: Session): WatchEvent {
    const { obs } = session;
    return {
      topic,
      sessionId: obs.sessionId,
      user: obs.user,
      device: obs.device,
      client: obs.client,
      item: obs.item,
      positionS: obs.positionS,
      runtimeS: obs.runtimeS,
      percent: percentOf(obs),
      watchedS: Math.round(session.watchedMs / 100) / 10,
      startedAt: session.startedAt,
    };
  }
}

/** How far the position may move beyond the wall clock before it counts as a seek. */
const SEEK_SLACK_MS = 1000;

/** What a seek takes of the wall clock (not counted as watched). */
const SEEK_COST_MS = 1000;

/** The most a play's tail (after its position last moved) counts when it ends: players report at least that often. */
const END_CREDIT_MAX_MS = 60_000;

function percentOf(obs: WatchObservation): number | undefined {
  if (obs.positionS === undefined || !obs.runtimeS) return undefined;
  return Math.round((obs.positionS / obs.runtimeS) * 1000) / 10;
}

function sameItem(a: WatchItem, b: WatchItem): boolean {
  if (a.id !== undefined || b.id !== undefined) return a.id === b.id;
  return a.type === b.type && a.title === b.title && a.playerPath === b.playerPath;
}
