// npm run bench -- servers: Jellyfin through its simulator with the server's default library monitor delay (60 s):
// a new movie verified with the "immediate" refresh beside the "gentle" one (Media/Updated, which Jellyfin acts on
// only after that delay), through jellyfin-refresh in a Node-RED flow.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { JellyfinSim } = require('../test/sim/jellyfin-sim');
const { PlexSim } = require('../test/sim/plex-sim');

const MONITOR_DELAY_MS = Number(process.env.BENCH_JELLYFIN_DELAY_MS || 60000);
const now = () => Number(process.hrtime.bigint() / 1000n) / 1000; // ms
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

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
      if (msg.payload.status !== 'verified') throw new Error(`bench: ${id}: ${JSON.stringify(msg.payload)}`);
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

/**
 * Plex (simulator): how long after the simulator's "refresh ended" plex-refresh gives its result, with the
 * notification socket beside polling every 2 s (a server whose socket is off).
 */
async function plexRows() {
  const types = ['plex-server', 'path-mappings', 'plex-refresh'].map((t) => require(`../nodes/${t}.js`));
  const withSocket = await new PlexSim({ scanMs: 150 }).start();
  const withoutSocket = await new PlexSim({ scanMs: 150 }).start();
  withoutSocket.socketMode = 'off';
  for (const sim of [withSocket, withoutSocket]) {
    sim.addSection('Movies', 'movie', ['/media/movies']);
    for (let i = 0; i < 200; i++) sim.addItem(`/media/movies/Old ${i} (2000)/Old ${i}.mkv`, `Old ${i}`);
  }
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-bench-plex-'));
  await new Promise((resolve) => helper.startServer(resolve));
  helper.settings({ userDir });
  try {
    const server = (id, sim) => ({
      id,
      type: 'plex-server',
      name: `Bench ${id}`, // never a node's id as a value: Node-RED would take it for a reference
      url: sim.url,
      clientId: `bench-client-${id}`,
      mappings: 'maps',
    });
    const refresh = (id, plex) => ({
      id,
      type: 'plex-refresh',
      z: 'tab',
      plex,
      timeout: 60,
      pollInterval: 2,
      wires: [[`${id}-out`], [`${id}-out`]],
    });
    await helper.load(
      types,
      [
        { id: 'tab', type: 'tab' },
        { id: 'maps', type: 'path-mappings', rules: [{ from: '/library', to: '/media' }] },
        server('plex-ws', withSocket),
        server('plex-poll', withoutSocket),
        refresh('by-event', 'plex-ws'),
        refresh('by-polling', 'plex-poll'),
        { id: 'by-event-out', type: 'helper', z: 'tab' },
        { id: 'by-polling-out', type: 'helper', z: 'tab' },
      ],
      { 'plex-ws': { token: withSocket.token }, 'plex-poll': { token: withoutSocket.token } },
    );
    let n = 0;
    /** From the simulator's end of the refresh to plex-refresh's verified result. */
    const detection = async (id, sim) => {
      const name = `New ${n++} (2024)`;
      sim.addFile(`/media/movies/${name}/${name}.mkv`, name);
      const out = new Promise((resolve) =>
        helper.getNode(`${id}-out`).once('input', (msg) => resolve([msg, now()])),
      );
      helper.getNode(id).receive({ payload: `/library/movies/${name}/` });
      const [msg, at] = await out;
      if (msg.payload.status !== 'verified') throw new Error(`bench: ${id}: ${JSON.stringify(msg.payload)}`);
      return { ms: at - (sim.refreshEndedAt - Date.now() + now()), completion: msg.payload.completion };
    };
    // The socket opens with the first flow node: wait for it.
    while (!helper.getNode('plex-ws').socket.up) await new Promise((resolve) => setTimeout(resolve, 20));
    const event = [];
    const polling = [];
    for (let i = 0; i < 20; i++) {
      const e = await detection('by-event', withSocket);
      if (e.completion !== 'event')
        throw new Error(`bench: expected completion by event, got ${e.completion}`);
      event.push(e.ms);
    }
    for (let i = 0; i < 10; i++) polling.push((await detection('by-polling', withoutSocket)).ms);
    // What player-sync did before the socket: ask the section's refreshing flag every 2 s.
    const every2s = [];
    for (let i = 0; i < 5; i++) {
      const name = `Polled ${i} (2024)`;
      withoutSocket.addFile(`/media/movies/${name}/${name}.mkv`, name);
      const headers = { 'X-Plex-Token': withoutSocket.token, Accept: 'application/json' };
      const folder = encodeURIComponent(`/media/movies/${name}/`);
      await fetch(`${withoutSocket.url}/library/sections/1/refresh?path=${folder}`, { headers });
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const body = await (await fetch(`${withoutSocket.url}/library/sections`, { headers })).json();
        if (!body.MediaContainer.Directory[0].refreshing) break;
      }
      every2s.push(Date.now() - withoutSocket.refreshEndedAt);
    }
    return [
      [
        '11. Plex (simulator): result after the refresh ended',
        `notification socket p50 ${fmt(pct(event, 0.5))}, p95 ${fmt(pct(event, 0.95))}`,
        `polling every 2 s (before): p50 ${fmt(pct(every2s, 0.5))}; without the socket now (from 100 ms): ` +
          `p50 ${fmt(pct(polling, 0.5))}`,
        `${(pct(every2s, 0.5) / pct(event, 0.5)).toFixed(0)}× at p50 (target ≤ 50 ms p95)`,
      ],
    ];
  } finally {
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
    await withSocket.stop();
    await withoutSocket.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

module.exports = { serverRows, plexRows };
