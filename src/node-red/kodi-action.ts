/** What the Kodi action nodes (kodi-scan, kodi-refresh, kodi-remove) share beyond player-action. */
import type { NodeMessageInFlow } from 'node-red';
import { KODI_ITEM_TYPES, KodiItemType } from '../players/kodi/library';
import type { KodiPlayerRef } from '../sync/kodi-common';
import type { KodiPlayerNode } from './config-nodes';
import type { PlayerActionDef } from './player-action';

export interface KodiActionDef extends PlayerActionDef {
  itemType?: string;
}

/** The Kodi a sync function works on. */
export function kodiRef(player: KodiPlayerNode): KodiPlayerRef {
  return { conn: player.connection, name: player.name || player.label };
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
