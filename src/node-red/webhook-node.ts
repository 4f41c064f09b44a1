/**
 * The webhook receivers (`jellyfin-webhook`, `plex-webhook`): flow nodes behind an `http in` node that turn each
 * body into watch events of the same shape as watch-activity's. A server config node, when set, is used to look up
 * the item's path (the bodies do not carry it); the node does not register with it (it needs no connection of its
 * own). Bodies of one session are handled in order; other sessions are not held up by a slow lookup.
 */
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { HookStep } from '../sync/watch-hooks';
import { applyHook } from '../sync/watch-hooks';
import type { PathMapper } from '../sync/path-mapping';
import { CONFIG_TYPES, PlayerConfigNode, getConfigNode } from './config-nodes';
import { handleInput } from './flow-node';
import { done, failed, statusText, useCatalog, waiting, working } from './status';
import { WatchDef, useWatchOutput } from './watch-output';
import { forPeople } from './errors';

interface WebhookDef extends WatchDef {
  server?: string;
}

/** How long lookups rest after one failed. */
const LOOKUP_PAUSE_MS = 60_000;
/** How long a play may be silent before it is forgotten (a stop that never came). */
const SILENT_SESSION_MS = 24 * 3600 * 1000;

/** A server config node as a webhook node uses it: its name, its client and its path mappings. */
interface ServerNode<C> extends PlayerConfigNode<string> {
  client: C;
}

/** The server to look an item up on. */
export interface Lookup<C> {
  client: C;
  mapper: () => PathMapper | undefined;
}

export interface WebhookSpec<C, H> {
  type: string;
  kind: 'jellyfin' | 'plex';
  /** Progress events unless set: every 60 s where the server sends positions while playing, 0 where not (Plex). */
  progressDefaultS: number;
  /** The play event in the message, undefined for another event; throws for a body that is not the server's. */
  decode(msg: NodeMessageInFlow): H | undefined;
  /** For a body that is no play event: a message of its own to pass on (Jellyfin's user events), if any. */
  passOn?(msg: NodeMessageInFlow, playerId: string | undefined): NodeMessage | undefined;
  /** The hook's session, for ordering. */
  session(hook: H): string;
  /** The step, with the item looked up on the server when one is given. */
  step(hook: H, server: Lookup<C> | undefined): Promise<HookStep | undefined>;
}

export function registerWebhookNode<C, H>(RED: NodeAPI, spec: WebhookSpec<C, H>): void {
  useCatalog(RED);
  function WebhookNode(this: Node, def: WebhookDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const configType = CONFIG_TYPES[spec.kind];
    const server = def.server
      ? (getConfigNode(RED, def.server, configType) as ServerNode<C> | undefined)
      : undefined;
    const missing = def.server && !server;
    if (missing) node.status(failed(statusText('noConfig', { type: configType })));
    const output = useWatchOutput(
      RED,
      node,
      def,
      {
        name: server ? server.name || server.label : spec.kind === 'jellyfin' ? 'Jellyfin' : 'Plex',
        type: spec.kind,
        id: server?.id,
      },
      spec.progressDefaultS,
    );
    const lookup: Lookup<C> | undefined = server
      ? {
          client: server.client,
          mapper: (): PathMapper | undefined => {
            try {
              return server.mapper();
            } catch {
              return undefined;
            }
          },
        }
      : undefined;
    /** The last work of each session: bodies of one session in order, others independent. */
    const sessions = new Map<string, Promise<unknown>>();
    /** Until when lookups are not tried, after one failed (a server that is down would hold every body up). */
    let lookupPausedUntil = 0;
    let closed = false;
    // A play whose stop never came is forgotten after a day of silence (a film plays for hours without a body).
    const expiry = setInterval(() => {
      output.tracker.expire(SILENT_SESSION_MS);
    }, 3600 * 1000);

    node.on(
      'input',
      handleInput(node, async (msg, send) => {
        if (missing) {
          throw new Error(
            `${node.type}: its ${configType} config node is missing: pick one in this node's settings or clear it`,
          );
        }
        const arrived = Date.now(); // the body's time, whatever a lookup before it costs
        const hook = spec.decode(msg);
        if (hook === undefined) {
          // Another event (a library one, a test): nothing for watch activity; some are passed on as they are.
          const other = spec.passOn?.(msg, server?.id);
          if (other) send(other);
          return;
        }
        const key = spec.session(hook);
        const work = async (): Promise<void> => {
          let step: HookStep | undefined;
          if (Date.now() < lookupPausedUntil) step = await spec.step(hook, undefined);
          else {
            try {
              step = await spec.step(hook, lookup);
              lookupPausedUntil = 0;
            } catch (err) {
              // The event still counts; only its path is missing. Said once until a lookup works again, and not
              // tried again for a while.
              if (lookupPausedUntil === 0)
                node.warn(`${node.type}: the item's path is unknown: ${forPeople(err).message}`);
              lookupPausedUntil = Date.now() + LOOKUP_PAUSE_MS;
              step = await spec.step(hook, undefined);
            }
          }
          if (closed || !step || !output.wanted(step.observation)) return;
          for (const e of applyHook(output.tracker, step, arrived)) send(output.message(e));
          const o = step.observation;
          if (step.stop) node.status(done(`■ ${o.item.title}`));
          else if (o.paused) node.status(waiting(`⏸ ${o.item.title}`));
          else node.status(working(`▶ ${o.item.title}`));
        };
        const previous = sessions.get(key) ?? Promise.resolve();
        const current = previous.then(work, work);
        sessions.set(key, current);
        try {
          await current;
        } finally {
          if (sessions.get(key) === current) sessions.delete(key);
        }
      }),
    );
    node.on('close', (_removed: boolean, closeDone: () => void) => {
      closed = true;
      clearInterval(expiry);
      output.close().then(closeDone, () => {
        closeDone();
      });
    });
  }
  RED.nodes.registerType(spec.type, WebhookNode);
}
