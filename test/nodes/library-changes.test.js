'use strict';
// library-changes through a real flow against the Kodi, Jellyfin and Plex simulators, 20,000 items each: the first
// run reports every item as added, page by page (no request asks for more than a page); a second run after three
// changes reports exactly those three; a removed item is reported with its paths; a file missing on this machine
// is flagged; a refused token stops the run with a clear error; a server that fails for a while is tried again.
const should = require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, nodes, lastStatus } = require('../lib/nodes');
const { KodiSim } = require('../sim/kodi-sim');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');
const { until } = require('../lib/wait');

const ITEMS = 20_000;

/** Per server: its simulator with ITEMS items, its config node, and how to change, add and remove an item. */
const SERVERS = {
  plex: {
    async start() {
      const sim = await new PlexSim().start();
      sim.addMovies(ITEMS - 500, { folder: '/plex/movies' });
      sim.addEpisodes(500, { folder: '/plex/tv' });
      return sim;
    },
    config: (sim) => ({ type: 'plex-server', name: 'Attic', url: sim.url, clientId: 'c', mappings: 'maps' }),
    creds: (sim) => ({ token: sim.token }),
    rules: [{ from: '/movies', to: '/plex/movies' }],
    touch: (sim, n) => sim.touch(sim.items[n].ratingKey),
    replace: (sim, n, file) => sim.touch(sim.items[n].ratingKey, { file }),
    add: (sim, file, title) => sim.addItem(file, title),
    remove: (sim, n) => sim.removeItem(sim.items[n].ratingKey),
    pageSizes: (sim) =>
      sim.log
        .filter((r) => /\/all$/.test(r.path) && r.headers['x-plex-container-size'] !== '0')
        .map((r) => Number(r.headers['x-plex-container-size'])),
    unpaged: (sim) => sim.unpagedListings || 0,
    idOf: (sim, n) => sim.items[n].ratingKey,
    titleOf: (sim, n) => sim.items[n].title,
    deadToken: (sim) => {
      sim.token = 'another-token';
    },
  },
  jellyfin: {
    async start() {
      const sim = await new JellyfinSim().start();
      sim.addMovies(ITEMS - 500, { folder: '/jf/movies' });
      sim.addEpisodes(500, { folder: '/jf/tv' });
      return sim;
    },
    config: (sim) => ({ type: 'jellyfin-server', name: 'Jelly', url: sim.url, mappings: 'maps' }),
    creds: (sim) => ({ apiKey: sim.apiKey }),
    rules: [{ from: '/movies', to: '/jf/movies' }],
    touch: (sim, n) => sim.touch(sim.items[n].Id),
    replace: (sim, n, file) => sim.touch(sim.items[n].Id, { path: file }),
    add: (sim, file, title) => sim.addItem(file, title),
    remove: (sim, n) => sim.removeItem(sim.items[n].Id),
    pageSizes: (sim) =>
      sim.log.filter((r) => r.path === '/Items' && r.query.Limit !== '0').map((r) => Number(r.query.Limit)),
    unpaged: (sim) => sim.unpagedListings || 0,
    idOf: (sim, n) => sim.items[n].Id,
    titleOf: (sim, n) => sim.items[n].Name,
    deadToken: (sim) => {
      sim.apiKey = 'another-key';
    },
  },
  kodi: {
    async start() {
      const sim = await new KodiSim().start();
      sim.addMovies(ITEMS - 500, { folder: '/kodi/movies' });
      sim.addEpisodes(500, { folder: '/kodi/tv' });
      for (const item of sim.items) item.dateadded = '2024-01-01 20:00:00';
      return sim;
    },
    config: (sim) => ({
      type: 'kodi-player',
      name: 'Den',
      host: '127.0.0.1',
      httpPort: sim.httpPort,
      wsPort: sim.wsPort,
      mappings: 'maps',
    }),
    creds: (sim) => ({ username: sim.username, password: sim.password }),
    rules: [{ from: '/movies', to: '/kodi/movies' }],
    // Kodi has no "last modified": a change shows in the title, the play count or dateadded.
    touch: (sim, n) => {
      sim.items[n].playcount = (sim.items[n].playcount || 0) + 1;
    },
    replace: (sim, n, file) => {
      sim.items[n].file = file;
      sim.items[n].dateadded = '2026-12-01 10:00:00';
    },
    add: (sim, file, title) => {
      sim.items.push({ type: 'movie', id: sim.nextId++, title, file, dateadded: '2026-12-01 10:00:00' });
    },
    remove: (sim, n) => sim.items.splice(n, 1)[0],
    pageSizes: (sim) =>
      sim.requests
        .filter(
          (c) =>
            /^VideoLibrary\.Get(Movies|Episodes)$/.test(c.method) &&
            c.params.limits.end - c.params.limits.start > 1,
        )
        .map((c) => c.params.limits.end - c.params.limits.start),
    unpaged: (sim) =>
      sim.requests.filter((c) => /^VideoLibrary\.Get(Movies|Episodes)$/.test(c.method) && !c.params.limits)
        .length,
    idOf: (sim, n) => String(sim.items[n].id),
    titleOf: (sim, n) => sim.items[n].title,
    deadToken: undefined,
  },
};

