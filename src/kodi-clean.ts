/** Flow node `kodi-clean`: a guarded VideoLibrary.Clean (dry run by default). */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { kodiClean } from './sync/kodi-clean';
import { abortOnClose, handleInput, usePlayer } from './node-red/flow-node';
import { mapForPlayer, secondsSetting } from './node-red/input';
import { done, failed, statusText, useCatalog, working } from './node-red/status';

interface KodiCleanDef extends NodeDef {
  kodi?: string;
  confirmed?: boolean;
  dryRun?: boolean;
  anchors?: string;
  maxShare?: string | number;
  content?: 'video' | 'movies' | 'tvshows' | 'musicvideos';
  timeout?: string | number;
}

export = function (RED: NodeAPI): void {
  useCatalog(RED);
  function KodiClean(this: Node, def: KodiCleanDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const { player, problem } = usePlayer(RED, node, { playerType: 'kodi', kodi: def.kodi }, ['kodi']);
    const signal = abortOnClose(node);
    node.on(
      'input',
      handleInput(node, async (msg, send) => {
        if (player?.kind !== 'kodi') throw new Error(`kodi-clean: ${problem ?? 'no Kodi player'}`);
        // msg.dryRun may make a run safer (true), never less safe than the node's setting.
        const dryRun = def.dryRun !== false || (msg as { dryRun?: unknown }).dryRun === true;
        const maxShare = Number(def.maxShare ?? 5);
        if (!Number.isFinite(maxShare) || maxShare < 0 || maxShare > 100) {
          throw new Error(`kodi-clean: the maximum share must be 0–100 %, not "${String(def.maxShare)}"`);
        }
        // Anchors are library paths, mapped like every input, so a wrong mapping fails the anchor check.
        const anchors = (def.anchors ?? '')
          .split('\n')
          .map((line) => line.trim())
          .filter(Boolean)
          .map((path) => mapForPlayer(player, path).playerPath);
        node.status(working(statusText(dryRun ? 'checkingFiles' : 'cleaning')));
        const result = await kodiClean(
          { conn: player.connection, name: player.name || player.label },
          {
            confirmed: def.confirmed === true,
            dryRun,
            anchors,
            maxSharePercent: maxShare,
            content: def.content ?? 'video',
            timeoutMs: secondsSetting(
              (msg as { timeout?: unknown }).timeout,
              def.timeout,
              300,
              'kodi-clean: timeout',
            ),
            signal: signal,
          },
        );
        msg.payload = result;
        const text =
          result.status === 'dry-run'
            ? statusText('dryRun', { count: result.unreachable.length })
            : result.status === 'cleaned'
              ? statusText('cleaned', { count: result.removed.length })
              : result.status;
        node.status(result.ok ? done(text) : failed(text));
        send(result.ok ? [msg, null] : [null, msg]);
      }),
    );
  }
  RED.nodes.registerType('kodi-clean', KodiClean);
};
