// npm run bench -- board: what the Players sidebar costs at library scale. A snapshot of the board with 10,000
// changes queued for three players (each queue lists its first 50 items and counts the rest), beside a snapshot that
// lists every item (the alternative a naive board would push); then a burst of 10,000 changes through three players
// that answer at once: the pushes to the editor (at most one per 500 ms) beside one push per result.
'use strict';
const { SyncEngine } = require('../nodes/sync/engine');
const { openJournal } = require('../nodes/sync/journal');
const { HealthBoard, healthBoard, queueView } = require('../nodes/sync/health');
const { usePlayersBoard } = require('../nodes/node-red/players-board');
const { player, items: storeItems, OPTIONS } = require('./store');

const COUNT = Number(process.env.BENCH_BOARD_CHANGES || 10000);
const now = () => Number(process.hrtime.bigint() / 1000n) / 1000; // ms
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const items = () => storeItems(COUNT);

/** The engine's queues on `board`, as player-sync puts them there; `all` lists every item (no cap). */
function onBoard(board, engine, all = false) {
  return board.addQueues('bench', {
    views: () =>
      engine.queues().map((q) => {
        const base = { node: 'bench', nodeType: 'player-sync', nodeName: 'bench' };
        const view = queueView({ ...base, player: q.key, playerName: q.name }, q.items());
        return all ? { ...view, items: [...q.items()], more: 0 } : view;
      }),
    retryNow: () => false,
    drop: () => false,
  });
}

async function boardRows() {
  const rows = [];
  // 1. A snapshot with COUNT changes queued for three players that never answer.
  const engine = new SyncEngine(
    ['kodi', 'jellyfin', 'plex'].map((k) => player(k, true)),
    OPTIONS,
    openJournal(undefined, 'board'),
  );
  engine.accept(items(), 'normal');
  await new Promise((resolve) => setTimeout(resolve, 50)); // past the batching window: queued
  const capped = new HealthBoard();
  const full = new HealthBoard();
  onBoard(capped, engine);
  onBoard(full, engine, true);
  const measure = (board) => {
    const times = [];
    let bytes = 0;
    for (let i = 0; i < 20; i++) {
      const t0 = now();
      bytes = JSON.stringify(board.snapshot()).length;
      times.push(now() - t0);
    }
    return { ms: median(times), bytes };
  };
  const a = measure(capped);
  const b = measure(full);
  rows.push([
    `board: snapshot + JSON, ${COUNT} queued × 3 players (median of 20)`,
    `${fmt(a.ms)}, ${kb(a.bytes)}`,
    `${fmt(b.ms)}, ${kb(b.bytes)} (every item listed)`,
    `${(b.bytes / a.bytes).toFixed(0)}× smaller`,
  ]);
  await engine.close();

  // 2. A burst of COUNT changes through three players that answer at once: pushes to the editor.
  let pushes = 0;
  let pushedBytes = 0;
  usePlayersBoard({
    comms: {
      publish: (_topic, data) => {
        pushes++;
        pushedBytes += JSON.stringify(data).length;
      },
    },
    settings: {},
    httpAdmin: { get: () => undefined, post: () => undefined },
    auth: { needsPermission: () => () => undefined },
  });
  const burst = new SyncEngine(
    ['kodi', 'jellyfin', 'plex'].map((k) => player(k, false)),
    OPTIONS,
    openJournal(undefined, 'burst'),
  );
  const off = onBoard(healthBoard, burst);
  burst.on('progress', () => healthBoard.changed());
  let results = 0;
  let done = 0;
  const all = new Promise((resolve) =>
    burst.on('item-done', (o) => {
      for (const [key, r] of Object.entries(o.results)) {
        results++;
        healthBoard.addResult({
          node: 'bench',
          nodeType: 'player-sync',
          nodeName: 'bench',
          player: key,
          playerName: key,
          outcome: 'verified',
          status: r.status,
          what: o.entry.item.path,
        });
      }
      if (++done === COUNT) resolve();
    }),
  );
  const t0 = now();
  burst.accept(items(), 'normal');
  await all;
  const tookMs = now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 600)); // the last push, after the burst
  off();
  await burst.close();
  rows.push([
    `board: pushes to the editor during a ${COUNT}-change burst to 3 players (${fmt(tookMs)})`,
    `${pushes} pushes, ${kb(pushedBytes)}`,
    `${results} (one per result)`,
    `${(results / pushes).toFixed(0)}× fewer`,
  ]);
  return rows;
}

module.exports = { boardRows };
