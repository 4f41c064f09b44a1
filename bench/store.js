// npm run bench -- store: player-sync's queue in the store at library scale. 10,000 changes in one message, three
// players that answer at once (so that what is measured is the queue and the store, not a player), the store on
// disk beside the same engine with the queue in memory only (the floor); then a restart with 10,000 queued.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { SyncEngine } = require('../nodes/sync/engine');
const { openJournal, journalFile } = require('../nodes/sync/journal');
const { plainItem } = require('../nodes/core/change');

const COUNT = Number(process.env.BENCH_STORE_CHANGES || 10000);
const now = () => Number(process.hrtime.bigint() / 1000n) / 1000; // ms
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;

/** A player that verifies every change at once; `hold` keeps every apply waiting until the engine closes. */
function player(key, hold = false) {
  return {
    key,
    name: key,
    applied: 0,
    apply(item, signal) {
      this.applied++;
      const result = {
        status: 'verified',
        ok: true,
        player: key,
        playerType: 'kodi',
        action: 'scan',
        libraryPath: item.path,
        playerPath: item.path,
        items: [{ id: this.applied, type: 'movie', title: 'Bench', file: `${item.path}bench.mkv` }],
        sent: [{ method: 'VideoLibrary.Scan', params: { directory: item.path } }],
        tookMs: 0,
      };
      if (!hold) return Promise.resolve(result);
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(result)));
    },
    playing: () => Promise.resolve([]),
  };
}

const OPTIONS = { batchWindowMs: 10, whilePlaying: 'defer', parallel: true, continueOnError: true };

/** `count` new movie folders, as change items. */
const items = (count = COUNT) =>
  Array.from({ length: count }, (_, i) =>
    plainItem(
      { path: `/movies/Bench Movie ${i} (${1950 + (i % 70)})/`, action: 'added', type: 'movie' },
      'bench',
    ),
  );

/** One message of COUNT changes through the engine; the store on disk (dir) or in memory (undefined). */
async function oneBulk(dir) {
  const journal = openJournal(dir, 'bench');
  journal.load();
  const engine = new SyncEngine(
    ['kodi', 'jellyfin', 'plex'].map((k) => player(k)),
    OPTIONS,
    journal,
  );
  let done = 0;
  const all = new Promise((resolve) =>
    engine.on('item-done', () => {
      if (++done === COUNT) resolve();
    }),
  );
  const bulk = items();
  if (global.gc) global.gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const stall = monitorEventLoopDelay({ resolution: 5 });
  stall.enable();
  await new Promise((resolve) => setTimeout(resolve, 20)); // the monitor's timer running before the message
  const t0 = now();
  await engine.acceptBulk(bulk, 'normal');
  const acceptMs = now() - t0;
  await all;
  const totalMs = now() - t0;
  stall.disable();
  const heapAfter = process.memoryUsage().heapUsed;
  const report = journal.collection.report();
  await engine.close();
  return {
    acceptMs,
    totalMs,
    stallMs: stall.max / 1e6,
    written: report.bytesWritten,
    peak: report.peakFileBytes,
    heapMb: (heapAfter - heapBefore) / 1048576,
  };
}

/** COUNT changes queued and cut off (Node-RED stops), then the restart: until the first and the last is done. */
async function restart(dir) {
  let journal = openJournal(dir, 'restart');
  journal.load();
  let engine = new SyncEngine(
    ['kodi', 'jellyfin', 'plex'].map((k) => player(k, true)),
    OPTIONS,
    journal,
  );
  engine.accept(items(), 'normal');
  await journal.commit();
  await engine.close();
  const size = fs.statSync(journalFile(dir, 'restart')).size;
  const t0 = now();
  journal = openJournal(dir, 'restart');
  engine = new SyncEngine(
    ['kodi', 'jellyfin', 'plex'].map((k) => player(k)),
    OPTIONS,
    journal,
  );
  let done = 0;
  let firstMs;
  const all = new Promise((resolve) =>
    engine.on('item-done', () => {
      firstMs ??= now() - t0;
      if (++done === COUNT) resolve();
    }),
  );
  const restored = engine.restore().length;
  const restoreMs = now() - t0;
  await all;
  const allMs = now() - t0;
  await engine.close();
  return { restored, restoreMs, firstMs, allMs, size };
}

async function storeRows() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-bench-store-'));
  try {
    await oneBulk(undefined); // warm-up: the first run pays for compiling the code
    const memory = await oneBulk(undefined);
    const disk = await oneBulk(dir);
    const again = await restart(dir);
    const n = COUNT.toLocaleString('en');
    return [
      [
        `5. ${n} changes in one message: accept`,
        `store on disk: ${fmt(disk.acceptMs)}`,
        `queue in memory only: ${fmt(memory.acceptMs)}`,
        `target ≤ 100 ms`,
      ],
      [
        `6. ${n} changes: longest event-loop stall`,
        `store on disk: ${fmt(disk.stallMs)}`,
        `queue in memory only: ${fmt(memory.stallMs)}`,
        `target ≤ 50 ms`,
      ],
      [
        `7. ${n} changes × 3 players: bytes written`,
        `${mb(disk.written)}, the log at most ${mb(disk.peak)}`,
        'queue in memory only: nothing written',
        `${(disk.written / disk.peak).toFixed(1)}× the peak (target ≤ 10×)`,
      ],
      [
        `8. ${n} changes × 3 players: all done`,
        `store on disk: ${fmt(disk.totalMs)}, heap +${disk.heapMb.toFixed(0)} MB`,
        `queue in memory only: ${fmt(memory.totalMs)}, heap +${memory.heapMb.toFixed(0)} MB`,
        `${(disk.totalMs / memory.totalMs).toFixed(2)}× the floor (target ≤ 1.5×)`,
      ],
      [
        `9. restart with ${n} queued (${mb(again.size)})`,
        `resumed in ${fmt(again.restoreMs)}, first done ${fmt(again.firstMs)}`,
        `all ${again.restored.toLocaleString('en')} done in ${fmt(again.allMs)}`,
        `target ≤ 1 s`,
      ],
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { storeRows, player, items, OPTIONS };
