#!/usr/bin/env node
// npm run bench: player-sync against a real Kodi with a generated library of 2,000 movies, each figure beside
// its alternative measured in the same run, printed as a table. Not a test: nothing here passes or fails.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const WebSocket = require('ws');
const helper = require('node-red-node-test-helper');
const { RealKodi, freePort } = require('../scripts/real-kodi');
const { storeRows } = require('./store');
const { plexRows, serverRows } = require('./servers');
const { watchRows } = require('./watch');
const { reconcileRows } = require('./reconcile');
const { libraryRows } = require('./library');
const { boardRows } = require('./board');

helper.init(require.resolve('node-red'));
const types = ['kodi-player', 'path-mappings', 'player-sync', 'kodi-scan'].map((t) =>
  require(`../nodes/${t}.js`),
);

const LIBRARY_SIZE = Number(process.env.BENCH_LIBRARY_SIZE || 2000);
/** Row 1 is measured again once the library has grown to this size. */
const GROW_TO = Number(process.env.BENCH_GROW_TO || 10000);
const now = () => Number(process.hrtime.bigint() / 1000n) / 1000; // ms
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** The q-quantile of xs (0.5: the median, 0.95: p95). */
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

async function notifications(kodi) {
  const ws = new WebSocket(`ws://127.0.0.1:${kodi.wsPort}/jsonrpc`, { skipUTF8Validation: true });
  ws.on('error', (err) => process.stderr.write(`bench: notification socket: ${err.message}\n`));
  const seen = [];
  const waiters = [];
  ws.on('message', (raw) => {
    let msg;
    try {
      msg = JSON.parse(String(raw));
    } catch {
      return;
    }
    if (!msg.method) return;
    const n = { method: msg.method, at: now() };
    seen.push(n);
    for (const w of [...waiters])
      if (w.method === n.method) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(n);
      }
  });
  await new Promise((resolve) => ws.once('open', resolve));
  return {
    seen,
    next: (method) => new Promise((resolve) => waiters.push({ method, resolve })),
    close: () => ws.close(),
  };
}

