/** Flow node `kodi-scan`: targeted scan of the folder of a library path, waited for and verified. */
import type { NodeAPI } from 'node-red';
import { kodiScan } from './sync/kodi-scan';
import { secondsSetting } from './node-red/input';
import { KodiActionDef, itemType, kodiRef } from './node-red/kodi-action';
import { registerPlayerAction } from './node-red/player-action';

interface KodiScanDef extends KodiActionDef {
  wait?: boolean;
  verify?: boolean;
  timeout?: string | number;
  fallback?: boolean;
  fallbackTimeout?: string | number;
}

export = function (RED: NodeAPI): void {
  registerPlayerAction<KodiScanDef, 'kodi'>(RED, 'kodi-scan', 'kodi', {
    busyText: 'scanning',
    run: (player, target, def, msg, signal) =>
      kodiScan(kodiRef(player), target, {
        wait: def.wait !== false,
        verify: def.verify !== false,
        timeoutMs: secondsSetting(
          (msg as { timeout?: unknown }).timeout,
          def.timeout,
          60,
          'kodi-scan: timeout',
        ),
        fallbackFullScan: def.fallback !== false,
        fallbackTimeoutMs: secondsSetting(
          undefined,
          def.fallbackTimeout,
          300,
          'kodi-scan: full scan timeout',
        ),
        type: itemType(msg, def),
        signal,
      }),
  });
};
