/**
 * The Players board in Node-RED: what the "Players" sidebar shows, pushed to the editor over Node-RED's comms
 * (topic `player-sync/players`, retained, at most twice a second: a burst of 10,000 results costs a few pushes),
 * and the admin routes, each behind a permission:
 * - GET  <admin>/player-sync/health: readiness (every player, every queue, the store, the last results); 200 when
 *   every player answers and the store can be written, 503 otherwise (player-sync.read);
 * - POST <admin>/player-sync/queues/retry {queue, item}: runs a waiting item now (player-sync.write);
 * - POST <admin>/player-sync/queues/drop {queue, item}: takes it out of its queue (player-sync.write).
 * Nothing in any of them is secret: the board holds names, labels, paths, titles and reasons only.
 */
import type { Node, NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { ConnectionView, HealthSnapshot, PlayerKind, PlayerTracker, healthBoard } from '../sync/health';
import { Store, storeWritable } from '../sync/store';
import type { LinkState } from '../core/link';
import { isObject } from '../core/values';
import type { PlayerError } from '../players/errors';

export const COMMS_TOPIC = 'player-sync/players';
const PUBLISH_EVERY_MS = 500;
/** The longest queue or item id taken from a request (a watched-sync retry key is at most 2,000 characters). */
const MAX_ID = 2100;

/** The admin apps the routes are on already (a test harness makes one per start). */
const routed = new WeakSet();
let publish: ((snapshot: HealthSnapshot) => void) | undefined;
let publishTimer: NodeJS.Timeout | undefined;
let publishedAt = 0;
let listening = false;

function publishNow(): void {
  publishTimer = undefined;
  publishedAt = Date.now();
  publish?.(healthBoard.snapshot());
}

/** A change on the board: pushed now, or with the next push when one went out less than 500 ms ago. */
function schedule(): void {
  if (publishTimer) return;
  const wait = PUBLISH_EVERY_MS - (Date.now() - publishedAt);
  if (wait <= 0) {
    // Not in the middle of what changed the board (a node's constructor, a result being given out).
    publishTimer = setTimeout(publishNow, 0);
  } else publishTimer = setTimeout(publishNow, wait);
  publishTimer.unref();
}

/** Queue and item ids from a request's body; undefined when they are not short strings. */
function idsOf(body: unknown): { queue: string; item: string } | undefined {
  if (!isObject(body)) return undefined;
  const { queue, item } = body;
  if (typeof queue !== 'string' || typeof item !== 'string') return undefined;
  if (queue === '' || item === '' || queue.length > MAX_ID || item.length > MAX_ID) return undefined;
  return { queue, item };
}

/** Called by every node module of the package: the routes once per admin app, the push once per process. */
export function usePlayersBoard(RED: NodeAPI): void {
  publish = (snapshot) => {
    RED.comms.publish(COMMS_TOPIC, snapshot, true);
  };
  if (!listening) {
    listening = true;
    healthBoard.on('change', schedule);
    schedule(); // an editor that opens before anything changes sees the board too (the push is retained)
  }
  const userDir = (RED.settings as { userDir?: string }).userDir;
  const dir = new Store(userDir).dir;
  healthBoard.addStore('store', () => (dir ? { dir, writable: storeWritable(dir) } : { writable: true }));
  if (routed.has(RED.httpAdmin)) return;
  routed.add(RED.httpAdmin);

  RED.httpAdmin.get(
    '/player-sync/health',
    RED.auth.needsPermission('player-sync.read'),
    (_req: Request, res: Response) => {
      const snapshot = healthBoard.snapshot();
      res.status(snapshot.ready ? 200 : 503).json(snapshot);
    },
  );
  const action =
    (what: 'retry' | 'drop') =>
    (req: Request, res: Response): void => {
      const ids = idsOf(req.body);
      if (!ids) {
        res.status(400).json({ ok: false, reason: 'send {queue, item}: the ids the Players sidebar shows' });
        return;
      }
      const ok =
        what === 'retry' ? healthBoard.retryNow(ids.queue, ids.item) : healthBoard.drop(ids.queue, ids.item);
      if (ok) res.json({ ok: true });
      else
        res.status(409).json({
          ok: false,
          reason:
            what === 'retry'
              ? 'that change is not waiting any more (done, or being sent now)'
              : 'that change is not in the queue any more, or is being sent to the player now',
        });
    };
  RED.httpAdmin.post(
    '/player-sync/queues/retry',
    RED.auth.needsPermission('player-sync.write'),
    action('retry'),
  );
  RED.httpAdmin.post(
    '/player-sync/queues/drop',
    RED.auth.needsPermission('player-sync.write'),
    action('drop'),
  );
}

/** The board's word for a config node's link state. */
export function connectionView(state: LinkState): ConnectionView {
  switch (state) {
    case 'connected':
      return 'websocket';
    case 'http-only':
      return 'polling';
    case 'disconnected':
    case 'auth-failed':
      return 'down';
    case 'connecting':
      return 'connecting';
    case 'idle':
      return 'idle';
  }
}

/** What a config node tells the board of its player, read at each snapshot. */
export interface PlayerFacts {
  lastSuccessAt?: number;
  lastFailureAt?: number;
  lastFailure?: string;
}

/** A config node's player on the board, off it when the node closes; returns its tracker. */
export function boardPlayer(
  node: Node,
  kind: PlayerKind,
  name: string,
  facts: () => PlayerFacts,
): PlayerTracker {
  const tracker = new PlayerTracker(() => {
    const view: { id: string; name: string; type: PlayerKind } & PlayerFacts = {
      id: node.id,
      name,
      type: kind,
    };
    const f = facts();
    if (f.lastSuccessAt !== undefined) view.lastSuccessAt = f.lastSuccessAt;
    if (f.lastFailureAt !== undefined) view.lastFailureAt = f.lastFailureAt;
    if (f.lastFailure !== undefined) view.lastFailure = f.lastFailure;
    return view;
  });
  const remove = healthBoard.addPlayer(node.id, () => tracker.view());
  node.on('close', () => {
    remove();
  });
  return tracker;
}

/** A failure in a few words for the board: the call and the reason, without the player's label or the fix. */
export function failureText(err: PlayerError | undefined): string | undefined {
  return err ? `${err.call}: ${err.reason}` : undefined;
}
