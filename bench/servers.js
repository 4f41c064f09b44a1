// npm run bench -- servers: Jellyfin through its simulator with the server's default library monitor delay (60 s):
// a new movie verified with the "immediate" refresh beside the "gentle" one (Media/Updated, which Jellyfin acts on
// only after that delay), through jellyfin-refresh in a Node-RED flow.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { JellyfinSim } = require('../test/sim/jellyfin-sim');

const MONITOR_DELAY_MS = Number(process.env.BENCH_JELLYFIN_DELAY_MS || 60000);
const now = () => Number(process.hrtime.bigint() / 1000n) / 1000; // ms
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function serverRows() {
  const types = ['jellyfin-server', 'path-mappings', 'jellyfin-refresh'].map((t) =>
    require(`../nodes/${t}.js`),
  );
  const sim = await new JellyfinSim({ monitorDelayMs: MONITOR_DELAY_MS }).start();
  sim.addLibrary('Movies', 'movies', ['/media/movies']);
  for (let i = 0; i < 500; i++) sim.addItem(`/media/movies/Old ${i} (2000)/Old ${i}.mkv`, `Old ${i}`);
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-bench-servers-'));
  await new Promise((resolve) => helper.startServer(resolve));
  helper.settings({ userDir });
  try {
    const refresh = (id, mode) => ({
      id,
      type: 'jellyfin-refresh',
      z: 'tab',
      jellyfin: 'jf',
      mode,
      timeout: (MONITOR_DELAY_MS + 60000) / 1000,
      wires: [[`${id}-out`], [`${id}-out`]],
    });
    await helper.load(
      types,
      [
        { id: 'tab', type: 'tab' },
        { id: 'maps', type: 'path-mappings', rules: [{ from: '/library', to: '/media' }] },
        { id: 'jf', type: 'jellyfin-server', name: 'Bench', url: sim.url, mappings: 'maps' },
        // (ids unlike any setting's value: Node-RED takes a value equal to a node's id for a reference to it)
        refresh('refresh-now', 'immediate'),
        refresh('refresh-gentle', 'path'),
        { id: 'refresh-now-out', type: 'helper', z: 'tab' },
        { id: 'refresh-gentle-out', type: 'helper', z: 'tab' },
      ],
      { jf: { apiKey: sim.apiKey } },
    );
    let n = 0;
    const newMovie = async (id) => {
      const name = `New ${n++} (2024)`;
      sim.addFile(`/media/movies/${name}/${name}.mkv`, name);
      const out = new Promise((resolve) => helper.getNode(`${id}-out`).once('input', resolve));
      const t0 = now();
      helper.getNode(id).receive({ payload: `/library/movies/${name}/` });
      const msg = await out;
      if (msg.payload.status !== 'verified')
        throw new Error(`bench: ${id}: ${JSON.stringify(msg.payload)}`);
      return now() - t0;
    };
    const immediate = [];
    for (let i = 0; i < 5; i++) immediate.push(await newMovie('refresh-now'));
    process.stdout.write(
      `Jellyfin gentle mode: waiting out the simulated ${MONITOR_DELAY_MS / 1000} s monitor delay…\n`,
    );
    const gentle = await newMovie('refresh-gentle');
    return [
      [
        `10. Jellyfin (simulator, ${MONITOR_DELAY_MS / 1000} s monitor delay): new movie verified`,
        `immediate ${fmt(median(immediate))} (p50 of 5)`,
        `gentle (Media/Updated) ${fmt(gentle)}`,
        `${(gentle / median(immediate)).toFixed(0)}× (target ≤ 2 s, ≥ 30×)`,
      ],
    ];
  } finally {
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
    await sim.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

module.exports = { serverRows };