/** Section "kodi": player-sync against a real Kodi with a generated library. */
async function kodiRows(rows) {
  process.stdout.write(`starting Kodi and generating ${LIBRARY_SIZE} movies…\n`);
  const kodi = await new RealKodi().start();
  try {
    for (let i = 0; i < LIBRARY_SIZE; i++) kodi.addMovie(`Library Movie ${i}`, 1900 + (i % 120));
    const events = await notifications(kodi);
    let done = events.next('VideoLibrary.OnScanFinished');
    let t0 = now();
    await kodi.rpc('VideoLibrary.Scan', { directory: '', showdialogs: false });
    await done;
    process.stdout.write(`first full scan of ${LIBRARY_SIZE} movies: ${fmt(now() - t0)}\n`);

    await new Promise((resolve) => helper.startServer(resolve));
    const userDir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'player-sync-bench-'));
    helper.settings({ userDir });
    const scanNodes = Array.from({ length: 20 }, (_, i) => ({
      id: `scan${i}`,
      type: 'kodi-scan',
      z: 'tab',
      kodi: 'kodi',
      wires: [[], []],
    }));
    const closedPort = await freePort(); // nothing listens there
    await helper.load(
      types,
      [
        { id: 'tab', type: 'tab' },
        { id: 'maps', type: 'path-mappings', rules: [{ from: '/library', to: kodi.movies }] },
        {
          id: 'kodi',
          type: 'kodi-player',
          name: 'Bench',
          host: '127.0.0.1',
          httpPort: kodi.httpPort,
          wsPort: kodi.wsPort,
          mappings: 'maps',
        },
        {
          id: 'sync',
          type: 'player-sync',
          z: 'tab',
          players: [{ id: 'kodi' }],
          batchWindow: 0.01,
          timeout: 120,
          wires: [['out'], ['out']],
        },
        // The same Kodi with its WebSocket off (port 9090 closed, as is common): HTTP and polling only.
        {
          id: 'kodiHttp',
          type: 'kodi-player',
          name: 'Bench, no WebSocket',
          host: '127.0.0.1',
          httpPort: kodi.httpPort,
          wsPort: closedPort,
          mappings: 'maps',
        },
        {
          id: 'syncHttp',
          type: 'player-sync',
          z: 'tab',
          players: [{ id: 'kodiHttp' }],
          batchWindow: 0.01,
          timeout: 120,
          wires: [['outHttp'], ['outHttp']],
        },
        { id: 'outHttp', type: 'helper', z: 'tab' },
        {
          id: 'burst',
          type: 'player-sync',
          z: 'tab',
          players: [{ id: 'kodi' }],
          batchWindow: 2,
          timeout: 120,
          wires: [['out'], ['out']],
        },
        { id: 'out', type: 'helper', z: 'tab' },
        ...scanNodes,
      ],
      {
        kodi: { username: kodi.username, password: kodi.password },
        kodiHttp: { username: kodi.username, password: kodi.password },
      },
    );
    const conn = helper.getNode('kodi').connection;
    // Count what the package asks Kodi (bench instrumentation only).
    const calls = {};
    const call = conn.call.bind(conn);
    conn.call = (method, ...rest) => {
      calls[method] = (calls[method] || 0) + 1;
      return call(method, ...rest);
    };
    while (!conn.websocketUp) await new Promise((r) => setTimeout(r, 20));
    const out = helper.getNode('out');
    const outputs = (count) =>
      new Promise((resolve) => {
        const got = [];
        const on = (m) => {
          got.push({ msg: m, at: now() });
          if (got.length === count) {
            out.removeListener('input', on);
            resolve(got);
          }
        };
        out.on('input', on);
      });
    let n = 0;
    const newFolder = () => {
      const m = kodi.addMovie(`Bench New ${n++}`, 2024);
      return { libraryPath: `/library/${path.basename(m.folder)}/`, folder: m.folder };
    };

    // 1. A new movie: player-sync vs a full library scan (again at a larger library at the end).
    const newMovieRow = async (size) => {
      const syncTimes = [];
      const fullTimes = [];
      for (let i = 0; i < 3; i++) {
        const a = newFolder();
        const o = outputs(1);
        t0 = now();
        helper.getNode('sync').receive({ payload: { path: a.libraryPath, action: 'added' } });
        const [{ msg, at }] = await o;
        if (!msg.payload.ok) throw new Error(`bench: not verified: ${JSON.stringify(msg.payload)}`);
        syncTimes.push(at - t0);
        const b = newFolder();
        done = events.next('VideoLibrary.OnScanFinished');
        t0 = now();
        await kodi.rpc('VideoLibrary.Scan', { directory: '', showdialogs: false });
        await done;
        const found = await kodi.rpc('VideoLibrary.GetMovies', {
          filter: { field: 'path', operator: 'is', value: b.folder },
        });
        if (!found.movies) throw new Error('bench: the full scan did not add the movie');
        fullTimes.push(now() - t0);
      }
      rows.push([
        `1. new movie, message in → verified out (${size.toLocaleString('en')} movies)`,
        `player-sync ${fmt(median(syncTimes))}`,
        `full library scan ${fmt(median(fullTimes))}`,
        `${(median(fullTimes) / median(syncTimes)).toFixed(1)}× faster`,
      ]);
    };
    await newMovieRow(LIBRARY_SIZE);

    // 1b, 1c. Kodi's own targeted scan (request → OnScanFinished, JSON-RPC straight) as the limit, beside
    // player-sync's message → verified, with the WebSocket and without it (polling), 20 samples each.
    const own = [];
    const ours = [];
    const polling = [];
    const outputsOf = (id) =>
      new Promise((resolve) => helper.getNode(id).once('input', () => resolve(now())));
    for (let i = 0; i < 20; i++) {
      const a = newFolder();
      const finished = events.next('VideoLibrary.OnScanFinished');
      t0 = now();
      await kodi.rpc('VideoLibrary.Scan', { directory: a.folder, showdialogs: false });
      await finished;
      own.push(now() - t0);
      // A new movie comes a while after the last scan, not in the instant Kodi winds it down.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const b = newFolder();
      let o = outputsOf('out');
      t0 = now();
      // priority high: no batching window, which is the user's choice of a pause, not work
      helper.getNode('sync').receive({ payload: { path: b.libraryPath, action: 'added' }, priority: 'high' });
      ours.push((await o) - t0);
      const c = newFolder();
      o = outputsOf('outHttp');
      t0 = now();
      helper
        .getNode('syncHttp')
        .receive({ payload: { path: c.libraryPath, action: 'added' }, priority: 'high' });
      polling.push((await o) - t0);
    }
    rows.push([
      "1b. new movie (no batching window): Kodi's own scan as the limit",
      `player-sync p50 ${fmt(pct(ours, 0.5))}, p95 ${fmt(pct(ours, 0.95))}`,
      `Kodi's scan alone p50 ${fmt(pct(own, 0.5))}, p95 ${fmt(pct(own, 0.95))}`,
      `${pct(ours, 0.5) >= pct(own, 0.5) ? '+' : '−'}${fmt(Math.abs(pct(ours, 0.5) - pct(own, 0.5)))} at p50 ` +
        '(target ≤ 25 ms)',
    ]);
    rows.push([
      "1c. new movie (no batching window), Kodi's WebSocket off",
      `polling p50 ${fmt(pct(polling, 0.5))}, p95 ${fmt(pct(polling, 0.95))}`,
      `with the WebSocket p50 ${fmt(pct(ours, 0.5))}`,
      `target ≤ 300 ms p50`,
    ]);

    // 2. Completion detection: OnScanFinished → our output, beside polling every 2 s and every 100 ms.
    const eventDelays = [];
    for (let i = 0; i < 5; i++) {
      const a = newFolder();
      const finished = events.next('VideoLibrary.OnScanFinished');
      const o = outputs(1);
      helper.getNode('sync').receive({ payload: { path: a.libraryPath, action: 'added' } });
      const [{ at }] = await o;
      eventDelays.push(at - (await finished).at);
    }
    const pollDelay = async (intervalMs) => {
      const delays = [];
      for (let i = 0; i < 5; i++) {
        const a = newFolder();
        const finished = events.next('VideoLibrary.OnScanFinished');
        await kodi.rpc('VideoLibrary.Scan', { directory: a.folder, showdialogs: false });
        // a poller that only asks Library.IsScanningVideo, at its interval, starting one interval after the call
        let detectedAt;
        for (;;) {
          await new Promise((r) => setTimeout(r, intervalMs));
          const b = await kodi.rpc('XBMC.GetInfoBooleans', { booleans: ['Library.IsScanningVideo'] });
          if (!b['Library.IsScanningVideo']) {
            detectedAt = now();
            break;
          }
        }
        delays.push(detectedAt - (await finished).at);
      }
      return median(delays);
    };
    const poll2s = await pollDelay(2000);
    const poll100 = await pollDelay(100);
    rows.push([
      '2. completion detected after OnScanFinished',
      `event path ${fmt(median(eventDelays))} (incl. verification)`,
      `polling 2 s: ${fmt(poll2s)}; 100 ms: ${fmt(poll100)}`,
      `${(poll2s / median(eventDelays)).toFixed(0)}× / ${(poll100 / median(eventDelays)).toFixed(1)}×`,
    ]);

    // 3. Burst: 500 messages over 50 folders in 2 s.
    const burst = async (send) => {
      const folders = Array.from({ length: 50 }, () => newFolder());
      const mark = events.seen.length;
      t0 = now();
      const result = await send(folders);
      const seen = events.seen.slice(mark).map((e) => e.method);
      const verified = (
        await Promise.all(
          folders.map((f) =>
            kodi.rpc('VideoLibrary.GetMovies', {
              filter: { field: 'path', operator: 'is', value: f.folder },
            }),
          ),
        )
      ).filter((r) => r.movies).length;
      return {
        scans: seen.filter((m) => m === 'VideoLibrary.OnScanStarted').length,
        verified,
        ms: now() - t0,
        ...result,
      };
    };
    const withSync = await burst(async (folders) => {
      const before = calls['VideoLibrary.Scan'] || 0;
      const o = outputs(500);
      for (let i = 0; i < 500; i++) {
        helper.getNode('burst').receive({ payload: { path: folders[i % 50].libraryPath, action: 'added' } });
        await new Promise((r) => setTimeout(r, 4));
      }
      await o;
      return { calls: (calls['VideoLibrary.Scan'] || 0) - before };
    });
    // 4. Connections and memory.
    const portHex = kodi.wsPort.toString(16).toUpperCase().padStart(4, '0');
    // Established client sockets to Kodi's WebSocket port, less the bench's own notification socket.
    const sockets =
      fs
        .readFileSync('/proc/net/tcp', 'utf8')
        .split('\n')
        .filter((l) => {
          const f = l.trim().split(/\s+/);
          return f[2] !== undefined && f[2].endsWith(`:${portHex}`) && f[3] === '01';
        }).length - 1;
    // The test helper records every call of every node (sinon spies); that history is not the package's memory.
    const settle = () => {
      helper._sandbox.resetHistory();
      global.gc?.();
    };
    settle();
    const heapBefore = process.memoryUsage().heapUsed;
    const folders = Array.from({ length: 50 }, () => newFolder());
    for (let round = 0; round < 20; round++) {
      const o = outputs(500);
      for (let i = 0; i < 500; i++) {
        helper.getNode('burst').receive({ payload: { path: folders[i % 50].libraryPath, action: 'added' } });
      }
      await o;
    }
    settle();
    const heapAfter = process.memoryUsage().heapUsed;
    const memoryRow = [
      '4. connections and memory',
      `${scanNodes.length + 2} nodes on one kodi-player: ${sockets} WebSocket to Kodi`,
      `heap growth over 10,000 changes: ${((heapAfter - heapBefore) / 1048576).toFixed(1)} MB` +
        (global.gc ? '' : ' (run with --expose-gc for a settled figure)'),
      '',
    ];

    // 3, the alternative, last: one Scan call per message, as scripts do. It may overwhelm Kodi.
    let naive;
    try {
      naive = await burst(async (folders) => {
        let calls = 0;
        for (let i = 0; i < 500; i++) {
          await kodi.rpc('VideoLibrary.Scan', { directory: folders[i % 50].folder, showdialogs: false });
          calls++;
          await new Promise((r) => setTimeout(r, 4));
        }
        const b = await kodi.rpc('XBMC.GetInfoBooleans', { booleans: ['Library.IsScanningVideo'] });
        if (b['Library.IsScanningVideo']) await events.next('VideoLibrary.OnScanFinished');
        return { calls };
      });
    } catch (err) {
      naive = { failed: err.cause ? err.cause.message : err.message };
    }
    // A Scan sent while one runs stops the running one and starts nothing: calls that did not become a scan.
    rows.push([
      '3. burst: 500 messages, 50 folders, 2 s',
      `player-sync: ${withSync.calls} scan call(s), ${withSync.calls - withSync.scans} stopped, ${withSync.verified}/50 verified`,
      naive.failed
        ? `one call per message: Kodi stopped answering (${naive.failed})`
        : `one call per message: ${naive.calls} calls, ${naive.calls - naive.scans} stopped, ${naive.verified}/50 verified`,
      naive.failed ? '' : `${(naive.calls / Math.max(1, withSync.calls)).toFixed(0)}× fewer calls`,
    ]);
    rows.push(memoryRow);

    // Row 1 again with a larger library: the full scan grows with it, player-sync's targeted scan does not.
    if (GROW_TO > LIBRARY_SIZE) {
      process.stdout.write(`growing the library to ${GROW_TO} movies…\n`);
      for (let i = LIBRARY_SIZE; i < GROW_TO; i++) kodi.addMovie(`Library Movie ${i}`, 1900 + (i % 120));
      done = events.next('VideoLibrary.OnScanFinished');
      await kodi.rpc('VideoLibrary.Scan', { directory: '', showdialogs: false });
      await done;
      await newMovieRow(GROW_TO);
    }
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
    events.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  } finally {
    await kodi.stop();
  }
}

