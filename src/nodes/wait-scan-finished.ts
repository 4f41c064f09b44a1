/** Flow node `wait-scan-finished`: passes the message on when the player's library scan is over. */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { kodiWaitScanFinished } from '../sync/kodi-wait';
import { PlayerRefs, handleInput, usePlayer } from './common/flow-node';
import { secondsSetting } from './common/input';
import { done, failed, waiting } from './common/status';

interface WaitScanDef extends NodeDef, PlayerRefs {
  timeout?: string | number;
  /** "pass": an idle player passes at once; "wait": wait `startWait` seconds for a scan to start. */
  idle?: 'pass' | 'wait';
  startWait?: string | number;
}

export = function (RED: NodeAPI): void {
  function WaitScanFinished(this: Node, def: WaitScanDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const { player, problem } = usePlayer(RED, node, def, ['kodi']);
    const aborter = new AbortController();
    node.on('close', () => {
      aborter.abort();
    });
    node.on(
      'input',
      handleInput(node, async (msg, send) => {
        if (player?.kind !== 'kodi') throw new Error(`wait-scan-finished: ${problem ?? 'no player'}`);
        const m = msg as { timeout?: unknown; startWait?: unknown };
        const timeoutMs = secondsSetting(m.timeout, def.timeout, 600, 'wait-scan-finished: timeout');
        const startWaitMs =
          def.idle === 'wait' || m.startWait !== undefined
            ? secondsSetting(m.startWait, def.startWait, 10, 'wait-scan-finished: start wait')
            : 0;
        node.status(waiting('waiting for scan'));
        const result = await kodiWaitScanFinished(player.connection, {
          timeoutMs,
          startWaitMs,
          signal: aborter.signal,
        });
        (msg as { waitScan?: unknown }).waitScan = {
          ...result,
          player: player.name || player.label,
          playerType: player.kind,
        };
        node.status(result.ok ? done(result.status) : failed('timed out'));
        send(result.ok ? [msg, null] : [null, msg]);
      }),
    );
  }
  RED.nodes.registerType('wait-scan-finished', WaitScanFinished);
};
