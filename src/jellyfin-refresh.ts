/** Flow node `jellyfin-refresh`: a targeted Jellyfin update of a library path, waited for and verified. */
import type { NodeAPI } from 'node-red';
import type { RefreshMode } from './players/jellyfin/library';
import { JellyfinMode, jellyfinRefresh } from './sync/jellyfin-sync';
import { secondsSetting } from './node-red/input';
import { PlayerActionDef, changeAction, registerPlayerAction } from './node-red/player-action';

interface JellyfinRefreshDef extends PlayerActionDef {
  mode?: JellyfinMode;
  action?: string;
  metadataRefreshMode?: RefreshMode;
  imageRefreshMode?: RefreshMode;
  replaceAll?: boolean;
  wait?: boolean;
  verify?: boolean;
  timeout?: string | number;
  pollInterval?: string | number;
}

const MODES: readonly JellyfinMode[] = ['immediate', 'gentle', 'path', 'item', 'library'];

export = function (RED: NodeAPI): void {
  registerPlayerAction<JellyfinRefreshDef, 'jellyfin'>(RED, 'jellyfin-refresh', 'jellyfin', {
    busyText: 'updating',
    run: (player, target, def, msg, signal) => {
      const m = msg as { mode?: unknown; timeout?: unknown };
      const mode = m.mode ?? def.mode ?? 'immediate';
      if (!MODES.includes(mode as JellyfinMode)) {
        throw new Error(`jellyfin-refresh: unknown mode ${JSON.stringify(mode)}: use ${MODES.join(', ')}`);
      }
      return jellyfinRefresh({ client: player.client, name: player.name || player.label }, target, {
        mode: mode as JellyfinMode,
        action: changeAction(msg, def.action),
        metadataRefreshMode: def.metadataRefreshMode,
        imageRefreshMode: def.imageRefreshMode,
        replaceAllMetadata: def.replaceAll === true,
        replaceAllImages: def.replaceAll === true,
        wait: def.wait !== false,
        verify: def.verify !== false,
        timeoutMs: secondsSetting(m.timeout, def.timeout, 180, 'jellyfin-refresh: timeout'),
        pollMs: secondsSetting(undefined, def.pollInterval, 5, 'jellyfin-refresh: poll interval'),
        signal,
      });
    },
  });
};
