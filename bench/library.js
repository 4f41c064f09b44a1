// npm run bench -- library: library-changes against the Plex and Jellyfin simulators with 20,000 items each. The
// first run (every item added) at several page sizes: its requests, time, and the heap it needs while listing over
// what it keeps for the next run (the fingerprints), beside the whole library asked for in one answer (what a tool
// without paging must hold at once). Then, after three changes, an incremental run (what changed since the last
// run, plus each section's count) beside a deep one (every item listed and compared).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PlexSim } = require('../test/sim/plex-sim');
const { JellyfinSim } = require('../test/sim/jellyfin-sim');

const COUNT = Number(process.env.BENCH_LIBRARY_ITEMS || 20000);
const PAGE_SIZES = [100, 500, 2000];
const now = () => Number(process.hrtime.bigint() / 1000n) / 1000; // ms
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** The heap in use now, after a collection where node runs with --expose-gc (npm run bench does). */
function heap() {
  if (global.gc) global.gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Runs `work`, sampling the live heap (collected before each look, so garbage not yet collected does not count);
 * resolves with its time and its heap peak above the start. The collections slow both sides alike.
 */
async function measured(work) {
  const before = heap();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, heap());
  }, 25);
  const t0 = now();
  const value = await work();
  const ms = now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, heap());
  return { ms, heapPeak: peak - before, peak, value };
}

const SERVERS = {
  Plex: {
    async start() {
      const sim = await new PlexSim().start();
      sim.addMovies(COUNT - 2000, { folder: '/plex/movies' });
      sim.addEpisodes(2000, { folder: '/plex/tv' });
      // A library that grew over time: one item a minute, the newest a day old.
      sim.items.forEach((item, i) => {
        item.addedAt = item.updatedAt = sim.bornAt - 86400 - (sim.items.length - i) * 60;
      });
      return sim;
    },
    change(sim) {
      sim.touch(sim.items[10].ratingKey);
      sim.touch(sim.items[20].ratingKey, { file: '/plex/movies/Replaced/Replaced.mkv' });
      sim.addItem('/plex/movies/Newcomer (2026)/Newcomer (2026).mkv', 'Newcomer');
    },
    /** The whole library in one answer per section, as a tool without paging asks for it. */
    async unpaged(sim) {
      let items = 0;
      let bytes = 0;
      for (const [key, type] of [
        ['1', 1],
        ['2', 4],
      ]) {
        const res = await fetch(`${sim.url}/library/sections/${key}/all?type=${type}`, {
          headers: { Accept: 'application/json', 'X-Plex-Token': sim.token },
        });
        const text = await res.text();
        bytes += Buffer.byteLength(text);
        items += JSON.parse(text).MediaContainer.Metadata.length;
      }
      return { items, bytes };
    },
  },
  Jellyfin: {
    async start() {
      const sim = await new JellyfinSim().start();
      sim.addMovies(COUNT - 2000, { folder: '/jf/movies' });
      sim.addEpisodes(2000, { folder: '/jf/tv' });
      return sim;
    },
    change(sim) {
      sim.touch(sim.items[10].Id);
      sim.touch(sim.items[20].Id, { path: '/jf/movies/Replaced/Replaced.mkv' });
      sim.addItem('/jf/movies/Newcomer (2026)/Newcomer (2026).mkv', 'Newcomer');
    },
    async unpaged(sim) {
      const res = await fetch(
        `${sim.url}/Items?Recursive=true&IncludeItemTypes=Movie,Episode&Fields=Path,DateCreated,Etag`,
        { headers: { Authorization: `MediaBrowser Token="${sim.apiKey}"` } },
      );
      const text = await res.text();
      return { items: JSON.parse(text).Items.length, bytes: Buffer.byteLength(text) };
    },
  },
};

/**
 * One library-changes run as the node makes it (the feed, the comparison, the store), without Node-RED: the test
 * helper's spies keep every message a flow sends, which would be measured instead of the node.
 */