describe('library-changes (flows against the simulators)', function () {
  this.timeout(120_000);
  let userDir;
  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-library-'));
    helper.settings({ userDir, playerSync: { libraryBackoff: { firstMs: 20, maxMs: 80, attempts: 4 } } });
  });
  afterEach(async function () {
    await helper.unload();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const load = (server, sim, settings = {}, rules = server.rules) =>
    helper.load(
      [nodes.kodiPlayer, nodes.jellyfinServer, nodes.plexServer, nodes.pathMappings, nodes.libraryChanges],
      [
        { id: 'tab', type: 'tab' },
        { id: 'maps', type: 'path-mappings', rules },
        { id: 'server', ...server.config(sim) },
        {
          id: 'changes',
          type: 'library-changes',
          z: 'tab',
          playerType: server.config(sim).type.split('-')[0],
          kodi: 'server',
          jellyfin: 'server',
          plex: 'server',
          pageSize: 500,
          wires: [['out'], ['summary']],
          ...settings,
        },
        { id: 'out', type: 'helper', z: 'tab' },
        { id: 'summary', type: 'helper', z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ],
      { server: server.creds(sim) },
    );

  /** Sends a message in and resolves with what came out: the changes, the run's summary message or the error. */
  function runOnce(msg = {}) {
    const changes = [];
    return new Promise((resolve, reject) => {
      const out = helper.getNode('out');
      const summary = helper.getNode('summary');
      const caught = helper.getNode('caught');
      const onOut = (m) => {
        if (Array.isArray(m.payload)) changes.push(...m.payload);
        else changes.push(m.payload);
      };
      const finish = (value, err) => {
        out.removeListener('input', onOut);
        summary.removeListener('input', onSummary);
        caught.removeListener('input', onCaught);
        if (err) reject(err);
        else resolve(value);
      };
      const onSummary = (m) => finish({ changes, summary: m });
      const onCaught = (m) => finish({ changes, error: m.error });
      out.on('input', onOut);
      summary.on('input', onSummary);
      caught.on('input', onCaught);
      helper.getNode('changes').receive({ topic: 'run', ...msg });
    });
  }

  for (const [kind, server] of Object.entries(SERVERS)) {
    describe(kind, function () {
      let sim;
      beforeEach(async function () {
        sim = await server.start();
      });
      afterEach(async function () {
        await sim.stop();
      });

      it(`reports ${ITEMS.toLocaleString('en-US')} items as added page by page, then exactly three changes, a removal and a deep scan`, async function () {
        await load(server, sim, { output: kind === 'jellyfin' ? 'summary' : 'each' });
        const first = await runOnce();
        should.not.exist(first.error);
        first.changes.length.should.equal(ITEMS);
        first.changes.every((c) => c.change === 'added').should.be.true();
        first.summary.payload.should.containDeep({ added: ITEMS, updated: 0, removed: 0, deep: false });
        first.summary.topic.should.equal('library-changes');
        first.summary.player.should.containDeep({ type: kind });
        // Bounded: every listing asked for one page of 500 at most, none for the whole library.
        const sizes = server.pageSizes(sim);
        sizes.length.should.be.aboveOrEqual(ITEMS / 500);
        Math.max(...sizes).should.equal(500);
        server.unpaged(sim).should.equal(0);
        lastStatus(helper.getNode('changes')).should.containDeep({ fill: 'green', shape: 'dot' });
        // A change shows the player's path and the library path (the mappings backwards).
        const movie = first.changes.find((c) => c.type === 'movie' && c.playerPath.includes('/movies/'));
        movie.libraryPath.should.startWith('/movies/');
        movie.file.should.equal('missing-locally');

        server.touch(sim, 10);
        server.replace(sim, 20, `${server.rules[0].to}/Replaced (2001)/Replaced (2001).mkv`);
        server.add(sim, `${server.rules[0].to}/Newcomer (2026)/Newcomer (2026).mkv`, 'Newcomer');
        const second = await runOnce();
        second.changes
          .map((c) => `${c.change} ${c.title}`)
          .sort()
          .should.eql(
            [
              `added Newcomer`,
              `updated ${server.titleOf(sim, 10)}`,
              `updated ${server.titleOf(sim, 20)}`,
            ].sort(),
          );
        second.changes
          .find((c) => c.title === server.titleOf(sim, 20))
          .libraryPath.should.equal('/movies/Replaced (2001)/Replaced (2001).mkv');

        const removedId = server.idOf(sim, 30);
        const removedTitle = server.titleOf(sim, 30);
        server.remove(sim, 30);
        const third = await runOnce();
        third.changes.should.have.length(1);
        third.changes[0].should.containDeep({
          change: 'removed',
          id: removedId,
          title: removedTitle,
          file: 'gone',
        });
        third.changes[0].libraryPath.should.startWith('/movies/');

        const deep = await runOnce({ deep: true });
        deep.changes.should.eql([]);
        deep.summary.payload.deep.should.be.true();
        deep.summary.payload.sections.every((s) => s.mode === 'deep').should.be.true();

        // A quiet run: where the server lists what changed since a point in its time (Plex, Jellyfin), a few
        // requests (the sections, then per section a page of changes and a count); Kodi is listed in full.
        const quiet = await runOnce();
        quiet.changes.should.eql([]);
        const { requests, sections } = quiet.summary.payload;
        if (kind === 'kodi') {
          requests.should.be.aboveOrEqual(ITEMS / 500);
          sections.every((s) => s.mode === 'full').should.be.true();
        } else {
          sections.every((s) => s.mode === 'incremental').should.be.true();
          requests.should.equal(1 + 2 * sections.length);
        }
      });

      // (Kodi's listing goes over its WebSocket, which takes no credential.)
      if (server.deadToken)
        it('stops with a clear error when the credential is refused', async function () {
          await load(server, sim, { output: 'summary' });
          (await runOnce()).changes.length.should.equal(ITEMS);
          server.deadToken(sim);
          const refused = await runOnce();
          refused.error.message.should.match(/401|refused|password|token|key/i);
          refused.error.message.should.match(/config node|deploy/i);
          lastStatus(helper.getNode('changes')).should.containDeep({ fill: 'red', shape: 'ring' });
        });
    });
  }

  it('flags a file missing on this machine and passes one that is there', async function () {
    const sim = await new PlexSim().start();
    try {
      const local = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-media-'));
      fs.mkdirSync(path.join(local, 'Here (2000)'));
      fs.writeFileSync(path.join(local, 'Here (2000)', 'Here (2000).mkv'), '');
      sim.addSection('Movies', 'movie', ['/plex/movies']);
      sim.addItem('/plex/movies/Here (2000)/Here (2000).mkv', 'Here');
      sim.addItem('/plex/movies/Gone (2000)/Gone (2000).mkv', 'Gone');
      await load(SERVERS.plex, sim, {}, [{ from: local, to: '/plex/movies' }]);
      const { changes } = await runOnce();
      changes
        .map((c) => `${c.title} ${c.file} ${c.libraryPath}`)
        .sort()
        .should.eql([
          `Gone missing-locally ${local}/Gone (2000)/Gone (2000).mkv`,
          `Here present ${local}/Here (2000)/Here (2000).mkv`,
        ]);
      fs.rmSync(local, { recursive: true, force: true });
    } finally {
      await sim.stop();
    }
  });

  it('tries a server that fails for a while again, with the wait in its status, then finishes', async function () {
    const sim = await new PlexSim().start();
    try {
      sim.addMovies(50);
      let failures = 2;
      sim.intercept = (req, res) => {
        if (req.path.endsWith('/all') && failures > 0) {
          failures--;
          res.writeHead(503).end();
          return true;
        }
        return false;
      };
      await load(SERVERS.plex, sim);
      const statuses = [];
      helper.getNode('changes').on('call:status', (call) => statuses.push(call.args[0]));
      const { changes, summary } = await runOnce();
      changes.length.should.equal(50);
      failures.should.equal(0);
      summary.payload.requests.should.equal(1 + 1 + 2); // sections, one page, two tries that failed
      statuses.some((s) => s.fill === 'yellow' && /retry in/.test(s.text)).should.be.true();
    } finally {
      await sim.stop();
    }
  });

  it('Kodi: a new year (or episode number), which the change messages carry, is a change', async function () {
    const sim = await new KodiSim().start();
    try {
      const [movie] = sim.addMovies(2);
      const [episode] = sim.addEpisodes(2);
      await load(SERVERS.kodi, sim);
      (await runOnce()).changes.length.should.equal(4);
      movie.year = 1999;
      episode.episode = 7;
      const { changes } = await runOnce();
      changes
        .map((c) => `${c.change} ${c.title} ${c.year ?? c.episode}`)
        .sort()
        .should.eql([`updated ${episode.title} 7`, `updated ${movie.title} 1999`]);
    } finally {
      await sim.stop();
    }
  });

  it('answers bad input with an error naming the fix, and keeps working', async function () {
    const sim = await new PlexSim().start();
    try {
      sim.addMovies(3);
      await load(SERVERS.plex, sim);
      (await runOnce({ pageSize: 0 })).error.message.should.match(/msg\.pageSize must be a whole number/);
      (await runOnce({ deep: 'yes' })).error.message.should.match(/msg\.deep must be true or false/);
      (await runOnce()).changes.length.should.equal(3);
    } finally {
      await sim.stop();
    }
  });

  it('runs on its schedule from the start, and keeps its fingerprints across a redeploy', async function () {
    const sim = await new PlexSim().start();
    try {
      sim.addMovies(30);
      const summaries = [];
      await load(SERVERS.plex, sim, { interval: 60 });
      helper.getNode('summary').on('input', (m) => summaries.push(m));
      await until(() => summaries.length === 1, 'the first scheduled run');
      summaries[0].payload.added.should.equal(30);
      await helper.unload();
      sim.touch(sim.items[0].ratingKey);
      await load(SERVERS.plex, sim);
      const { changes } = await runOnce();
      changes.map((c) => `${c.change} ${c.title}`).should.eql([`updated ${sim.items[0].title}`]);
    } finally {
      await sim.stop();
    }
  });
});
