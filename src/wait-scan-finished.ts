/** Flow node `wait-scan-finished`: passes the message on when the player's library scan is over. */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { isLibraryScanRunning } from './players/jellyfin/library';
import { isRefreshing } from './players/plex/library';
import { ScanFinishedOptions, ScanFinishedResult, kodiWaitScanFinished } from './sync/kodi-wait';
import { waitScanFinishedByPolling } from './sync/server-wait';
import type { AnyPlayerNode } from './node-red/config-nodes';
import { abortOnClose, handleInput, PlayerRefs, usePlayer } from './node-red/flow-node';
import { secondsSetting } from './node-red/input';
import { done, failed, statusText, useCatalog, waiting } from './node-red/status';

interface WaitScanDef extends NodeDef, PlayerRefs {
  timeout?: string | number;
  /** "pass": an idle player passes at once; "wait": wait `startWait` seconds for a scan to start. */
  idle?: 'pass' | 'wait';
  startWait?: string | number;
  pollInterval?: string | number;
}

/** Kodi by its events (polling as fallback); Jellyfin by its RefreshLibrary task; Plex by refreshing sections. */
function waitFor(player: AnyPlayerNode, options: ScanFinishedOptions): Promise<ScanFinishedResult> {
  switch (player.kind) {
    case 'kodi':
      return kodiWaitScanFinished(player.connection, options);
    case 'jellyfin':
      return waitScanFinishedByPolling(() => isLibraryScanRunning(player.client), options);
    case 'plex':
      return waitScanFinishedByPolling(() => isRefreshing(player.client), options);
  }
}

export = function (RED: NodeAPI): void {
  useCatalog(RED);
  function WaitScanFinished(this: Node, def: WaitScanDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const { player, problem } = usePlayer(RED, node, def, ['kodi', 'jellyfin', 'plex']);
    const signal = abortOnClose(node);
    node.on(
      'input',
      handleInput(node, async (msg, send) => {
        if (!player) throw new Error(`wait-scan-finished: ${problem ?? 'no player'}`);
        const m = msg as { timeout?: unknown; startWait?: unknown };
        const timeoutMs = secondsSetting(m.timeout, def.timeout, 600, 'wait-scan-finished: timeout');
        const startWaitMs =
          def.idle === 'wait' || m.startWait !== undefined
            ? secondsSetting(m.startWait, def.startWait, 10, 'wait-scan-finished: start wait')
            : 0;
        node.status(waiting(statusText('waitingForScan')));
        // Kodi is asked every 0.5 s when it must be polled; the servers every 2 s, unless the node says otherwise.
        const pollMs = secondsSetting(
          undefined,
          def.pollInterval,
          player.kind === 'kodi' ? 0.5 : 2,
          'wait-scan-finished: poll interval',
        );
        const result = await waitFor(player, { timeoutMs, startWaitMs, pollMs, signal: signal });
        (msg as { waitScan?: unknown }).waitScan = {
          ...result,
          player: player.name || player.label,
          playerType: player.kind,
        };
        node.status(result.ok ? done(result.status) : failed(statusText('timedOut')));
        send(result.ok ? [msg, null] : [null, msg]);
      }),
    );
  }
  RED.nodes.registerType('wait-scan-finished', WaitScanFinished);
};
