/**
 * The shared shape of the nodes that act on one library path on one player (kodi-scan, kodi-refresh,
 * kodi-remove, jellyfin-refresh, plex-refresh): each node's own file gives its type, player and action.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { AnyPlayerNode } from './config-nodes';
import { abortOnClose, handleInput, usePlayer } from './flow-node';
import { PathSettings, mapForPlayer, readLibraryPath } from './input';
import { done, failed, statusText, useCatalog, working } from './status';
import type { StatusKey } from './status';
import { CHANGE_ACTIONS, ChangeAction } from '../core/change';
import { PlayerType, SyncResult, SyncTarget } from '../core/result';

export interface PlayerActionDef extends NodeDef, PathSettings {
  kodi?: string;
  jellyfin?: string;
  plex?: string;
}

/** The change's action: msg.payload.action, msg.action, the node's setting, then "added"; validated. */
export function changeAction(msg: NodeMessageInFlow, fromNode: string | undefined): ChangeAction {
  const payload = msg.payload as { action?: unknown } | null | undefined;
  const fromPayload = payload !== null && typeof payload === 'object' ? payload.action : undefined;
  const raw = fromPayload ?? (msg as { action?: unknown }).action ?? (fromNode || 'added');
  if (typeof raw === 'string' && (CHANGE_ACTIONS as readonly string[]).includes(raw))
    return raw as ChangeAction;
  throw new Error(`unknown action ${JSON.stringify(raw)}: use ${CHANGE_ACTIONS.join(', ')}`);
}

// Def is each node's own settings type, so that its `run` reads them typed.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function registerPlayerAction<Def extends PlayerActionDef, Kind extends PlayerType>(
  RED: NodeAPI,
  type: string,
  kind: Kind,
  spec: {
    busyText: StatusKey;
    run: (
      player: Extract<AnyPlayerNode, { kind: Kind }>,
      target: SyncTarget,
      def: Def,
      msg: NodeMessageInFlow,
      signal: AbortSignal,
    ) => Promise<SyncResult>;
  },
): void {
  useCatalog(RED);
  function PlayerAction(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const { player, problem } = usePlayer(RED, node, { ...def, playerType: kind }, [kind]);
    const signal = abortOnClose(node);
    node.on(
      'input',
      handleInput(node, async (msg, send) => {
        if (player?.kind !== kind) throw new Error(`${type}: ${problem ?? `no ${kind} player`}`);
        const libraryPath = readLibraryPath(RED, node, def, msg);
        const target = mapForPlayer(player, libraryPath);
        node.status(working(statusText(spec.busyText)));
        const result = await spec.run(
          player as Extract<AnyPlayerNode, { kind: Kind }>,
          target,
          def,
          msg,
          signal,
        );
        msg.payload = result;
        node.status(result.ok ? done(result.status) : failed(result.status));
        send(result.ok ? [msg, null] : [null, msg]);
      }),
    );
  }
  RED.nodes.registerType(type, PlayerAction);
}
