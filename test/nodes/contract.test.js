'use strict';
// The Jellyfin and Plex contract: the nodes driven through real Node-RED flows against the simulators, and
// against real servers when JELLYFIN_URL / JELLYFIN_API_KEY or PLEX_URL / PLEX_TOKEN are set. A real server's
// files cannot be made from here, so against one only the contracts that need no new files run, unless
// JELLYFIN_TEST_MOVIE / PLEX_TEST_MOVIE name a movie folder (as the server sees it) that exists on the server.
require('should');
const { helper, nodes, run, withOutputs } = require('../lib/nodes');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');
const { until } = require('../lib/wait');
const { sessionsSubscribable } = require('../../nodes/players/jellyfin/socket');

const types = [
  nodes.jellyfinServer,
  nodes.plexServer,
  nodes.pathMappings,
  nodes.jellyfinRefresh,
  nodes.plexRefresh,
  nodes.activeCheck,
  nodes.waitScanFinished,
  nodes.watchActivity,
];

/** Result checks shared by every test: the shape every sync result has. */
function outOf(out, port) {
  const what = out.error ? `error: ${out.error.message}` : JSON.stringify(out.msg.payload);
  (out.port === port).should.be.true(
    `expected output ${port}, got ${out.port ? `output ${out.port}` : ''} ${what}`,
  );
  const r = out.msg.payload;
  r.should.have.properties('status', 'player', 'libraryPath', 'playerPath', 'items', 'sent', 'tookMs');
  return r;
}

function flow(kind, server, rules, nodeSettings = {}) {
  const z = 'tab';
  const config =
    kind === 'jellyfin'
      ? {
          id: 'server',
          type: 'jellyfin-server',
          name: 'Den',
          server: server.emby ? 'emby' : 'jellyfin',
          url: server.url,
          mappings: 'maps',
        }
      : {
          id: 'server',
          type: 'plex-server',
          name: 'Attic',
          url: server.url,
          clientId: 'test-client',
          mappings: 'maps',
        };
  const refresh = kind === 'jellyfin' ? 'jellyfin-refresh' : 'plex-refresh';
  return [
    { id: z, type: 'tab' },
    { id: 'maps', type: 'path-mappings', rules },
    config,
    ...withOutputs({
      id: 'refresh',
      type: refresh,
      z,
      [kind]: 'server',
      timeout: 10,
      pollInterval: 0.05,
      ...nodeSettings,
    }),
    ...withOutputs({ id: 'active', type: 'active-check', z, playerType: kind, [kind]: 'server' }),
    ...withOutputs({
      id: 'wait',
      type: 'wait-scan-finished',
      z,
      playerType: kind,
      [kind]: 'server',
      timeout: 10,
      pollInterval: 0.05,
    }),
    { id: 'catcher', type: 'catch', z, scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z },
  ];
}

const servers = [
  {
    kind: 'jellyfin',
    name: 'Jellyfin simulator',
    async start() {
      const sim = await new JellyfinSim({ monitorDelayMs: 150 }).start();
      sim.addLibrary('Movies', 'movies', ['/media/movies']);
      sim.addLibrary('Shows', 'tvshows', ['/media/tv']);
      return { sim, url: sim.url, secret: sim.apiKey };
    },
  },
  {
    kind: 'jellyfin',
    name: 'Emby simulator',
    emby: true,
    async start() {
      const sim = await new JellyfinSim({ monitorDelayMs: 150, emby: true }).start();
      sim.addLibrary('Movies', 'movies', ['/media/movies']);
      sim.addLibrary('Shows', 'tvshows', ['/media/tv']);
      return { sim, url: sim.url, secret: sim.apiKey };
    },
  },
  {
    kind: 'jellyfin',
    name: 'real Jellyfin',
    skip:
      !(process.env.JELLYFIN_URL && process.env.JELLYFIN_API_KEY) &&
      'JELLYFIN_URL and JELLYFIN_API_KEY are not set',
    async start() {
      return {
        url: process.env.JELLYFIN_URL,
        secret: process.env.JELLYFIN_API_KEY,
        movie: process.env.JELLYFIN_TEST_MOVIE,
      };
    },
  },
  {
    kind: 'plex',
    name: 'Plex simulator',
    async start() {
      const sim = await new PlexSim({ scanMs: 100 }).start();
      sim.addSection('Movies', 'movie', ['/media/movies']);
      sim.addSection('TV Shows', 'show', ['/media/tv']);
      return { sim, url: sim.url, secret: sim.token };
    },
  },
  {
    kind: 'plex',
    name: 'real Plex',
    skip: !(process.env.PLEX_URL && process.env.PLEX_TOKEN) && 'PLEX_URL and PLEX_TOKEN are not set',
    async start() {
      return {
        url: process.env.PLEX_URL,
        secret: process.env.PLEX_TOKEN,
        movie: process.env.PLEX_TEST_MOVIE,
      };
    },
  },
];

