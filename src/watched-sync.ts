/**
 * Flow node `watched-sync`: what someone watched on one player (played, a resume position, a favourite, a rating)
 * applied to every other player of any kind, each write read back. Input: the events of watch-activity,
 * jellyfin-webhook and plex-webhook, or a plain `{player?, user?, item | path, played?, position?, favourite?,
 * rating?}`. Output 1: one message per change with each player's result; output 2: the change again when a player
 * did not hold it when read back, or when its retries ran out (a player that failed it is tried again first).
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { reconcile, ReconcileSide } from './sync/watched-reconcile';
import { PlaylistAccess, PlaylistResult, playlistOf, syncPlaylist } from './sync/watched-playlists';
import { UserAccess, UserResult, propagateUser, userChangeOf } from './sync/watched-users';
import type { AnyPlayerNode } from './node-red/config-nodes';
import { handleInput } from './node-red/flow-node';
import { numberSetting, packageSettings } from './node-red/settings';
import { done, failed, useCatalog, waiting, working } from './node-red/status';
import { forPeople } from './node-red/errors';
import {
  EchoGuard,
  WatchedChange,
  WatchedResult,
  WatchedTarget,
  TargetUser,
  applyFound,
  applyTo,
  itemOf,
  changeOfMessage,
  changeOfWatchEvent,
  itemKey,
} from './sync/watched';
import { Store } from './sync/store';
import { DEFAULT_POLICY, RetryPolicy, RetryQueue, RetryRecord, checkRetry } from './sync/watched-retry';
import { QueueItemView, ResultOutcome, healthBoard, queueView } from './sync/health';
import { usePlayersBoard } from './node-red/players-board';
import { DROPPED_REASON } from './sync/engine';
import type { PlexClient } from './players/plex/client';
import type { PlexTvOptions } from './players/plex/users';
import {
  PlexUsers,
  WatchedPlayerSettings,
  jellyfinPlaylists,
  jellyfinUsers,
  plexPlaylists,
  jellyfinWatchedTarget,
  kodiWatchedTarget,
  plexWatchedTarget,
} from './sync/watched-targets';

interface PlayerEntry {
  id: string;
  /** Comma-separated user names. */
  users?: string;
}

interface WatchedSyncDef extends NodeDef {
  players?: PlayerEntry[];
  /** Rows of the user table: a name on one player → the name on the others. */
  userMap?: { from?: string; to?: string }[];
  debounce?: string | number;
  /** Rows of the retry table: a library path prefix, how many tries (−1 forever, 0 never), seconds between. */
  retries?: { prefix?: string; retries?: string | number; delay?: string | number }[];
  cooldown?: string | number;
  backwards?: boolean;
  /** Users created (and deleted) on one Jellyfin server made on the others: off (default), create, create-delete. */
  propagateUsers?: string;
}

/** What a change sets, in a word for the Players board. */
function actionOf(change: WatchedChange): string {
  if (change.played !== undefined) return change.played ? 'watched' : 'unwatched';
  if (change.favourite !== undefined) return change.favourite ? 'favourite' : 'not favourite';
  if (change.rating !== undefined) return 'rating';
  return 'position';
}

/** How the Players board files a watched-sync result. */
function outcomeOfWatched(status: WatchedResult['status']): ResultOutcome {
  switch (status) {
    case 'verified':
    case 'already':
      return 'verified';
    case 'not-verified':
      return 'not-verified';
    case 'skipped':
    case 'unsupported':
      return 'skipped';
    default:
      return 'failed';
  }
}

/** The retry table's rows, checked: a prefix (or '' for every item), a whole number of tries ≥ −1, a delay ≥ 1 s. */
function retryPolicies(rows: WatchedSyncDef['retries']): RetryPolicy[] {
  return (rows ?? []).flatMap((row) => {
    const retries = Math.trunc(numberSetting(row.retries, DEFAULT_POLICY.retries));
    const delayS = Math.max(1, numberSetting(row.delay, DEFAULT_POLICY.delayS));
    return retries < -1 ? [] : [{ prefix: (row.prefix ?? '').trim(), retries, delayS }];
  });
}