function runner(feedOf, sim, userDir) {
  const { Store } = require('../nodes/sync/store');
  const { LibraryChanges, checkFingerprint, checkMark } = require('../nodes/sync/library-changes');
  let serial = 0;
  return async (options = {}, { fresh = false, sample = false } = {}) => {
    const name = fresh ? `bench-${++serial}` : `bench-${serial}`;
    const store = new Store(userDir);
    const items = store.collection(`${name}-items`, checkFingerprint);
    const marks = store.collection(`${name}-marks`, checkMark);
    items.load();
    marks.load();
    const lc = new LibraryChanges(feedOf(sim), items, marks, { toLibrary: (p) => p });
    let changes = 0;
    const before = sim.log.length;
    const work = () =>
      lc.run({
        pageSize: 500,
        ...options,
        onChanges: (page) => {
          changes += page.length;
        },
      });
    const m = sample ? await measured(work) : await timed(work);
    // The heap at the end, with the store still open: what the listing needed beyond it is the peak above this.
    const working = sample ? m.peak - heap() : 0;
    const kept = items.report().liveBytes;
    await Promise.all([items.close(), marks.close()]);
    return { ...m, requests: sim.log.length - before, changes, kept, working };
  };
}

async function timed(work) {
  const t0 = now();
  const value = await work();
  return { ms: now() - t0, value };
}

async function libraryRows() {
  const { PlexClient } = require('../nodes/players/plex/client');
  const { plexLibraryFeed } = require('../nodes/players/plex/library-feed');
  const { JellyfinClient } = require('../nodes/players/jellyfin/client');
  const { jellyfinLibraryFeed } = require('../nodes/players/jellyfin/library-feed');
  const feeds = {
    Plex: (sim) =>
      plexLibraryFeed(new PlexClient({ name: 'bench', url: sim.url, token: sim.token, clientId: 'bench' })),
    Jellyfin: (sim) =>
      jellyfinLibraryFeed(
        new JellyfinClient({
          name: 'bench',
          url: sim.url,
          apiKey: sim.apiKey,
          server: 'jellyfin',
          deviceId: 'bench',
        }),
      ),
  };
  const rows = [];
  const n = COUNT.toLocaleString('en');
  for (const [name, server] of Object.entries(SERVERS)) {
    const sim = await server.start();
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-bench-library-'));
    try {
      const run = runner(feeds[name], sim, userDir);
      // The whole library in one answer, as a tool without paging asks for it: at least that much is held at once.
      const whole = await server.unpaged(sim);
      await run({}, { fresh: true, sample: true }); // a first pass warms the process up; not counted
      for (const size of PAGE_SIZES) {
        const timing = await run({ pageSize: size }, { fresh: true });
        const memory = await run({ pageSize: size }, { fresh: true, sample: true });
        rows.push([
          `19. ${name} ${n} items, first run, page ${size}`,
          `${timing.changes} added, ${timing.requests} requests, ${fmt(timing.ms)}; heap while listing +${mb(memory.working)} over the end of the run (fingerprints kept: ${mb(memory.kept)} on disk)`,
          `the library in one answer: ${whole.items} items, ${mb(whole.bytes)} of JSON held at once`,
          `${Math.round(whole.bytes / Math.max(memory.working, 1))}× less`,
        ]);
      }
      // The last store (page 2000) is the one the later runs compare with.
      server.change(sim);
      const incremental = await run();
      const deep = await run({ deep: true });
      rows.push([
        `20. ${name} after 3 changes, page 500: incremental`,
        `${incremental.changes} changes, ${incremental.requests} requests, ${fmt(incremental.ms)}`,
        `deep (every item compared): ${deep.changes} changes, ${deep.requests} requests, ${fmt(deep.ms)}`,
        `${Math.round(deep.requests / Math.max(incremental.requests, 1))}× fewer requests`,
      ]);
    } finally {
      await sim.stop();
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  }
  return rows;
}

module.exports = { libraryRows };
