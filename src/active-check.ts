/** Flow node `active-check`: is someone watching on this player? Output 1 idle, output 2 active. */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { getJellyfinPlayback } from './players/jellyfin/library';
import { getKodiPlayback } from './players/kodi/playback';
import { getPlexPlayback } from './players/plex/library';
import { decideActivity } from './sync/activity';
import type { AnyPlayerNode } from './node-red/config-nodes';
import { PlayerRefs, handleInput, usePlayer } from './node-red/flow-node';
import { done, statusText, useCatalog, waiting, working } from './node-red/status';
import { PlaybackSession } from './core/playback';

interface ActiveCheckDef extends NodeDef, PlayerRefs {
  countPaused?: boolean;
  ignoreAudio?: boolean;
}

/** What the player is playing now, from whichever kind of player it is. */
function playback(player: AnyPlayerNode): Promise<PlaybackSession[]> {
  switch (player.kind) {
    case 'kodi':
      return getKodiPlayback(player.connection);
    case 'jellyfin':
      return getJellyfinPlayback(player.client);
    case 'plex':
      return getPlexPlayback(player.client);
  }
}

export = function (RED: NodeAPI): void {
  useCatalog(RED);
  function ActiveCheck(this: Node, def: ActiveCheckDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const { player, problem } = usePlayer(RED, node, def, ['kodi', 'jellyfin', 'plex']);
    const options = {
      countPaused: def.countPaused !== false,
      ignoreAudioAndPictures: def.ignoreAudio !== false,
    };
    node.on(
      'input',
      handleInput(node, async (msg, send) => {
        if (!player) throw new Error(`active-check: ${problem ?? 'no player'}`);
        const started = Date.now();
        node.status(working(statusText('checking')));
        const all = await playback(player);
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
          node.status(waiting(statusText('active', { title: decision.sessions[0].title })));
          send([null, msg]);
        } else {
          node.status(done(statusText('idle')));
          send([msg, null]);
        }
      }),
    );
  }

  RED.nodes.registerType('active-check', ActiveCheck);
};