const WATCH_TOPICS = new Set(['started', 'paused', 'resumed', 'progress', 'stopped', 'completed']);

const namesOf = (text: string | undefined): string[] =>
  (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export = function (RED: NodeAPI): void {
  useCatalog(RED);
  usePlayersBoard(RED);
  function WatchedSync(this: Node, def: WatchedSyncDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const userMap = new Map<string, string>();
    for (const row of def.userMap ?? []) {
      const from = (row.from ?? '').trim().toLowerCase();
      const to = (row.to ?? '').trim();
      if (from && to) userMap.set(from, to);
    }
    const problems: string[] = [];
    // plex.tv's addresses: the real ones, unless Node-RED's settings say otherwise (tests point them at loopback).
    const tv = packageSettings(RED);
    const plexTv: PlexTvOptions = { plexTvUrl: tv.plexTvUrl, clientsUrl: tv.plexClientsUrl };
    const people = new Map<PlexClient, PlexUsers>();
    /** One set of Plex users per Plex server (its tokens are kept for the node's life). */
    const plexPeople = (client: PlexClient): PlexUsers => {
      let p = people.get(client);
      if (!p) {
        p = new PlexUsers(client, plexTv);
        people.set(client, p);
      }
      return p;
    };
    const targets: WatchedTarget[] = [];
    /** Each player's playlists, where it has any that can be written (Jellyfin, Plex; not Kodi). */
    const playlists = new Map<string, PlaylistAccess>();
    /** Jellyfin servers' users, for propagation between them. */
    const userAccess = new Map<string, UserAccess>();
    const names = new Map<string, string>(); // a player's name (any case) → its config node id
    for (const entry of def.players ?? []) {
      const player = RED.nodes.getNode(entry.id) as AnyPlayerNode | null;
      if (!player || !['kodi', 'jellyfin', 'plex'].includes(player.kind)) {
        problems.push(`player ${entry.id} is not a kodi-player, jellyfin-server or plex-server config node`);
        continue;
      }
      const name = player.name || player.label;
      names.set(name.toLowerCase(), player.id);
      const settings: WatchedPlayerSettings = {
        key: player.id,
        name,
        mapper: () => player.mapper(),
        users: namesOf(entry.users),
        userMap,
      };
      targets.push(
        player.kind === 'kodi'
          ? kodiWatchedTarget(player.connection, settings)
          : player.kind === 'jellyfin'
            ? jellyfinWatchedTarget(player.client, settings)
            : plexWatchedTarget(player.client, settings, plexPeople(player.client)),
      );
      if (player.kind === 'jellyfin') {
        playlists.set(player.id, jellyfinPlaylists(player.client));
        userAccess.set(player.id, jellyfinUsers(player.client));
      }
      if (player.kind === 'plex')
        playlists.set(player.id, plexPlaylists(player.client, plexPeople(player.client)));
    }
    if (targets.length < 2) problems.push('pick at least two players to keep in step');
    if (problems.length > 0) {
      node.status(failed('settings'));
      node.error(`watched-sync: ${problems.join('; ')}`);
    }
    const userDir = (RED.settings as { userDir?: string }).userDir;
    const retryStore = new Store(userDir).collection<RetryRecord>(
      `watched-${node.id.replace(/[^A-Za-z0-9._-]/g, '_')}`,
      checkRetry,
    );
    try {
      retryStore.load();
      if (retryStore.damage) {
        node.warn(`watched-sync: its retries were damaged (${retryStore.damage.reason}); the good ones kept`);
      }
    } catch (err) {
      node.warn(`watched-sync: cannot read its retries: ${(err as Error).message}`);
    }
    const debounceMs = numberSetting(def.debounce, 30) * 1000;
    const guard = new EchoGuard(numberSetting(def.cooldown, 30) * 1000);
    const options = { backwards: def.backwards === true };

    /** The config node a message's change came from: its id, or a player named so. */
    const fromOf = (payload: Record<string, unknown>): string | undefined => {
      const id = payload.playerId ?? payload.player;
      if (typeof id !== 'string') return undefined;
      if (targets.some((t) => t.key === id)) return id;
      return names.get(id.toLowerCase());
    };

    /** Changes of one item in order (live ones and retries); other items are not held up. */
    const chains = new Map<string, Promise<unknown>>();
    const inOrder = <T>(change: WatchedChange, run: () => Promise<T>): Promise<T> => {
      const key = itemKey(change.item);
      const current = (chains.get(key) ?? Promise.resolve()).then(run, run);
      chains.set(key, current);
      void current.finally(() => {
        if (chains.get(key) === current) chains.delete(key);
      });
      return current;
    };
    /** Resume positions waiting out the debounce, per user and item: only the last one is applied. */
    const pending = new Map<string, { change: WatchedChange; timer: NodeJS.Timeout }>();
    // Read through a function: it changes while a write awaits a player.
    const state = { closed: false };
    const closed = (): boolean => state.closed;

    const nodeName = def.name || 'watched-sync';
    /** One change on one player, on the Players board's result list. */
    const tryOne = async (target: WatchedTarget, change: WatchedChange): Promise<WatchedResult> => {
      const started = Date.now();
      const r = await tryOneQuietly(target, change);
      healthBoard.addResult({
        node: node.id,
        nodeType: 'watched-sync',
        nodeName,
        player: target.key,
        playerName: target.name,
        playerType: target.playerType,
        outcome: outcomeOfWatched(r.status),
        status: r.status,
        what: [change.user, change.item.title ?? change.item.libraryPath].filter(Boolean).join(': '),
        action: actionOf(change),
        durationMs: Date.now() - started,
        reason: r.reason,
      });
      return r;
    };
    /** One change on one player, never throwing: a failure is a result. */
    const tryOneQuietly = async (target: WatchedTarget, change: WatchedChange): Promise<WatchedResult> => {
      try {
        const r = await applyTo(target, change, options);
        if (r.status === 'verified') {
          // Under the change's user name and under the name that player has for the user (the user table's):
          // the echo comes back with the player's name.
          guard.remember(target.key, change);
          if (r.user !== undefined) guard.remember(target.key, { ...change, user: r.user });
        }
        return r;
      } catch (err) {
        return {
          player: target.name,
          playerType: target.playerType,
          status: 'failed',
          sent: [],
          reason: forPeople(err).message,
        };
      }
    };
    const plainChange = (change: WatchedChange): Record<string, unknown> => ({
      ...change,
      at: new Date(change.at).toISOString(),
    });
    /** What a result means for the retries: kept for later (with when), settled, or given up (output 2). */
    const afterResult = (
      target: WatchedTarget,
      change: WatchedChange,
      r: WatchedResult,
      previous?: RetryRecord,
    ) => {
      if (r.status === 'verified' || r.status === 'already') {
        retries.settled(target.key, change);
        return false;
      }
      if (r.status !== 'not-found' && r.status !== 'failed') return false;
      const outcome = retries.failed(
        target.key,
        change,
        r.reason ?? r.status,
        previous,
        Date.now(),
        r.status === 'not-found',
      );
      if (outcome.kind === 'scheduled') {
        r.retry = {
          attempts: outcome.record.attempts,
          nextAt: new Date(outcome.record.nextAt).toISOString(),
        };
        return false;
      }
      r.retry = { attempts: outcome.record.attempts, gaveUp: true };
      return true;
    };

    const apply = async (change: WatchedChange): Promise<void> => {
      if (guard.isEcho(change)) return; // what we applied there, coming back
      node.status(working(change.item.title ?? change.item.libraryPath ?? 'syncing'));
      const results: WatchedResult[] = [];
      let givenUp = false;
      for (const target of targets) {
        if (target.key === change.from) continue;
        if (closed()) {
          // The node is closing (a deploy, Node-RED stopping): the players not tried yet get it at the next start.
          retries.failed(
            target.key,
            change,
            'not written yet: the node was closed; tried again at the next start',
          );
          continue;
        }
        const r = await tryOne(target, change);
        if (afterResult(target, change, r)) givenUp = true;
        results.push(r);
      }
      if (closed()) return;
      const bad = results.filter((r) => r.status === 'not-verified');
      const payload = { change: plainChange(change), results };
      node.send([
        { topic: 'watched', payload },
        bad.length > 0 || givenUp ? { topic: 'failed', payload } : null,
      ]);
      const title = change.item.title ?? change.item.libraryPath ?? '';
      const ok = results.filter((r) => r.status === 'verified' || r.status === 'already').length;
      node.status(
        bad.length > 0
          ? failed(`${bad.length} failed: ${title}`)
          : ok > 0
            ? done(`✓ ${ok}/${results.length} ${title}`)
            : waiting(`${results.at(0)?.status ?? 'nothing'}: ${title}`),
      );
    };

    /** A retry that is due: this player only; what it now holds comes out as a result of its own. */
    const retry = async (
      record: RetryRecord,
    ): Promise<{ ok: boolean; reason?: string; importing?: boolean }> => {
      const target = targets.find((t) => t.key === record.target);
      if (!target || closed()) return { ok: !target }; // a player no longer in the node: nothing to do
      // In the item's order, after any live change of it that is under way.
      const r = await inOrder(record.change, () => tryOne(target, record.change));
      if (closed()) return { ok: false, reason: 'closed' };
      if (r.status === 'not-found' || r.status === 'failed')
        return { ok: false, reason: r.reason ?? r.status, importing: r.status === 'not-found' };
      if (r.status === 'verified' || r.status === 'already') retries.settled(target.key, record.change);
      const payload = { change: plainChange(record.change), results: [r], retried: record.attempts + 1 };
      node.send([
        { topic: 'watched', payload },
        r.status === 'not-verified' ? { topic: 'failed', payload } : null,
      ]);
      return { ok: true };
    };
    /** A retry given up (its tries ran out: `retry` says so; or a person dropped it): output 2, with why. */
    const sendGivenUp = (record: RetryRecord, reason: string, retry?: WatchedResult['retry']): void => {
      const target = targets.find((t) => t.key === record.target);
      node.send([
        null,
        {
          topic: 'failed',
          payload: {
            change: plainChange(record.change),
            results: [
              {
                player: target?.name ?? record.target,
                playerType: target?.playerType,
                status: 'failed',
                sent: [],
                reason,
                ...(retry ? { retry } : {}),
              },
            ],
          },
        },
      ]);
    };
    const retries = new RetryQueue(retryStore, retryPolicies(def.retries), retry, (record) => {
      sendGivenUp(record, `gave up after ${record.attempts + 1} tries: ${record.reason}`, {
        attempts: record.attempts,
        gaveUp: true,
      });
    });
    retries.plan();

    // On the Players board: the retries waiting per player (for an import there, or for the player), with "retry
    // now" and "drop"; a dropped one comes out on output 2, as one that ran out of tries does.
    const offBoard = healthBoard.addQueues(node.id, {
      views: () => {
        const byTarget = new Map<string, QueueItemView[]>(targets.map((t) => [t.key, []]));
        for (const [key, r] of retries.entries()) {
          byTarget.get(r.target)?.push({
            id: key,
            what: [r.change.user, r.change.item.title ?? r.change.item.libraryPath]
              .filter(Boolean)
              .join(': '),
            action: actionOf(r.change),
            state: key === retries.attempting ? 'running' : r.importing ? 'waiting-for-import' : 'retrying',
            since: r.change.at,
            nextAttemptAt: r.nextAt,
            attempts: r.attempts + 1,
            reason: r.reason,
          });
        }
        return targets.map((t) =>
          queueView(
            { node: node.id, nodeType: 'watched-sync', nodeName, player: t.key, playerName: t.name },
            byTarget.get(t.key) ?? [],
          ),
        );
      },
      retryNow: (player, item) => retries.get(item)?.target === player && retries.retryNow(item),
      drop: (player, item) => {
        if (retries.get(item)?.target !== player) return false;
        const record = retries.drop(item);
        if (record) sendGivenUp(record, DROPPED_REASON);
        return record !== undefined;
      },
    });

    const queue = (change: WatchedChange): Promise<void> => inOrder(change, () => apply(change));

    /** The target a reconcile names (a config node id or a player's name), or the n-th player by default. */
    const targetNamed = (value: unknown, nth: number, what: string): WatchedTarget => {
      if (value === undefined) {
        const t = targets.at(nth);
        if (!t) throw new Error(`watched-sync: there is no ${what} player`);
        return t;
      }
      const key =
        typeof value === 'string'
          ? targets.some((t) => t.key === value)
            ? value
            : names.get(value.toLowerCase())
          : undefined;
      const t = targets.find((x) => x.key === key);
      if (!t)
        throw new Error(
          `watched-sync: msg.payload.${what} names no player of this node (give its name or config node id)`,
        );
      return t;
    };

    /**
     * msg.topic "reconcile": the watched state of every item compared between two players; with apply: true, what
     * is played on one side is marked played on the other.
     */
    const runReconcile = async (payload: unknown, send: (msg: NodeMessage) => void): Promise<void> => {
      const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
      const a = targetNamed(p.from, 0, 'from');
      const b = targetNamed(p.to, 1, 'to');
      if (a === b) throw new Error('watched-sync: msg.payload.from and msg.payload.to name the same player');
      if (p.user !== undefined && typeof p.user !== 'string')
        throw new Error('watched-sync: msg.payload.user must be text');
      const user = p.user;
      const userA = await a.userFor(user);
      const userB = await b.userFor(user);
      if ('skip' in userA) throw new Error(`watched-sync: ${userA.skip}`);
      if ('skip' in userB) throw new Error(`watched-sync: ${userB.skip}`);
      node.status(working(`reconcile ${a.name} ↔ ${b.name}`));
      const side = (t: WatchedTarget, u: TargetUser): ReconcileSide => ({
        key: t.key,
        name: t.name,
        list: (visit) => t.list(u, visit),
        toLibrary: (file) => t.toLibrary(file),
      });
      const report = await reconcile(side(a, userA.user), side(b, userB.user));
      const applied: WatchedResult[] = [];
      if (p.apply === true) {
        for (const [i, d] of report.differences.entries()) {
          if (closed()) return;
          const [target, state, u] = d.a.played ? [b, d.b, userB.user] : [a, d.a, userA.user];
          const change: WatchedChange = { user, item: d.item, played: true, at: Date.now() };
          const found = { ref: target.refOf(state.id, state.type), rule: 'listing' as const };
          try {
            const r = await applyFound(target, found, u, change, options);
            if (r.status === 'verified') guard.remember(target.key, change);
            applied.push(r);
          } catch (err) {
            applied.push({
              player: target.name,
              playerType: target.playerType,
              status: 'failed',
              sent: [],
              reason: forPeople(err).message,
            });
          }
          if (i % 50 === 0) node.status(working(`reconcile ${i}/${report.differences.length}`));
        }
      }
      if (closed()) return;
      send({
        topic: 'reconcile',
        payload: {
          from: a.name,
          to: b.name,
          user,
          dryRun: p.apply !== true,
          ...report,
          ...(p.apply === true ? { applied } : {}),
        },
      });
      node.status(done(`${report.differences.length} differ${p.apply === true ? ', applied' : ''}`));
    };

    node.on(
      'input',
      handleInput(node, async (msg: NodeMessageInFlow, send) => {
        if (problems.length > 0) throw new Error(`watched-sync: ${problems.join('; ')}`);
        const payload = msg.payload;
        if (msg.topic === 'user') {
          if (def.propagateUsers !== 'create' && def.propagateUsers !== 'create-delete') {
            throw new Error(
              'watched-sync: user propagation is off: turn it on in the node (Jellyfin to Jellyfin only)',
            );
          }
          const from =
            typeof payload === 'object' && payload ? fromOf(payload as Record<string, unknown>) : undefined;
          const change = userChangeOf(payload, from);
          const results: UserResult[] = [];
          for (const target of targets) {
            if (target.key === change.from || target.playerType !== 'jellyfin') continue;
            try {
              results.push(
                await propagateUser(target, userAccess.get(target.key), change, {
                  deletions: def.propagateUsers === 'create-delete',
                }),
              );
            } catch (err) {
              results.push({
                player: target.name,
                playerType: target.playerType,
                status: 'failed',
                sent: [],
                reason: forPeople(err).message,
              });
            }
          }
          // Sent even when the node is closing: a new user's password is in this message only (never in a log or a
          // status), and lost without it.
          const bad = results.filter((r) => r.status === 'failed' || r.status === 'not-verified');
          const out = { topic: 'user', payload: { action: change.action, name: change.name, results } };
          send([out, bad.length > 0 ? out : null]);
          node.status(bad.length > 0 ? failed(`user ${change.name}`) : done(`user ${change.action}`));
          return;
        }
        if (msg.topic === 'playlist') {
          const from =
            typeof payload === 'object' && payload ? fromOf(payload as Record<string, unknown>) : undefined;
          const change = playlistOf(payload, from, itemOf);
          node.status(working(`playlist ${change.name}`));
          const results: PlaylistResult[] = [];
          for (const target of targets) {
            if (target.key === change.from) continue;
            try {
              results.push(await syncPlaylist(target, playlists.get(target.key), change));
            } catch (err) {
              results.push({
                player: target.name,
                playerType: target.playerType,
                status: 'failed',
                added: 0,
                removed: 0,
                missing: [],
                sent: [],
                reason: forPeople(err).message,
              });
            }
          }
          if (closed()) return;
          const bad = results.filter((r) => r.status === 'failed' || r.status === 'not-verified');
          const out = { topic: 'playlist', payload: { name: change.name, user: change.user, results } };
          send([out, bad.length > 0 ? out : null]);
          node.status(bad.length > 0 ? failed(`playlist ${change.name}`) : done(`playlist ${change.name}`));
          return;
        }
        if (msg.topic === 'reconcile') {
          await runReconcile(payload, (m) => {
            send([m, null]);
          });
          return;
        }
        let change: WatchedChange | undefined;
        if (typeof msg.topic === 'string' && WATCH_TOPICS.has(msg.topic)) {
          const from =
            typeof payload === 'object' && payload ? fromOf(payload as Record<string, unknown>) : undefined;
          change = changeOfWatchEvent(msg.topic, payload, from);
          if (!change) return; // started, resumed, a position outside the resume window: nothing to sync
        } else {
          const from =
            typeof payload === 'object' && payload ? fromOf(payload as Record<string, unknown>) : undefined;
          change = changeOfMessage(payload, from);
        }
        const onlyPosition =
          change.positionS !== undefined &&
          change.played === undefined &&
          change.favourite === undefined &&
          change.rating === undefined;
        if (onlyPosition && debounceMs > 0) {
          // Positions come every minute while playing: the last one of a burst is written.
          const key = `${(change.user ?? '').toLowerCase()}|${itemKey(change.item)}`;
          const before = pending.get(key);
          if (before) clearTimeout(before.timer);
          const held = change;
          const timer = setTimeout(() => {
            pending.delete(key);
            void queue(held);
          }, debounceMs);
          pending.set(key, { change: held, timer });
          node.status(waiting(`position in ${Math.round(debounceMs / 1000)} s`));
          return;
        }
        // Played (or a favourite, a rating) settles the item: a position still waiting for it is dropped.
        const key = `${(change.user ?? '').toLowerCase()}|${itemKey(change.item)}`;
        const held = pending.get(key);
        if (held && change.played === true) {
          clearTimeout(held.timer);
          pending.delete(key);
        }
        await queue(change);
      }),
    );

    node.on('close', (_removed: boolean, closeDone: () => void) => {
      state.closed = true;
      // A position still waiting out its debounce is kept for the next start, like a change not yet written.
      for (const { change, timer } of pending.values()) {
        clearTimeout(timer);
        for (const target of targets) {
          if (target.key !== change.from)
            retries.failed(target.key, change, 'not written yet: the node was closed');
        }
      }
      pending.clear();
      offBoard();
      retries.close();
      // Changes under way finish their player (or are kept for the next start) before the store closes; a player
      // that hangs does not hold the close up for more than 10 s.
      const underWay = Promise.allSettled([...chains.values()]);
      const limit = new Promise((resolve) => setTimeout(resolve, 10_000).unref());
      void Promise.race([underWay, limit])
        .then(() => retryStore.close())
        .then(closeDone, () => {
          closeDone();
        });
    });
  }

  RED.nodes.registerType('watched-sync', WatchedSync);
};
