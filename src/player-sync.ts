/** Flow node `player-sync`: every change to every configured player, batched, deferred, retried, journaled. */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { ItemOutcome, SyncEngine, TargetResult, WhilePlaying } from './sync/engine';
import { JournalError, openJournal } from './sync/journal';
import { PlayerRef, buildTargets } from './sync/targets';
import type { AnyPlayerNode } from './node-red/config-nodes';
import { secondsSetting } from './node-red/input';
import { done, failed, statusText, useCatalog, waiting, working } from './node-red/status';
import { ChangeItem, plainItem } from './core/change';
import { nodeRedStep } from './node-red/errors';
import type { PlayerErrorCode } from './players/errors';
import { healthBoard, outcomeOf, queueView } from './sync/health';
import { usePlayersBoard } from './node-red/players-board';

interface PlayerEntry {
  /** A kodi-player, jellyfin-server or plex-server config node. */
  id: string;
  /** Kodi players with the same group name share one library database. */
  group?: string;
}

interface PlayerSyncDef extends NodeDef {
  players?: PlayerEntry[];
  parallel?: boolean;
  continueOnError?: boolean;
  whilePlaying?: WhilePlaying;
  batchWindow?: string | number;
  timeout?: string | number;
  deferPoll?: string | number;
  retryMin?: string | number;
  journal?: boolean;
  pollInterval?: string | number;
}

/** The most change items one message may carry. */
const MAX_ITEMS_PER_MESSAGE = 10000;

/** How many items of a list are checked between two turns of the event loop (a bulk never blocks Node-RED). */
const CHECK_SLICE = 1000;

