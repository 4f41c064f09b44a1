/**
 * Editor plugin `players-sidebar`: the "Players" tab of the editor's sidebar (nodes/players-sidebar.html) and, on
 * the runtime side, the board it shows: pushed over Node-RED's comms, with the health and queue routes (see
 * node-red/players-board). Loaded with the package, whether or not a flow uses a player yet.
 */
import type { NodeAPI } from 'node-red';
import { usePlayersBoard } from './node-red/players-board';

export = function (RED: NodeAPI): void {
  usePlayersBoard(RED);
  // Typed loosely by @types/node-red: the plugin API is older than its types.
  (
    RED as unknown as { plugins: { registerPlugin(id: string, def: Record<string, unknown>): void } }
  ).plugins.registerPlugin('players-sidebar', { type: 'player-sync-sidebar' });
};
