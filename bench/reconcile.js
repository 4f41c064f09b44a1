// npm run bench -- reconcile: watched-sync's first sync of two players with 5,000 movies each (Kodi and Jellyfin
// simulators; one in ten watched on Kodi, one in seven on Jellyfin), through a real flow: the requests, the time and
// the heap it takes, beside the one-request-per-item approach (each Kodi movie's user data asked of Jellyfin by its
// id: the kindest case for that approach, which still needs one request per item and cannot find items by path).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { KodiSim } = require('../test/sim/kodi-sim');
const { JellyfinSim } = require('../test/sim/jellyfin-sim');

const COUNT = Number(process.env.BENCH_RECONCILE_ITEMS || 5000);
const now = () => Number(process.hrtime.bigint() / 1000n) / 1000; // ms
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** The heap in use now, after a collection where node runs with --expose-gc (npm run bench does). */
function heap() {
  if (global.gc) global.gc();
  return process.memoryUsage().heapUsed;
}

async function reconcileRows() {
  const types = ['kodi-player', 'jellyfin-server', 'path-mappings', 'watched-sync'].map((t) =>
    require(`../nodes/${t}.js`),
  );
  const kodi = await new KodiSim().start();
  const jellyfin = await new JellyfinSim().start();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-bench-reconcile-'));
  await new Promise((resolve) => helper.startServer(resolve));
  helper.settings({ userDir });
  try {
    kodi.addMovies(COUNT, { folder: '/kodi/movies', watchedEvery: 10 });
    jellyfin.addLibrary('Movies', 'movies', ['/jf/movies']);
    const anna = jellyfin.addUser('anna');
    jellyfin.addMovies(COUNT, { folder: '/jf/movies', userId: anna.Id, watchedEvery: 7 });
    await helper.load(
      types,
      [
        { id: 'tab', type: 'tab' },
        { id: 'kodi-maps', type: 'path-mappings', rules: [{ from: '/movies', to: '/kodi/movies' }] },
        { id: 'jf-maps', type: 'path-mappings', rules: [{ from: '/movies', to: '/jf/movies' }] },
        {
          id: 'k',
          type: 'kodi-player',
          name: 'Kodi',
          host: '127.0.0.1',
          httpPort: kodi.httpPort,
          wsPort: kodi.wsPort,
          mappings: 'kodi-maps',
        },
        { id: 'j', type: 'jellyfin-server', name: 'Jellyfin', url: jellyfin.url, mappings: 'jf-maps' },
        {
          id: 'reconciler',
          type: 'watched-sync',
          z: 'tab',
          players: [{ id: 'k' }, { id: 'j', users: 'anna' }],
          wires: [['reconciled'], []],
        },
        { id: 'reconciled', type: 'helper', z: 'tab' },
      ],
      { k: { username: kodi.username, password: kodi.password }, j: { apiKey: jellyfin.apiKey } },
    );
    const run = async (apply) => {
      const kodiBefore = kodi.requests.length;
      const jfBefore = jellyfin.log.length;
      const heapBefore = heap();
      let peak = heapBefore;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }, 5);
      const out = new Promise((resolve) => helper.getNode('reconciled').once('input', resolve));
      const t0 = now();
      helper.getNode('reconciler').receive({ topic: 'reconcile', payload: { user: 'anna', apply } });
      const msg = await out;
      const ms = now() - t0;
      clearInterval(sampler);
      return {
        ms,
        requests: kodi.requests.length - kodiBefore + (jellyfin.log.length - jfBefore),
        heapPeak: peak - heapBefore,
        report: msg.payload,
      };
    };
    const dry = await run(false);
    const applied = await run(true);
    const after = await run(false);

    // The one-request-per-item approach, most kindly: Jellyfin's id of each Kodi movie known beforehand, one user-data
    // request each.
    const ids = jellyfin.items.filter((i) => i.Type === 'Movie').map((i) => i.Id);
    const t0 = now();
    for (const id of ids) {
      const res = await fetch(`${jellyfin.url}/UserItems/${id}/UserData?userId=${anna.Id}`, {
        headers: { Authorization: `MediaBrowser Token="${jellyfin.apiKey}"` },
      });
      await res.json();
    }
    const naiveMs = now() - t0;
    const n = COUNT.toLocaleString('en');
    return [
      [
        `17. reconcile Kodi ↔ Jellyfin, ${n} movies each (dry run)`,
        `${dry.requests} requests, ${fmt(dry.ms)}, heap peak +${mb(dry.heapPeak)}; ${dry.report.differences.length} differ`,
        `one request per item: ${ids.length} requests, ${fmt(naiveMs)}`,
        `${Math.round(ids.length / dry.requests)}× fewer requests`,
      ],
      [
        `18. the same, applied (played wins)`,
        `${applied.requests} requests (listing + read, write, read back per difference), ${fmt(applied.ms)}`,
        `then again: ${after.report.differences.length} differ`,
        `${applied.report.applied.filter((r) => r.status === 'verified').length} verified`,
      ],
    ];
  } finally {
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
    await kodi.stop();
    await jellyfin.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

module.exports = { reconcileRows };