const SECTIONS = {
  kodi: kodiRows,
  servers: async (rows) => rows.push(...(await serverRows()), ...(await plexRows())),
  store: async (rows) => rows.push(...(await storeRows())),
  watch: async (rows) => rows.push(...(await watchRows())),
  reconcile: async (rows) => rows.push(...(await reconcileRows())),
  library: async (rows) => rows.push(...(await libraryRows())),
  board: async (rows) => rows.push(...(await boardRows())),
};

/** `npm run bench` runs every section; `npm run bench -- store` (or kodi, servers, watch, reconcile, library, board) runs the ones named. */
async function main() {
  const started = now();
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in SECTIONS));
  if (unknown.length > 0)
    throw new Error(`no bench section ${unknown.join(', ')}: use ${Object.keys(SECTIONS).join(', ')}`);
  const rows = [];
  for (const [name, run] of Object.entries(SECTIONS)) {
    if (asked.length === 0 || asked.includes(name)) await run(rows);
  }
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c].length), 8));
  const line = (r) => r.map((cell, i) => cell.padEnd(widths[i])).join(' | ');
  const what = asked.length > 0 ? asked.join(', ') : Object.keys(SECTIONS).join(', ');
  process.stdout.write(
    `\nplayer-sync benchmark (${what}${what.includes('kodi') ? `; Kodi library ${LIBRARY_SIZE} movies` : ''}; ${fmt(now() - started)} in all)\n\n`,
  );
  process.stdout.write(line(['benchmark', 'player-sync', 'alternative', 'ratio']) + '\n');
  process.stdout.write(widths.map((w) => '-'.repeat(w)).join('-|-') + '\n');
  for (const r of rows) process.stdout.write(line(r) + '\n');
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
