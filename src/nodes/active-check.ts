/** Flow node `active-check`: is someone watching on this player? Output 1 idle, output 2 active. */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { getKodiPlayback } from '../players/kodi/playback';
import { decideActivity } from '../sync/activity';
import { PlayerRefs, handleInput, usePlayer } from './common/flow-node';
import { done, waiting, working } from './common/status';

interface ActiveCheckDef extends NodeDef, PlayerRefs {
  countPaused?: boolean;
  ignoreAudio?: boolean;
}

export = function (RED: NodeAPI): void {
  function ActiveCheck(this: Node, def: ActiveCheckDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const { player, problem } = usePlayer(RED, node, def, ['kodi']);
    const options = {
      countPaused: def.countPaused !== false,
      ignoreAudioAndPictures: def.ignoreAudio !== false,
    };
    node.on(
      'input',
      handleInput(node, async (msg, send) => {
        if (!player) throw new Error(`active-check: ${problem ?? 'no player'}`);
        const started = Date.now();
        node.status(working('checking'));
        const all = player.kind === 'kodi' ? await getKodiPlayback(player.connection) : [];
        const decision = decideActivity(all, options);
        msg.payload = {
          status: decision.active ? 'active' : 'idle',
          player: player.name ?? player.label,
          playerType: player.kind,
          sessions: decision.sessions,
          ignored: decision.ignored,
          tookMs: Date.now() - started,
        };
        if (decision.active) {
          node.status(waiting(`active: ${decision.sessions[0].title}`));
          send([null, msg]);
        } else {
          node.status(done('idle'));
          send([msg, null]);
        }
      }),
    );
  }

  RED.nodes.registerType('active-check', ActiveCheck);
};
