/** Flow node `plex-refresh`: a partial Plex scan of a library path's folder, waited for and verified. */
import type { NodeAPI } from 'node-red';
import { PlexMode, plexRefresh } from './sync/plex-sync';
import { secondsSetting } from './node-red/input';
import { PlayerActionDef, changeAction, registerPlayerAction } from './node-red/player-action';

interface PlexRefreshDef extends PlayerActionDef {
  mode?: PlexMode;
  action?: string;
  wait?: boolean;
  verify?: boolean;
  timeout?: string | number;
  pollInterval?: string | number;
}

const MODES: readonly PlexMode[] = ['path', 'item'];

export = function (RED: NodeAPI): void {
  registerPlayerAction<PlexRefreshDef, 'plex'>(RED, 'plex-refresh', 'plex', {
    busyText: 'scanning',
    run: (player, target, def, msg, signal) => {
      const m = msg as { mode?: unknown; timeout?: unknown };
      const mode = m.mode ?? def.mode ?? 'path';
      if (!MODES.includes(mode as PlexMode)) {
        throw new Error(`plex-refresh: unknown mode ${JSON.stringify(mode)}: use ${MODES.join(', ')}`);
      }
      const plex = { client: player.client, name: player.name || player.label, notifications: player.socket };
      return plexRefresh(plex, target, {
        mode: mode as PlexMode,
        action: changeAction(msg, def.action),
        wait: def.wait !== false,
        verify: def.verify !== false,
        timeoutMs: secondsSetting(m.timeout, def.timeout, 120, 'plex-refresh: timeout'),
        pollMs: secondsSetting(undefined, def.pollInterval, 2, 'plex-refresh: poll interval'),
        signal,
      });
    },
  });
};
