/** Flow node `kodi-refresh`: re-reads NFO and artwork of the item at a library path (scans it when new). */
import type { NodeAPI } from 'node-red';
import { kodiRefresh } from './sync/kodi-refresh';
import { secondsSetting } from './node-red/input';
import { KodiActionDef, itemType, kodiRef } from './node-red/kodi-action';
import { registerPlayerAction } from './node-red/player-action';

interface KodiRefreshDef extends KodiActionDef {
  timeout?: string | number;
}

export = function (RED: NodeAPI): void {
  registerPlayerAction<KodiRefreshDef, 'kodi'>(RED, 'kodi-refresh', 'kodi', {
    busyText: 'refreshing',
    run: (player, target, def, msg, signal) =>
      kodiRefresh(kodiRef(player), target, {
        timeoutMs: secondsSetting(
          (msg as { timeout?: unknown }).timeout,
          def.timeout,
          60,
          'kodi-refresh: timeout',
        ),
        type: itemType(msg, def),
        signal,
      }),
  });
};
