/** Flow node `kodi-remove`: removes the item at a library path from Kodi's library (never the files). */
import type { NodeAPI } from 'node-red';
import { kodiRemove } from './sync/kodi-remove';
import { secondsSetting } from './node-red/input';
import { KodiActionDef, itemType, kodiRef } from './node-red/kodi-action';
import { registerPlayerAction } from './node-red/player-action';

interface KodiRemoveDef extends KodiActionDef {
  timeout?: string | number;
}

export = function (RED: NodeAPI): void {
  registerPlayerAction<KodiRemoveDef, 'kodi'>(RED, 'kodi-remove', 'kodi', {
    busyText: 'removing',
    run: (player, target, def, msg, signal) =>
      kodiRemove(kodiRef(player), target, {
        timeoutMs: secondsSetting(
          (msg as { timeout?: unknown }).timeout,
          def.timeout,
          10,
          'kodi-remove: timeout',
        ),
        type: itemType(msg, def),
        signal,
      }),
  });
};
