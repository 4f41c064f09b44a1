/** The shared shape of the Kodi action nodes (kodi-scan, kodi-refresh, kodi-remove): one file per type uses it. */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { KODI_ITEM_TYPES, KodiItemType } from '../../players/kodi/library';
import type { SyncResult, SyncTarget } from '../../sync/result';
import type { KodiPlayerRef } from '../../sync/kodi-sync';
import { handleInput, usePlayer } from './flow-node';
import { PathSettings, mapForPlayer, readLibraryPath } from './input';
import { done, failed, working } from './status';

export interface KodiActionDef extends NodeDef, PathSettings {
  kodi?: string;
  itemType?: string;
}

/** The item type from msg.type or the node's setting; "auto" or empty means any. */
export function itemType(msg: NodeMessageInFlow, def: KodiActionDef): KodiItemType | undefined {
  const raw = (msg as { type?: unknown }).type ?? def.itemType;
  if (raw === undefined || raw === '' || raw === 'auto') return undefined;
  if (typeof raw === 'string' && (KODI_ITEM_TYPES as readonly string[]).includes(raw))
    return raw as KodiItemType;
  throw new Error(
    `unknown item type ${JSON.stringify(raw)}: use one of ${KODI_ITEM_TYPES.join(', ')} or "auto"`,
  );
}

// Def is each node's own settings type, so that its `run` reads them typed.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function registerKodiAction<Def extends KodiActionDef>(
  RED: NodeAPI,
  type: string,
  spec: {
    busyText: string;
    run: (
      player: KodiPlayerRef,
      target: SyncTarget,
      def: Def,
      msg: NodeMessageInFlow,
      signal: AbortSignal,
    ) => Promise<SyncResult>;
  },
): void {
  function KodiAction(this: Node, def: Def): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const { player, problem } = usePlayer(RED, node, { playerType: 'kodi', kodi: def.kodi }, ['kodi']);
    const aborter = new AbortController();
    node.on('close', () => {
      aborter.abort();
    });
    node.on(
      'input',
      handleInput(node, async (msg, send) => {
        if (player?.kind !== 'kodi') throw new Error(`${type}: ${problem ?? 'no Kodi player'}`);
        const libraryPath = readLibraryPath(RED, node, def, msg);
        const target = mapForPlayer(player, libraryPath);
        node.status(working(spec.busyText));
        const result = await spec.run(
          { conn: player.connection, name: player.name || player.label },
          target,
          def,
          msg,
          aborter.signal,
        );
        msg.payload = result;
        node.status(result.ok ? done(result.status) : failed(result.status));
        send(result.ok ? [msg, null] : [null, msg]);
      }),
    );
  }
  RED.nodes.registerType(type, KodiAction);
}
