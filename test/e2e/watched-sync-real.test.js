'use strict';
// watched-sync with a real Kodi (and the Jellyfin and Plex simulators): marked watched on any one player → watched
// on the other two, each read back (Kodi's own GetMovieDetails here); 40 % played on Jellyfin → Kodi's resume point
// within a second of it; ten round trips of the same change → nothing written after the first.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, nodes } = require('../lib/nodes');
const { sharedKodi } = require('../kodi-real/kodi-harness');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');
const { until } = require('../lib/wait');

const LIMIT_MS = 60000;

describe('watched-sync with a real Kodi', function () {
  this.timeout(180000);
  let kodi;
  let jellyfin;
  let plex;
  let userDir;
  let anna;
  const movies = {};

  before(async function () {
    this.timeout(180000);
    kodi = await sharedKodi(this);
    await new Promise((resolve) => helper.startServer(resolve));
    // Two movies in the real Kodi's library (scanned in), the same two in the simulators.
    for (const title of ['Synced Watch', 'Synced Resume', 'Synced Crash']) {
      const movie = kodi.addMovie(title, 2021);
      const found = await kodi.scanIn(movie, `${title} in the library`, 2 * LIMIT_MS);
      movies[title] = { ...movie, movieid: found.movieid, name: path.relative(kodi.movies, movie.file) };
    }
  });
  after(function (done) {
    if (!kodi) return done();
    helper.stopServer(done);
  });
  beforeEach(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-watched-real-'));
    helper.settings({ userDir });
    jellyfin = await new JellyfinSim().start();
    jellyfin.addLibrary('Movies', 'movies', ['/jf/movies']);
    anna = jellyfin.addUser('anna');
    plex = await new PlexSim().start();
    plex.addSection('Movies', 'movie', ['/plex/movies']);
    for (const m of Object.values(movies)) {
      jellyfin.addItem(`/jf/movies/${m.name}`, m.name);
      plex.addItem(`/plex/movies/${m.name}`, m.name);
      plex.items.at(-1).duration = 120_000;
    }
    await helper.load(
      [nodes.kodiPlayer, nodes.jellyfinServer, nodes.plexServer, nodes.pathMappings, nodes.watchedSync],
      [
        { id: 'tab', type: 'tab' },
        { id: 'kodi-maps', type: 'path-mappings', rules: [{ from: '/movies', to: kodi.movies }] },
        { id: 'jf-maps', type: 'path-mappings', rules: [{ from: '/movies', to: '/jf/movies' }] },
        { id: 'plex-maps', type: 'path-mappings', rules: [{ from: '/movies', to: '/plex/movies' }] },
        {
          id: 'kodi',
          type: 'kodi-player',
          name: 'Real Kodi',
          host: '127.0.0.1',
          httpPort: kodi.httpPort,
          wsPort: kodi.wsPort,
          mappings: 'kodi-maps',
        },
        { id: 'jf', type: 'jellyfin-server', name: 'Jelly', url: jellyfin.url, mappings: 'jf-maps' },
        {
          id: 'plex',
          type: 'plex-server',
          name: 'Attic',
          url: plex.url,
          clientId: 'c',
          mappings: 'plex-maps',
        },
        {
          id: 'sync',
          type: 'watched-sync',
          z: 'tab',
          players: [{ id: 'kodi' }, { id: 'jf', users: 'anna' }, { id: 'plex' }],
          debounce: 0,
          retries: [{ prefix: '', retries: -1, delay: 1 }],
          wires: [['applied'], ['failed']],
        },
        { id: 'applied', type: 'helper', z: 'tab' },
        { id: 'failed', type: 'helper', z: 'tab' },
      ],
      {
        kodi: { username: kodi.username, password: kodi.password },
        jf: { apiKey: jellyfin.apiKey },
        plex: { token: plex.token },
      },
    );
  });
  afterEach(async function () {
    await helper.unload();
    await jellyfin.stop();
    await plex.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const kodiState = async (m) =>
    (
      await kodi.rpc('VideoLibrary.GetMovieDetails', {
        movieid: m.movieid,
        properties: ['playcount', 'resume'],
      })
    ).moviedetails;

  it('watched on Jellyfin → watched on the real Kodi and on Plex; then ten round trips write nothing more', async function () {
    const m = movies['Synced Watch'];
    const applied = [];
    helper.getNode('applied').on('input', (msg) => applied.push(msg));
    const completed = (playerId, user) => ({
      topic: 'completed',
      payload: { playerId, user, item: { type: 'movie', libraryPath: `/movies/${m.name}` } },
    });
    // Anna watched it on Jellyfin: Jellyfin has it, and says so.
    const item = jellyfin.items.find((i) => i.Path.endsWith(m.name));
    Object.assign(jellyfin.userDataOf(anna.Id, item.Id), { Played: true, PlayCount: 1 });
    helper.getNode('sync').receive(completed('jf', 'anna'));
    await until(() => applied.length === 1, 'the result', LIMIT_MS);
    applied[0].payload.results
      .map((r) => [r.player, r.status])
      .should.eql([
        ['Real Kodi', 'verified'],
        ['Attic', 'verified'],
      ]);
    (await kodiState(m)).playcount.should.equal(1);
    plex.items.find((i) => i.file.endsWith(m.name)).viewCount.should.equal(1);
    // Each player now says so in turn, ten times round: nothing is written again anywhere.
    const writes = () => jellyfin.userDataWrites.length + plex.userDataWrites.length;
    const before = { writes: writes(), playcount: (await kodiState(m)).playcount };
    for (let i = 0; i < 10; i++) {
      for (const [id, user] of [
        ['kodi', undefined],
        ['jf', 'anna'],
        ['plex', undefined],
      ]) {
        helper.getNode('sync').receive(completed(id, user));
      }
    }
    helper.getNode('sync').receive({ payload: { path: `/movies/${m.name}`, user: 'anna', rating: 7 } }); // a marker
    await until(() => applied.some((a) => a.payload.change.rating === 7), 'the marker', LIMIT_MS);
    writes().should.equal(
      before.writes + 2,
      'only the marker: Jellyfin and Plex rated, nothing else written',
    );
    (await kodiState(m)).playcount.should.equal(before.playcount);
    applied
      .slice(1, -1)
      .flatMap((a) => a.payload.results.map((r) => r.status))
      .every((s) => s === 'already')
      .should.be.true('every round trip found the players already holding it');
  });

  it("40 % played on Jellyfin → the real Kodi's resume point within a second of it", async function () {
    const m = movies['Synced Resume'];
    const applied = [];
    helper.getNode('applied').on('input', (msg) => applied.push(msg));
    helper.getNode('sync').receive({
      topic: 'progress',
      payload: {
        playerId: 'jf',
        user: 'anna',
        item: { type: 'movie', libraryPath: `/movies/${m.name}` },
        positionS: 48,
        runtimeS: 120,
      },
    });
    await until(() => applied.length === 1, 'the result', LIMIT_MS);
    applied[0].payload.results[0].should.match({ player: 'Real Kodi', status: 'verified' });
    const { resume } = await kodiState(m);
    resume.position.should.be.approximately(48, 1);
    // A resume position leaves the item unwatched.
    (await kodiState(m)).playcount.should.equal(0);
  });

  it('Kodi down while the change comes (a crash, a restart): kept, and written once Kodi is back', async function () {
    const m = movies['Synced Crash'];
    const applied = [];
    helper.getNode('applied').on('input', (msg) => applied.push(msg));
    await kodi.crashKodi();
    let down = true;
    try {
      helper.getNode('sync').receive({ payload: { path: `/movies/${m.name}`, user: 'anna', played: true } });
      await until(() => applied.length === 1, 'the first result', LIMIT_MS);
      applied[0].payload.results[0].should.match({
        player: 'Real Kodi',
        status: 'failed',
        retry: { attempts: 0 },
      });
      applied[0].payload.results
        .slice(1)
        .map((r) => r.status)
        .should.eql(['verified', 'verified']);
      await kodi.startKodi();
      down = false;
      await until(() => applied.length === 2, 'the retry once Kodi is back', 2 * LIMIT_MS);
      applied[1].payload.results.should.match([{ player: 'Real Kodi', status: 'verified' }]);
      (await kodiState(m)).playcount.should.equal(1);
    } finally {
      if (down) await kodi.startKodi();
    }
  });
});