for (const target of servers) {
  describe(`contract: ${target.name}`, function () {
    this.timeout(30000);
    /** How the nodes name the server in their texts. */
    const product = target.emby ? 'Emby' : target.kind === 'jellyfin' ? 'Jellyfin' : 'Plex';
    let server;
    const creds = (secret = server.secret) => ({
      server: target.kind === 'jellyfin' ? { apiKey: secret } : { token: secret },
    });
    const load = (rules = [{ from: '/library', to: '/media' }], settings, secret, more = []) =>
      helper.load(types, [...flow(target.kind, server, rules, settings), ...more], creds(secret));

    before(async function () {
      if (target.skip) {
        console.log(`    (skipped: ${target.skip})`);
        this.skip();
      }
      server = { ...(await target.start()), emby: target.emby };
      await new Promise((resolve) => helper.startServer(resolve));
    });
    after(async function () {
      if (!server) return;
      await new Promise((resolve) => helper.stopServer(resolve));
      if (server.sim) await server.sim.stop();
    });
    let mark = 0;
    /** The simulator's requests since this test began. */
    const since = (path) => server.sim.log.slice(mark).filter((r) => !path || r.path === path);
    beforeEach(function () {
      if (!server || !server.sim) return;
      mark = server.sim.log.length;
      server.sim.unpagedListings = 0;
    });
    afterEach(async function () {
      await helper.unload();
    });

    it('a path outside every library is "not verified", saying which libraries there are', async function () {
      await load([{ from: '/library', to: '/nowhere-player-sync-test' }]);
      const r = outOf(await run('refresh', { payload: '/library/movies/Film (2020)/' }), 2);
      r.should.match({ status: 'not-verified', ok: false, sent: [] });
      r.reason.should.match(
        target.kind === 'jellyfin'
          ? new RegExp(`is in no ${product} library \\(.+\\)`)
          : /is in no Plex library section \(.+: .+\)/,
      );
      if (server.sim)
        r.reason.should.match(
          target.kind === 'jellyfin' ? /Movies: \/media\/movies/ : /Movies: \/media\/movies/,
        );
    });

    it('a wrong key or token stops with a clear error, without the secret, and no retry storm', async function () {
      const before = server.sim ? server.sim.log.length : 0;
      await load(undefined, {}, 'wrong-secret-123');
      const out = await run('refresh', { payload: '/library/movies/Film (2020)/' });
      (out.error !== undefined).should.be.true(JSON.stringify(out.msg.payload));
      out.error.message.should.match(
        target.kind === 'jellyfin'
          ? new RegExp(
              `${product} "Den" .*: GET /Library/VirtualFolders failed: the API key was refused \\(HTTP 401\\)`,
            )
          : /Plex "Attic" .*: GET \/library\/sections failed: the token is dead \(HTTP 401\)/,
      );
      out.error.message.should.not.containEql('wrong-secret-123');
      if (target.kind === 'plex') {
        // a dead token is remembered: the next message fails at once, without asking the server again
        const logged = server.sim ? server.sim.log.length : 0;
        const again = await run('refresh', { payload: '/library/movies/Film (2020)/' });
        again.error.message.should.match(/the token is dead/);
        if (server.sim) server.sim.log.length.should.equal(logged);
      }
      if (server.sim) {
        const calls = server.sim.log.slice(before).filter((r) => r.path !== '/' && r.path !== '/System/Info');
        calls.length.should.be.belowOrEqual(2); // the failed call (and for Plex nothing after it)
      }
    });

    it('a new movie folder becomes verified, with exactly one targeted call', async function () {
      let libraryPath;
      if (server.sim) {
        const file = '/media/movies/New Film (2024)/New Film (2024).mkv';
        server.sim.addFile(file, 'New Film');
        libraryPath = '/library/movies/New Film (2024)/';
      } else if (server.movie) {
        libraryPath = server.movie;
      } else {
        this.skip();
      }
      await load(server.sim ? undefined : []);
      const r = outOf(await run('refresh', { payload: libraryPath }), 1);
      // Jellyfin's default is "immediate" (the nearest item Jellyfin knows is refreshed at once), Plex's the
      // partial scan of the folder.
      const mode = target.kind === 'jellyfin' ? 'immediate' : 'path';
      r.should.match({ status: 'verified', ok: true, action: 'scan', playerType: target.kind, mode });
      r.items.length.should.be.above(0);
      r.sent.should.have.length(1);
      if (!server.sim) return;
      r.items[0].should.match({
        title: 'New Film',
        file: '/media/movies/New Film (2024)/New Film (2024).mkv',
      });
      if (target.kind === 'jellyfin') {
        // No show or folder above a new movie: the library itself (its CollectionFolder) is refreshed.
        const library = server.sim.libraries.find((l) => l.Name === 'Movies');
        r.sent[0].should.eql({
          method: `POST /Items/${library.ItemId}/Refresh`,
          params: {
            metadataRefreshMode: 'Default',
            imageRefreshMode: 'Default',
            replaceAllMetadata: false,
            replaceAllImages: false,
            itemPath: 'Movies',
          },
        });
        since('/Library/Media/Updated').should.have.length(0);
        since('/Library/Refresh').should.have.length(0);
        (server.sim.unpagedListings || 0).should.equal(0);
      } else {
        r.sent[0].method.should.equal('GET /library/sections/1/refresh');
        r.sent[0].params.should.eql({ path: '/media/movies/New Film (2024)/' });
        since()
          .filter((q) => /\/refresh$/.test(q.path))
          .should.have.length(1);
        (server.sim.unpagedListings || 0).should.equal(0);
      }
    });

    it('a folder inside a library that holds nothing is "not verified" after the wait, despite the OK', async function () {
      if (!server.sim) this.skip();
      await load(undefined, { timeout: 0.6 });
      const r = outOf(await run('refresh', { payload: '/library/movies/Empty (2000)/' }), 2);
      r.should.match({ status: 'not-verified', items: [] });
      r.sent.should.have.length(1); // the server said yes to it
      r.reason.should.match(
        target.kind === 'jellyfin' ? new RegExp(`${product} has no item at`) : /has no item with a file at/,
      );
    });

    it('a removed folder verifies as gone', async function () {
      if (!server.sim) this.skip();
      const file = '/media/movies/Old Film (1990)/Old Film (1990).mkv';
      server.sim.addItem(file, 'Old Film');
      server.sim.removeFile(file);
      await load();
      const r = outOf(
        await run('refresh', { payload: { path: '/library/movies/Old Film (1990)/', action: 'removed' } }),
        1,
      );
      r.should.match({ status: 'removed', action: 'remove', items: [] });
      if (target.kind === 'jellyfin') r.sent[0].method.should.match(/^POST \/Items\/[0-9a-f]+\/Refresh$/);
      (server.sim.deletes || 0).should.equal(0); // never DELETE: it deletes files
    });

    it('encodes paths with spaces, #, & and non-ASCII characters', async function () {
      if (!server.sim) this.skip();
      const folder = '/media/movies/Tom & Jerry #2 — Amélie 東京 (2001)';
      server.sim.addFile(`${folder}/Film.mkv`, 'Odd Name');
      await load(undefined, { mode: 'path' }); // the path itself is sent: Jellyfin's gentle mode, Plex's scan
      const r = outOf(
        await run('refresh', { payload: '/library/movies/Tom & Jerry #2 — Amélie 東京 (2001)/' }),
        1,
      );
      r.items[0].title.should.equal('Odd Name');
      if (target.kind === 'plex') {
        const req = since().find((q) => /\/refresh$/.test(q.path));
        req.raw.should.containEql(`path=${encodeURIComponent(`${folder}/`)}`);
        req.raw.should.containEql('%20%26%20').and.containEql('%232').and.not.containEql('+');
        req.query.path.should.equal(`${folder}/`);
      } else {
        JSON.parse(since('/Library/Media/Updated')[0].body).Updates[0].Path.should.equal(folder);
      }
    });

    it('maps to Windows-style server paths', async function () {
      if (!server.sim) this.skip();
      if (target.kind === 'jellyfin') server.sim.addLibrary('Win', 'movies', ['D:\\Movies']);
      else server.sim.addSection('Win', 'movie', ['D:\\Movies']);
      server.sim.addFile('D:\\Movies\\Win Film (2010)\\Win Film (2010).mkv', 'Win Film');
      await load([{ from: '/library/win', to: 'D:\\Movies' }], { mode: 'path' });
      const r = outOf(
        await run('refresh', { payload: '/library/win/Win Film (2010)/Win Film (2010).mkv' }),
        1,
      );
      r.should.match({ status: 'verified', playerPath: 'D:\\Movies\\Win Film (2010)\\Win Film (2010).mkv' });
      if (target.kind === 'jellyfin')
        r.sent[0].params.Updates[0].Path.should.equal('D:\\Movies\\Win Film (2010)');
      else r.sent[0].params.path.should.equal('D:\\Movies\\Win Film (2010)\\');
    });

    if (target.kind === 'jellyfin') {
      it('immediate: a new movie is verified without waiting for the library monitor delay', async function () {
        if (!server.sim) this.skip();
        server.sim.monitorDelayMs = 60000; // Jellyfin's default: Media/Updated would wait a minute
        try {
          server.sim.addFile('/media/movies/Quick (2024)/Quick (2024).mkv', 'Quick');
          await load();
          const r = outOf(await run('refresh', { payload: '/library/movies/Quick (2024)/' }), 1);
          r.should.match({ status: 'verified', mode: 'immediate', completion: 'polling' });
          r.tookMs.should.be.below(10000);
        } finally {
          server.sim.monitorDelayMs = 150;
        }
      });

      it('immediate: a new episode of a known show refreshes the show, not the library', async function () {
        if (!server.sim) this.skip();
        const show = server.sim.addSeries('/media/tv/Known Show', 'Known Show');
        server.sim.addFile('/media/tv/Known Show/Season 02/Known Show S02E01.mkv', 'Episode One');
        await load();
        const r = outOf(await run('refresh', { payload: '/library/tv/Known Show/Season 02/' }), 1);
        r.should.match({ status: 'verified', mode: 'immediate' });
        r.sent.should.have.length(1);
        r.sent[0].method.should.equal(`POST /Items/${show.Id}/Refresh`);
        r.sent[0].params.itemPath.should.equal('/media/tv/Known Show');
        r.items[0].title.should.equal('Episode One');
        // Jellyfin's refresh has no Recursive (Emby's has): a folder's refresh finds new sub-folders by itself.
        if (!target.emby) server.sim.itemRefreshQueries.at(-1).should.not.have.property('Recursive');
      });

      it('gentle: tells Jellyfin the folder changed and lets it wait for files to settle', async function () {
        if (!server.sim) this.skip();
        server.sim.addFile('/media/movies/Gentle (2024)/Gentle (2024).mkv', 'Gentle');
        await load(undefined, { mode: 'path' });
        const r = outOf(await run('refresh', { payload: '/library/movies/Gentle (2024)/' }), 1);
        r.should.match({ status: 'verified', mode: 'path' });
        r.sent.should.eql([
          {
            method: 'POST /Library/Media/Updated',
            params: { Updates: [{ Path: '/media/movies/Gentle (2024)', UpdateType: 'Created' }] },
          },
        ]);
        since('/Library/Media/Updated').should.have.length(1);
        since()
          .filter((q) => /^\/Items\/.+\/Refresh$/.test(q.path))
          .should.have.length(0);
      });
    }

    if (target.kind === 'jellyfin' && !target.emby) {
      it('the WebSocket opens with the key in a header, not the URL; watch-activity gets the sessions pushed where the version lets it', async function () {
        await load(undefined, undefined, undefined, [
          {
            id: 'watch',
            type: 'watch-activity',
            z: 'tab',
            playerType: 'jellyfin',
            jellyfin: 'server',
            pollPlaying: 30,
            pollIdle: 30,
            wires: [['watched']],
          },
          { id: 'watched', type: 'helper', z: 'tab' },
        ]);
        const socket = helper.getNode('server').socket;
        await until(() => socket.up, 'the WebSocket', 10000);
        const version = (await helper.getNode('server').client.publicInfo()).Version;
        if (sessionsSubscribable(version)) {
          await until(() => socket.sessionsLive, 'the Sessions subscription', 10000);
        }
        if (!server.sim) return;
        const asked = server.sim.socketRequests.at(-1);
        asked.headers.authorization.should.containEql(`Token="${server.secret}"`);
        asked.url.should.not.containEql(server.secret);
        const got = [];
        helper.getNode('watched').on('input', (msg) => got.push(msg));
        server.sim.sessions = [
          JellyfinSim.session({ item: { Name: 'Pushed', Path: '/media/movies/P.mkv' } }),
        ];
        server.sim.sessionsChanged();
        await until(() => got.length === 1, 'started, pushed');
        got[0].payload.item.libraryPath.should.equal('/library/movies/P.mkv');
      });
    }

    if (target.kind === 'plex') {
      const socketUp = () =>
        until(() => helper.getNode('server').socket.up, 'the notification socket', 10000);

      it('the end of the partial scan is heard on the notification socket (token in a header, not the URL)', async function () {
        let libraryPath;
        if (server.sim) {
          server.sim.addFile('/media/movies/Heard (2024)/Heard (2024).mkv', 'Heard');
          libraryPath = '/library/movies/Heard (2024)/';
        } else if (server.movie) libraryPath = server.movie;
        else this.skip();
        await load(server.sim ? undefined : []);
        await socketUp();
        const r = outOf(await run('refresh', { payload: libraryPath }), 1);
        r.should.match({ status: 'verified', completion: 'event' });
        if (!server.sim) return;
        const asked = server.sim.socketTokens.at(-1);
        asked.header.should.equal(server.secret);
        asked.url.should.not.containEql(server.secret);
      });

      it('a dropped socket: polling finishes the same work while it reconnects', async function () {
        if (!server.sim) this.skip();
        server.sim.addFile('/media/movies/Dropped (2024)/Dropped (2024).mkv', 'Dropped');
        await load();
        await socketUp();
        server.sim.dropSockets();
        await until(() => !helper.getNode('server').socket.up, 'the socket to drop');
        const r = outOf(await run('refresh', { payload: '/library/movies/Dropped (2024)/' }), 1);
        r.should.match({ status: 'verified', completion: 'polling' });
        await socketUp(); // and it comes back by itself
      });

      it('a token the socket refuses: polling does the work, and the status says so', async function () {
        if (!server.sim) this.skip();
        server.sim.socketMode = 'refuse';
        try {
          server.sim.addFile('/media/movies/Refused (2024)/Refused (2024).mkv', 'Refused');
          await load();
          const refresh = helper.getNode('refresh');
          await until(
            () => refresh.status.getCalls().some((c) => /HTTP only/.test(c.args[0].text || '')),
            'the status "HTTP only (polling)"',
          );
          const r = outOf(await run('refresh', { payload: '/library/movies/Refused (2024)/' }), 1);
          r.should.match({ status: 'verified', completion: 'polling' });
        } finally {
          server.sim.socketMode = 'on';
        }
      });
    }

    it('item mode refreshes the item found by path', async function () {
      if (!server.sim) this.skip();
      const file = '/media/movies/Item Film (2005)/Item Film (2005).mkv';
      server.sim.addItem(file, 'Item Film');
      server.sim.addFile(file, 'Item Film (new title)');
      await load(undefined, { mode: 'item' });
      const r = outOf(
        await run('refresh', { payload: { path: '/library/movies/Item Film (2005)/', action: 'updated' } }),
        1,
      );
      r.should.match({ status: 'verified', mode: 'item', action: 'refresh' });
      if (target.kind === 'jellyfin') {
        r.sent[0].method.should.match(/^POST \/Items\/[0-9a-f]{32}\/Refresh$/);
        r.sent[0].params.should.match({
          metadataRefreshMode: 'FullRefresh',
          imageRefreshMode: 'FullRefresh',
        });
        since('/Library/Media/Updated').should.have.length(0);
      } else {
        r.sent[0].method.should.match(/^PUT \/library\/metadata\/\d+\/refresh$/);
      }
      r.items[0].title.should.equal('Item Film (new title)');
    });

    it('finds an item beyond the first page of a large section', async function () {
      if (!server.sim) this.skip();
      for (let i = 0; i < 620; i++) server.sim.addItem(`/media/movies/Bulk ${i}/Bulk ${i}.mkv`, `Bulk ${i}`);
      server.sim.addFile('/media/movies/Zz Last (2024)/Zz Last.mkv', 'Zz Last');
      await load();
      const r = outOf(await run('refresh', { payload: '/library/movies/Zz Last (2024)/' }), 1);
      r.items.map((i) => i.title).should.eql(['Zz Last']);
      (server.sim.unpagedListings || 0).should.equal(0);
    });

    it('active-check: idle without sessions, active with a playing video (with user)', async function () {
      if (!server.sim) this.skip();
      server.sim.sessions = [];
      await load();
      outOf2(await run('active', { payload: 1 }), 1).should.match({
        status: 'idle',
        playerType: target.kind,
      });
      server.sim.sessions =
        target.kind === 'jellyfin'
          ? [
              {
                UserName: 'anna',
                DeviceName: 'TV',
                NowPlayingItem: {
                  Id: 'x',
                  Name: 'Film',
                  Type: 'Movie',
                  MediaType: 'Video',
                  RunTimeTicks: 6e10,
                },
                PlayState: { PositionTicks: 3e10, IsPaused: true },
              },
            ]
          : [
              {
                ratingKey: '7',
                type: 'movie',
                title: 'Film',
                duration: 6000000,
                viewOffset: 3000000,
                Player: { state: 'paused', title: 'TV' },
                User: { title: 'anna' },
              },
            ];
      const active = outOf2(await run('active', { payload: 2 }), 2);
      active.sessions[0].should.match({
        kind: 'video',
        title: 'Film',
        paused: true,
        progress: 50,
        user: 'anna',
      });
    });

    it('wait-scan-finished waits for the running library scan', async function () {
      if (!server.sim) this.skip();
      await load();
      if (target.kind === 'jellyfin') server.sim.task.State = 'Running';
      else server.sim.sections[0].refreshing = true;
      const pending = run('wait', { payload: 'hold' });
      await until(
        () => since().some((r) => r.path === '/ScheduledTasks' || r.path === '/library/sections'),
        'the node to ask',
      );
      if (target.kind === 'jellyfin') server.sim.task.State = 'Idle';
      else server.sim.sections[0].refreshing = false;
      const out = await pending;
      out.port.should.equal(1);
      out.msg.payload.should.equal('hold');
      out.msg.waitScan.should.match({ status: 'finished', scanned: true, completion: 'polling' });
    });

    if (target.kind === 'jellyfin') {
      it('library mode asks for a full scan, which restarts a running one (the simulator counts it)', async function () {
        if (!server.sim) this.skip();
        server.sim.addFile('/media/movies/Lib Film (2001)/Lib Film.mkv', 'Lib Film');
        await load(undefined, { mode: 'library' });
        server.sim.task.State = 'Running';
        const r = outOf(await run('refresh', { payload: '/library/movies/Lib Film (2001)/' }), 1);
        r.sent.should.eql([{ method: 'POST /Library/Refresh', params: {} }]);
        server.sim.cancelledScans.should.equal(1);
      });

      it('Emby: the API under /emby, its token header, and Recursive on the item refresh', async function () {
        if (!server.sim || !target.emby) this.skip();
        server.sim.addFile('/media/movies/Emby Film (2024)/Emby Film.mkv', 'Emby Film');
        await load();
        const r = outOf(await run('refresh', { payload: '/library/movies/Emby Film (2024)/' }), 1);
        r.should.match({ status: 'verified', mode: 'immediate', player: 'Den' });
        const calls = since();
        calls.every((q) => q.raw.startsWith('/emby/')).should.be.true(calls.map((q) => q.raw).join(', '));
        calls.every((q) => q.headers['x-emby-token'] === server.secret).should.be.true();
        calls.some((q) => 'authorization' in q.headers).should.be.false('no MediaBrowser header to Emby');
        server.sim.itemRefreshQueries.at(-1).should.match({ Recursive: 'true' });
      });

      it('the simulator refuses legacy auth headers, as Jellyfin 12 does', async function () {
        if (!server.sim || target.emby) this.skip();
        const res = await fetch(`${server.url}/System/Info`, { headers: { 'X-Emby-Token': server.secret } });
        res.status.should.equal(401);
      });
    } else {
      it('falls back to POST when the server refuses GET for the partial scan, and never uses PUT', async function () {
        if (!server.sim) this.skip();
        const original = server.sim.handle.bind(server.sim);
        server.sim.handle = (req, res) =>
          req.method === 'GET' && /\/refresh$/.test(req.path) ? res.writeHead(405).end() : original(req, res);
        server.sim.addFile('/media/movies/Post Film (2003)/Post Film.mkv', 'Post Film');
        await load();
        const r = outOf(await run('refresh', { payload: '/library/movies/Post Film (2003)/' }), 1);
        r.sent.map((c) => c.method).should.eql(['POST /library/sections/1/refresh']);
        since()
          .filter((q) => q.method === 'PUT' && /sections/.test(q.path))
          .should.be.empty();
        server.sim.handle = original;
      });

      it('the simulator answers XML unless asked for JSON, as Plex does', async function () {
        if (!server.sim) this.skip();
        const res = await fetch(`${server.url}/library/sections`, {
          headers: { 'X-Plex-Token': server.secret },
        });
        (await res.text()).should.startWith('<?xml');
        const put = await fetch(`${server.url}/library/sections/1/refresh?path=%2Fmedia`, {
          method: 'PUT',
          headers: { 'X-Plex-Token': server.secret },
        });
        put.status.should.equal(404); // as PMS 1.32.7 and later answer the old PUT refresh
      });
    }
  });
}

/** For active-check results, which have their own shape. */
function outOf2(out, port) {
  const what = out.error ? `error: ${out.error.message}` : JSON.stringify(out.msg.payload);
  (out.port === port).should.be.true(`expected output ${port}, got ${what}`);
  return out.msg.payload;
}