/** The change items of a message: items from arr-event, one item, or a bare library path; validated. */
async function itemsOf(payload: unknown): Promise<ChangeItem[]> {
  if (typeof payload === 'string') return [plainItem({ path: payload }, 'msg.payload')];
  if (Array.isArray(payload)) {
    if (payload.length === 0)
      throw new Error('msg.payload is an empty list: send one change item {path, action} or a list of them');
    if (payload.length > MAX_ITEMS_PER_MESSAGE)
      throw new Error(
        `msg.payload holds ${payload.length} change items, more than ${MAX_ITEMS_PER_MESSAGE}: split it`,
      );
    const list = payload as unknown[];
    const items: ChangeItem[] = [];
    // A plain loop visits the holes of a sparse list too (map skips them): each is refused like any non-item.
    for (let i = 0; i < list.length; i++) {
      if (i > 0 && i % CHECK_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
      items.push(plainItem(list[i], `msg.payload[${i}]`));
    }
    return items;
  }
  return [plainItem(payload, 'msg.payload')];
}

/** arr-event's "ignored" and "test" results pass straight through, so that the webhook gets its answer. */
function isPassThrough(payload: unknown): boolean {
  const result = (payload as { result?: unknown } | null)?.result;
  return result === 'ignored' || result === 'test';
}

export = function (RED: NodeAPI): void {
  useCatalog(RED);
  usePlayersBoard(RED);
  function PlayerSync(this: Node, def: PlayerSyncDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const problems: string[] = [];
    const users: { player: AnyPlayerNode; user: { id: string; status: () => void } }[] = [];
    const members: { entry: PlayerEntry; player: AnyPlayerNode }[] = [];
    for (const entry of def.players ?? []) {
      const player = RED.nodes.getNode(entry.id) as AnyPlayerNode | null;
      if (!player || !['kodi', 'jellyfin', 'plex'].includes(player.kind)) {
        problems.push(`player ${entry.id} is not a kodi-player, jellyfin-server or plex-server config node`);
        continue;
      }
      // Registering opens the player's connection (for Kodi: the WebSocket whose Player.OnStop ends a deferral);
      // this node's own status shows progress, not the connection.
      const user = { id: `${node.id}:${entry.id}`, status: () => undefined };
      player.register(user);
      users.push({ player, user });
      members.push({ entry, player });
    }
    if (members.length === 0)
      problems.push('no player is configured: add Kodi, Jellyfin or Plex players to the node');

    const settings = {
      timeoutMs: secondsSetting(undefined, def.timeout, 120, 'player-sync: timeout'),
      pollMs: def.pollInterval
        ? secondsSetting(undefined, def.pollInterval, 5, 'player-sync: poll interval')
        : undefined,
    };
    const targets = buildTargets(
      members.map(({ entry, player }): PlayerRef => {
        const base = {
          key: player.id,
          name: player.name || player.label,
          label: player.label,
          mapper: () => player.mapper(),
          group: entry.group,
        };
        switch (player.kind) {
          case 'kodi':
            return { ...base, kind: 'kodi', conn: player.connection };
          case 'jellyfin':
            return { ...base, kind: 'jellyfin', client: player.client };
          case 'plex':
            return { ...base, kind: 'plex', client: player.client, notifications: player.socket };
        }
      }),
      settings,
    );

    const userDir = (RED.settings as { userDir?: string }).userDir;
    const journal = openJournal(def.journal !== false ? userDir : undefined, node.id);
    const engine = new SyncEngine(
      targets,
      {
        batchWindowMs: secondsSetting(undefined, def.batchWindow, 2, 'player-sync: batching window'),
        whilePlaying: def.whilePlaying ?? 'defer',
        parallel: def.parallel !== false,
        continueOnError: def.continueOnError !== false,
        deferPollMs: secondsSetting(undefined, def.deferPoll, 30, 'player-sync: deferral check interval'),
        retryMinMs: secondsSetting(undefined, def.retryMin, 1, 'player-sync: first retry'),
      },
      journal,
    );

    // Messages waiting for their items: the output for each item is a copy of its message (without the payload,
    // which held all its items: each output carries its own); only the last one keeps msg.res, so an http response
    // node answers once, when the whole webhook is synced.
    interface Waiting {
      msg: NodeMessageInFlow;
      left: Set<string>;
      done: () => void;
    }
    const waitingFor = new Map<string, Waiting>(); // by item id
    // A failure's reason with the Node-RED step (which config node, deploy) where the fix is made there.
    const typeOfKey = new Map(members.map(({ player }) => [player.id, player.type]));
    const forPeopleResult = (key: string, result: TargetResult): TargetResult => {
      if (result.status !== 'failed' || !('code' in result) || result.code === undefined) return result;
      const step = nodeRedStep(result.code as PlayerErrorCode, typeOfKey.get(key));
      return step ? { ...result, reason: `${result.reason}; ${step}` } : result;
    };
    engine.on('item-done', (outcome: ItemOutcome) => {
      const { entry } = outcome;
      const owner = waitingFor.get(entry.id);
      waitingFor.delete(entry.id);
      const base: NodeMessage = owner ? RED.util.cloneMessage(owner.msg) : { payload: undefined };
      owner?.left.delete(entry.id);
      const last = owner !== undefined && owner.left.size === 0;
      if (owner && !last) {
        delete (base as { res?: unknown }).res;
        delete (base as { req?: unknown }).req;
      }
      base.payload = {
        item: entry.item,
        ok: outcome.ok,
        results: Object.entries(outcome.results).map(([key, result]) => forPeopleResult(key, result)),
        tookMs: Date.now() - entry.at,
        restored: owner === undefined,
      };
      node.send(outcome.ok ? [base, null] : [null, base]);
      if (owner && last) owner.done();
    });
    // On the Players board: this node's queue per player, with "retry now" and "drop", and every result.
    const nodeName = def.name || 'player-sync';
    const offBoard = healthBoard.addQueues(node.id, {
      views: () =>
        engine
          .queues()
          .map((q) =>
            queueView(
              { node: node.id, nodeType: 'player-sync', nodeName, player: q.key, playerName: q.name },
              q.items(),
            ),
          ),
      retryNow: (player, item) => engine.retryNow(player, item),
      drop: (player, item) => engine.drop(player, item),
    });
    engine.on('progress', () => {
      healthBoard.changed();
    });
    // Each player's result as soon as that player is through (not when every player is).
    engine.on('target-done', ({ key, item, result }) => {
      const action = 'action' in result ? result.action : undefined;
      healthBoard.addResult({
        node: node.id,
        nodeType: 'player-sync',
        nodeName,
        player: key,
        playerName: result.player,
        playerType: 'playerType' in result ? result.playerType : typeOfKey.get(key)?.split('-')[0],
        outcome: outcomeOf(result.status, action, result.ok),
        status: result.status,
        what: item.path,
        action: item.action,
        durationMs: result.tookMs,
        reason: result.reason,
      });
    });
    engine.on('store-ok', () => {
      healthBoard.reportStoreOk();
    });
    engine.on('store-error', (err) => {
      healthBoard.reportStoreError(err.message);
      node.warn(
        `player-sync: ${err.message}; the queue goes on, but may not survive a crash until it is fixed`,
      );
    });
    // The status at most four times a second: a bulk of 10,000 changes would otherwise flood the editor. A final
    // state (done, deferred, retrying) is shown at once.
    let shownAt = 0;
    let statusTimer: NodeJS.Timeout | undefined;
    let latest: NodeStatus | undefined;
    const showStatus = (status: NodeStatus, final: boolean): void => {
      // The same as the last one asked for: already shown, or about to be.
      if (latest && status.text === latest.text && status.fill === latest.fill) return;
      latest = status;
      const now = Date.now();
      if (final || now - shownAt >= 250) {
        clearTimeout(statusTimer);
        statusTimer = undefined;
        shownAt = now;
        node.status(status);
        return;
      }
      statusTimer ??= setTimeout(
        () => {
          statusTimer = undefined;
          shownAt = Date.now();
          if (latest) node.status(latest);
        },
        250 - (now - shownAt),
      );
    };
    engine.on('progress', ({ done: finished, total, deferred, retrying }) => {
      const counts = { done: finished, total };
      if (deferred.length > 0) showStatus(waiting(statusText('deferred', counts)), true);
      else if (retrying.length > 0) showStatus(failed(statusText('retrying', counts)), true);
      else if (finished < total) showStatus(working(`${finished}/${total}`), false);
      else if (total > 0) showStatus(done(`${total}/${total}`), true);
    });
    if (problems.length > 0) {
      node.status(failed(statusText('checkPlayers')));
      node.error(`player-sync: ${problems.join('; ')}`);
    }
    try {
      const restored = engine.restore();
      const damage = journal.damage;
      if (damage) {
        node.warn(
          `player-sync: its journal ${journal.file ?? ''} was damaged (${damage.reason}): ` +
            `${damage.dropped} record(s) dropped, ${damage.kept} kept and resumed; ` +
            (damage.movedTo
              ? `the damaged file is kept as ${damage.movedTo}`
              : 'the damaged file could not be copied'),
        );
      }
      if (restored.length > 0) node.log(`resuming ${restored.length} change(s) from the journal`);
    } catch (err) {
      node.error(`player-sync: cannot read its journal ${journal.file ?? ''}: ${(err as Error).message}`);
    }

    const take = async (
      msg: NodeMessageInFlow,
      send: (msg: (NodeMessage | null)[]) => void,
      doneFn: (err?: Error) => void,
    ): Promise<void> => {
      try {
        if (isPassThrough(msg.payload)) {
          send([msg, null]);
          doneFn();
          return;
        }
        if (problems.length > 0) throw new Error(`player-sync: ${problems.join('; ')}`);
        const items = await itemsOf(msg.payload);
        const priority = (msg as { priority?: unknown }).priority === 'high' ? 'high' : 'normal';
        // done() comes when the last of its items is through (see item-done).
        const kept: Partial<NodeMessageInFlow> = { ...msg };
        delete kept.payload; // each output carries its own item: the message's list of them is not kept
        const register = (ids: string[]): void => {
          const waiting: Waiting = { msg: kept as NodeMessageInFlow, left: new Set(ids), done: doneFn };
          for (const id of ids) waitingFor.set(id, waiting);
        };
        // Journaled before anything else happens: from here on the change survives a restart.
        if (items.length > CHECK_SLICE) await engine.acceptBulk(items, priority, register);
        else engine.accept(items, priority, register);
      } catch (err) {
        showStatus(failed(statusText(err instanceof JournalError ? 'journal' : 'badInput')), true);
        doneFn(
          err instanceof Error
            ? new Error(err.message.startsWith('player-sync') ? err.message : `player-sync: ${err.message}`, {
                cause: err,
              })
            : new Error(String(err)),
        );
      }
    };
    node.on('input', (msg, send, doneFn) => {
      void take(msg, send, doneFn);
    });

    node.on('close', (_removed: boolean, closeDone: () => void) => {
      clearTimeout(statusTimer);
      offBoard();
      for (const { player, user } of users) player.deregister(user);
      waitingFor.clear();
      // The journal's last writes are on disk before the next deploy's node reads it.
      engine.close().then(closeDone, (err: unknown) => {
        node.warn(`player-sync: ${(err as Error).message}`);
        closeDone();
      });
    });
  }

  RED.nodes.registerType('player-sync', PlayerSync);
};
