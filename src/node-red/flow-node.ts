/** Glue every flow node shares: finding its player, registering with it, and ending a message. */
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import { PlayerError } from '../players/errors';
import { AnyPlayerNode, CONFIG_TYPES, PlayerType, getConfigNode } from './config-nodes';
import { failed, statusText } from './status';
import { forPeople } from './errors';

export interface PlayerRefs {
  playerType?: string;
  kodi?: string;
  jellyfin?: string;
  plex?: string;
}

/**
 * Finds the node's player config and registers the node with it (deregistering on close). When it is missing,
 * the node shows a red ring, logs why, and returns undefined: the node then answers every message with that error.
 */
export function usePlayer(
  RED: NodeAPI,
  node: Node,
  refs: PlayerRefs,
  allowed: readonly PlayerType[],
): { player?: AnyPlayerNode; problem?: string } {
  const type = (refs.playerType ?? 'kodi') as PlayerType;
  if (!allowed.includes(type)) {
    return {
      problem: `player type "${type}" is not supported by ${node.type}: pick ${allowed.join(' or ')}`,
    };
  }
  const configType = CONFIG_TYPES[type];
  const player = getConfigNode(RED, refs[type], configType);
  if (!player) {
    const problem = `no ${configType} config node is selected: open this node and pick or add one`;
    node.status(failed(statusText('noConfig', { type: configType })));
    node.error(problem);
    return { problem };
  }
  player.register(node);
  node.on('close', (_removed: boolean, done: () => void) => {
    player.deregister(node);
    done();
  });
  return { player };
}

/** The text for a status ring from any error. */
export function errorStatus(err: unknown): string {
  if (err instanceof PlayerError) {
    switch (err.code) {
      case 'auth':
        return statusText('authFailed');
      case 'unreachable':
        return statusText('unreachable');
      case 'timeout':
        return statusText('timedOut');
      case 'config':
        return statusText('settingsIncomplete');
      default:
        return statusText('failed');
    }
  }
  return statusText('error');
}

export type Send = (msg: NodeMessage | (NodeMessage | NodeMessage[] | null)[]) => void;
export type Done = (err?: Error) => void;

/**
 * Runs an async input handler so that every path ends in exactly one done()/done(err), with a red ring on error
 * (the runtime reports done(err) to Catch nodes; we do not also call node.error).
 */
export function handleInput(
  node: Node,
  handler: (msg: NodeMessageInFlow, send: Send) => Promise<void> | void,
): (msg: NodeMessageInFlow, send: Send, done: Done) => void {
  return (msg, send, done) => {
    Promise.resolve()
      .then(() => handler(msg, send))
      .then(
        () => {
          done();
        },
        (err: unknown) => {
          node.status(failed(errorStatus(err)));
          done(forPeople(err));
        },
      );
  };
}

/** A signal that aborts when the node closes (a redeploy, Node-RED stopping): the node's work in flight ends. */
export function abortOnClose(node: Node): AbortSignal {
  const aborter = new AbortController();
  node.on('close', () => {
    aborter.abort();
  });
  return aborter.signal;
}
