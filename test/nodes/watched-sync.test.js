'use strict';
// watched-sync through a real flow against the Kodi, Jellyfin and Plex simulators: a change made on one player (or
// sent as a plain message) reaches the others, verified by reading it back; what a player has already is not
// written again, an echo is not taken back, resume positions are debounced, a missing item is said so.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, nodes } = require('../lib/nodes');
const { KodiSim } = require('../sim/kodi-sim');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');
const { until } = require('../lib/wait');

const FILM = 'Inception (2010)/Inception (2010).mkv';

describe('watched-sync (Kodi, Jellyfin and Plex simulators)', function () {
  this.timeout(20000);
  let kodi;
  let jellyfin;
  let plex;
  let userDir;
  let anna;
  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-watched-'));
    helper.settings({ userDir });
    kodi = await new KodiSim().start();
    kodi.items.push({ type: 'movie', id: 7, title: 'Inception', year: 2010, file: `/kodi/movies/${FILM}` });
    jellyfin = await new JellyfinSim().start();
    jellyfin.addLibrary('Movies', 'movies', ['/jf/movies']);
    jellyfin.addItem(`/jf/movies/${FILM}`, 'Inception');
    anna = jellyfin.addUser('Anna');
    jellyfin.addUser('ben');
    plex = await new PlexSim().start();
    plex.addSection('Movies', 'movie', ['/plex/movies']);
    plex.addItem(`/plex/movies/${FILM}`, 'Inception');
    plex.items.at(-1).duration = 6_000_000; // ms, as Plex lists it
  });
  afterEach(async function () {
    await helper.unload();
    await Promise.all([kodi.stop(), jellyfin.stop(), plex.stop()]);
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const load = (settings = {}, players) =>
    helper.load(
      [nodes.kodiPlayer, nodes.jellyfinServer, nodes.plexServer, nodes.pathMappings, nodes.watchedSync],
      [
        { id: 'tab', type: 'tab' },
        { id: 'kodi-maps', type: 'path-mappings', rules: [{ from: '/movies', to: '/kodi/movies' }] },
        { id: 'jf-maps', type: 'path-mappings', rules: [{ from: '/movies', to: '/jf/movies' }] },
        { id: 'plex-maps', type: 'path-mappings', rules: [{ from: '/movies', to: '/plex/movies' }] },
        {
          id: 'kodi',
          type: 'kodi-player',
          name: 'Den',
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
          players: players ?? [{ id: 'kodi' }, { id: 'jf', users: 'Anna' }, { id: 'plex' }],
          debounce: 0,
          wires: [['applied'], ['failed']],
          ...settings,
        },
        { id: 'applied', type: 'helper', z: 'tab' },
        { id: 'failed', type: 'helper', z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ],
      {
        kodi: { username: kodi.username, password: kodi.password },
        jf: { apiKey: jellyfin.apiKey },
        plex: { token: plex.token },
      },
    );
  const collect = (id) => {
    const got = [];
    helper.getNode(id).on('input', (msg) => got.push(msg));
    return got;
  };
  const kodiFilm = () => kodi.items.find((i) => i.id === 7);
  const jellyfinData = async () => {
    const item = jellyfin.items.find((i) => i.Name === 'Inception');
    const res = await fetch(`${jellyfin.url}/UserItems/${item.Id}/UserData?userId=${anna.Id}`, {
      headers: { Authorization: `MediaBrowser Token="${jellyfin.apiKey}"` },
    });
    return res.json();
  };
  const plexFilm = () => plex.items.find((i) => i.title === 'Inception');

  it('played, sent as a plain message: written to all three, each read back; sent again: nothing written', async function () {
    await load();
    const applied = collect('applied');
    helper.getNode('sync').receive({ payload: { path: `/movies/${FILM}`, user: 'anna', played: true } });
    await until(() => applied.length === 1, 'the result');
    applied[0].payload.results
      .map((r) => [r.player, r.status, r.rule])
      .should.eql([
        ['Den', 'verified', 'path'],
        ['Jelly', 'verified', 'path'],
        ['Attic', 'verified', 'path'],
      ]);
    applied[0].payload.results[1].user.should.equal('Anna');
    kodiFilm().playcount.should.equal(1);
    (await jellyfinData()).Played.should.be.true();
    plexFilm().viewCount.should.equal(1);
    const writes = () =>
      (kodi.detailWrites || []).length + jellyfin.userDataWrites.length + plex.userDataWrites.length;
    const before = writes();
    helper.getNode('sync').receive({ payload: { path: `/movies/${FILM}`, user: 'anna', played: true } });
    await until(() => applied.length === 2, 'the second result');
    applied[1].payload.results.map((r) => r.status).should.eql(['already', 'already', 'already']);
    writes().should.equal(before, 'nothing written twice');
  });

  it('completed on Kodi (a watch-activity event): the other two, not Kodi; the echo from Jellyfin is not taken back', async function () {
    await load();
    const applied = collect('applied');
    const event = (playerId, user) => ({
      topic: 'completed',
      payload: {
        playerId,
        player: 'x',
        user,
        item: { type: 'movie', title: 'Inception', libraryPath: `/movies/${FILM}` },
      },
    });
    helper.getNode('sync').receive(event('kodi', 'anna'));
    await until(() => applied.length === 1, 'the result');
    applied[0].payload.results.map((r) => r.player).should.eql(['Jelly', 'Attic']);
    applied[0].payload.results.every((r) => r.status === 'verified').should.be.true();
    (kodi.detailWrites || []).should.eql([], 'nothing written back to where it happened');
    // Jellyfin now says Anna completed it (the change we made there): an echo, dropped. A marker after it shows
    // that it was handled.
    helper.getNode('sync').receive(event('jf', 'Anna'));
    helper.getNode('sync').receive({ payload: { path: `/movies/${FILM}`, user: 'anna', rating: 8 } });
    await until(() => applied.length === 2, 'the marker');
    applied[1].payload.change.rating.should.equal(8);
  });

  it('resume positions: a burst of progress is debounced to its last, written forward only', async function () {
    await load({ debounce: 0.3 });
    const applied = collect('applied');
    for (const positionS of [600, 1200, 2400]) {
      helper.getNode('sync').receive({
        topic: 'progress',
        payload: {
          playerId: 'plex',
          user: 'anna',
          item: { type: 'movie', libraryPath: `/movies/${FILM}` },
          positionS,
          runtimeS: 6000,
        },
      });
    }
    await until(() => applied.length === 1, 'one result for the burst');
    applied[0].payload.change.positionS.should.equal(2400);
    kodiFilm().resume.position.should.equal(2400);
    ((await jellyfinData()).PlaybackPositionTicks / 1e7).should.equal(2400);
    (plex.userDataWrites.length === 0).should.be.true('not written back to Plex, where it came from');
    // An earlier position afterwards does not move Kodi and Jellyfin back; Plex, at 0, takes it (with the item's
    // own duration: the message has no runtime).
    helper.getNode('sync').receive({ payload: { path: `/movies/${FILM}`, user: 'anna', position: 1000 } });
    await until(() => applied.length === 2, 'the earlier position');
    applied[1].payload.results.map((r) => r.status).should.eql(['skipped', 'skipped', 'verified']);
    kodiFilm().resume.position.should.equal(2400);
  });

  it('users: a user not listed on Jellyfin is not synced there; the user table maps names', async function () {
    await load({ userMap: [{ from: 'annie', to: 'Anna' }] });
    const applied = collect('applied');
    helper.getNode('sync').receive({ payload: { path: `/movies/${FILM}`, user: 'ben', played: true } });
    await until(() => applied.length === 1, 'ben');
    applied[0].payload.results[1].should.match({ player: 'Jelly', status: 'skipped' });
    helper.getNode('sync').receive({ payload: { path: `/movies/${FILM}`, user: 'annie', favourite: true } });
    await until(() => applied.length === 2, 'annie');
    applied[1].payload.results[1].should.match({ player: 'Jelly', status: 'verified', user: 'Anna' });
    (await jellyfinData()).IsFavorite.should.be.true();
    // Jellyfin says so in turn, under its own name for the user: an echo, dropped (a marker after it shows it).
    helper.getNode('sync').receive({
      payload: { player: 'jf', path: `/movies/${FILM}`, user: 'Anna', favourite: true },
    });
    helper.getNode('sync').receive({ payload: { path: `/movies/${FILM}`, user: 'annie', rating: 4 } });
    await until(() => applied.length === 3, 'the marker');
    applied[2].payload.change.rating.should.equal(4, 'the echo made no result of its own');
    applied[1].payload.results[0].status.should.equal(
      'unsupported',
      "Kodi's favourites are not library items",
    );
  });

  it('an item one player lacks: not found there, the others applied; bad input: done(err) naming the field', async function () {
    plex.items = [];
    await load();
    const applied = collect('applied');
    const caught = collect('caught');
    helper.getNode('sync').receive({ payload: { path: `/movies/${FILM}`, user: 'anna', played: true } });
    await until(() => applied.length === 1, 'the result');
    applied[0].payload.results.map((r) => r.status).should.eql(['verified', 'verified', 'not-found']);
    helper.getNode('sync').receive({ payload: { path: `/movies/${FILM}`, played: 'yes' } });
    await until(() => caught.length === 1, 'the error');
    caught[0].error.message.should.match(/msg\.payload\.played must be true or false/);
  });

  it('an item not yet on Plex is retried by its policy, across a restart, and synced once it appears', async function () {
    const film = plex.items.pop(); // Plex has not imported it yet
    const flow = { retries: [{ prefix: '/movies', retries: -1, delay: 1 }] };
    await load(flow);
    let applied = collect('applied');
    helper.getNode('sync').receive({ payload: { path: `/movies/${FILM}`, user: 'anna', played: true } });
    await until(() => applied.length === 1, 'the first result');
    applied[0].payload.results[2].should.match({
      player: 'Attic',
      status: 'not-found',
      retry: { attempts: 0 },
    });
    // Tried again (and again) while it is missing; then Node-RED restarts: the retry is in the store.
    await until(() => plex.requests('/library/sections/1/all').length >= 3, 'a retry or two');
    await helper.unload();
    plex.items.push(film); // imported meanwhile
    await load(flow);
    applied = collect('applied');
    await until(() => applied.length === 1, 'the retry after the restart', 10000);
    applied[0].payload.should.match({
      retried: (n) => n >= 1,
      results: [{ player: 'Attic', status: 'verified' }],
    });
    plexFilm().viewCount.should.equal(1);
  });

  it('on the Players board: waiting for the import on Plex; retry now takes it once there; drop gives one up', async function () {
    const { healthBoard } = require('../../nodes/sync/health');
    const film = plex.items.pop(); // Plex has not imported it yet
    await load({ retries: [{ prefix: '/movies', retries: -1, delay: 3600 }] }); // no retry comes by itself
    const applied = collect('applied');
    const failed = collect('failed');
    const plexQueue = () => healthBoard.snapshot().queues.find((q) => q.id === 'sync/plex');
    helper.getNode('sync').receive({ payload: { path: `/movies/${FILM}`, user: 'anna', played: true } });
    await until(() => applied.length === 1, 'the first result');
    const [waiting] = plexQueue().items;
    waiting.should.match({
      what: `anna: /movies/${FILM}`,
      action: 'watched',
      state: 'waiting-for-import',
      attempts: 1,
      reason: /no item matches/,
      nextAttemptAt: (t) => t > Date.now() + 3000000,
    });
    plexQueue().counts.should.containDeep({ waitingForImport: 1, retrying: 0 });
    healthBoard
      .snapshot()
      .results.filter((r) => r.node === 'sync')
      .map((r) => [r.playerName, r.outcome])
      .should.containDeep([
        ['Den', 'verified'],
        ['Jelly', 'verified'],
        ['Attic', 'failed'],
      ]);
    // Imported now: "retry now" writes it at once, not in an hour.
    plex.items.push(film);
    healthBoard.retryNow('sync/plex', waiting.id).should.be.true();
    await until(() => applied.length === 2, 'the retried result');
    applied[1].payload.results.should.match([{ player: 'Attic', status: 'verified' }]);
    plexFilm().viewCount.should.equal(1);
    plexQueue().items.should.eql([]);

    // Another change Plex cannot take yet, dropped: it comes out on output 2, saying so, and is not tried again.
    plex.items.pop();
    helper.getNode('sync').receive({ payload: { path: `/movies/${FILM}`, user: 'anna', played: false } });
    await until(() => plexQueue().items.length === 1, 'the second retry waiting');
    healthBoard.drop('sync/plex', plexQueue().items[0].id).should.be.true();
    await until(() => failed.length === 1, 'the dropped change reported');
    failed[0].payload.results.should.match([{ player: 'Attic', status: 'failed', reason: /dropped/ }]);
    plexQueue().items.should.eql([]);
    healthBoard.drop('sync/plex', 'no such retry').should.be.false();
  });

  it('reconcile Kodi ↔ Jellyfin: the differences listed page by page (dry run); applied, played wins; again: none', async function () {
    kodi.items = [];
    kodi.addMovies(1234, { folder: '/kodi/movies', watchedEvery: 10 });
    jellyfin.items = jellyfin.items.filter((i) => i.Type !== 'Movie');
    jellyfin.addMovies(1234, { folder: '/jf/movies', userId: anna.Id, watchedEvery: 7 });
    await load({}, [{ id: 'kodi' }, { id: 'jf', users: 'anna' }]);
    const applied = collect('applied');
    const kodiPages = () => kodi.requests.filter((r) => r.method === 'VideoLibrary.GetMovies').length;
    const jfPages = () => jellyfin.requests('/Items').length;
    helper.getNode('sync').receive({ topic: 'reconcile', payload: { user: 'anna' } });
    await until(() => applied.length === 1, 'the report', 15000);
    const report = applied[0].payload;
    // Every 10th played on Kodi, every 7th on Jellyfin: they differ where exactly one of the two holds.
    const expected = Array.from({ length: 1234 }, (_, i) => i + 1).filter(
      (n) => (n % 10 === 0) !== (n % 7 === 0),
    );
    report.should.match({
      from: 'Den',
      to: 'Jelly',
      dryRun: true,
      matched: 1234,
      byPath: 1234,
      onlyA: 0,
      onlyB: 0,
    });
    report.differences.length.should.equal(expected.length);
    kodiPages().should.equal(3, 'three pages of 500 from Kodi, not one request per movie');
    jfPages().should.equal(3);
    (kodi.detailWrites || []).should.eql([], 'a dry run writes nothing');
    helper.getNode('sync').receive({ topic: 'reconcile', payload: { user: 'anna', apply: true } });
    await until(() => applied.length === 2, 'the applied report', 15000);
    applied[1].payload.applied.length.should.equal(expected.length);
    applied[1].payload.applied.every((r) => r.status === 'verified').should.be.true();
    helper.getNode('sync').receive({ topic: 'reconcile', payload: { user: 'anna' } });
    await until(() => applied.length === 3, 'the report after', 15000);
    applied[2].payload.differences.should.eql([]);
  });

  it('matched by provider ids where the path does not say (each player searched page by page), then by title', async function () {
    kodi.addMovies(700, { folder: '/kodi/other' }); // a folder no mapping holds: found by ids only
    jellyfin.addMovies(700, { folder: '/jf/movies/x', userId: anna.Id });
    plex.addMovies(700, { folder: '/plex/movies/x' });
    await load();
    const applied = collect('applied');
    helper.getNode('sync').receive({
      payload: { item: { type: 'movie', ids: { imdb: 'tt0000642' } }, user: 'anna', played: true },
    });
    await until(() => applied.length === 1, 'the result');
    applied[0].payload.results
      .map((r) => [r.player, r.status, r.rule])
      .should.eql([
        ['Den', 'verified', 'ids'],
        ['Jelly', 'verified', 'ids'],
        ['Attic', 'verified', 'ids'],
      ]);
    kodi.items.find((i) => i.uniqueid && i.uniqueid.imdb === 'tt0000642').playcount.should.equal(1);
    // No path, no ids: by title and year (Kodi searches; Jellyfin's and Plex's listings are searched).
    jellyfin.items.find((i) => i.Name === 'Inception').ProductionYear = 2010;
    plexFilm().year = 2010;
    helper.getNode('sync').receive({
      payload: { item: { type: 'movie', title: 'Inception', year: 2010 }, user: 'anna', rating: 9 },
    });
    await until(() => applied.length === 2, 'the second result');
    applied[1].payload.results
      .map((r) => [r.status, r.rule])
      .should.eql([
        ['verified', 'title'],
        ['verified', 'title'],
        ['verified', 'title'],
      ]);
    // Without a year, a title is not guessed at on the servers (two films may share it).
    helper
      .getNode('sync')
      .receive({ payload: { item: { type: 'movie', title: 'Inception' }, user: 'anna', rating: 3 } });
    await until(() => applied.length === 3, 'the third result');
    applied[2].payload.results.map((r) => r.status).should.eql(['verified', 'not-found', 'not-found']);
    kodiFilm().userrating.should.equal(3, 'Kodi searched by title: its one "Inception"');
  });

  it('a playlist made the same on the other players: created on Plex, changed on Jellyfin, not on Kodi', async function () {
    jellyfin.version = '10.11.0'; // 10.9 and 10.10 do not let an API key take items out of a playlist
    jellyfin.addMovies(3, { folder: '/jf/movies', userId: anna.Id });
    plex.addMovies(3, { folder: '/plex/movies' });
    kodi.addMovies(3, { folder: '/kodi/movies' });
    await load();
    const applied = collect('applied');
    const items = ['Movie 0001', 'Movie 0003'].map((m) => ({ path: `/movies/${m} (2000)/${m} (2000).mkv` }));
    helper.getNode('sync').receive({ topic: 'playlist', payload: { name: 'Friday', user: 'anna', items } });
    await until(() => applied.length === 1, 'the result');
    applied[0].payload.results
      .map((r) => [r.player, r.status, r.added])
      .should.eql([
        ['Den', 'unsupported', 0],
        ['Jelly', 'verified', 2],
        ['Attic', 'verified', 2],
      ]);
    // Changed: one item out, one in, one the players do not have.
    const next = ['Movie 0001', 'Movie 0002', 'Nowhere'].map((m) => `/movies/${m} (2000)/${m} (2000).mkv`);
    helper
      .getNode('sync')
      .receive({ topic: 'playlist', payload: { name: 'friday', user: 'anna', items: next } });
    await until(() => applied.length === 2, 'the second result');
    applied[1].payload.results
      .slice(1)
      .map((r) => [r.status, r.added, r.removed, r.missing.length])
      .should.eql([
        ['verified', 1, 1, 1],
        ['verified', 1, 1, 1],
      ]);
    // The same again: nothing to change.
    helper
      .getNode('sync')
      .receive({ topic: 'playlist', payload: { name: 'Friday', user: 'anna', items: next } });
    await until(() => applied.length === 3, 'the third result');
    applied[2].payload.results
      .slice(1)
      .map((r) => r.status)
      .should.eql(['already', 'already']);
  });

  it('a user created on one Jellyfin server: made on the other with a password in the result only; deleted when allowed', async function () {
    const second = await new JellyfinSim().start();
    try {
      second.addLibrary('Movies', 'movies', ['/jf2/movies']);
      await helper.load(
        [nodes.jellyfinServer, nodes.pathMappings, nodes.watchedSync],
        [
          { id: 'tab', type: 'tab' },
          { id: 'jf', type: 'jellyfin-server', name: 'Jelly', url: jellyfin.url },
          { id: 'jf2', type: 'jellyfin-server', name: 'Second', url: second.url },
          {
            id: 'sync',
            type: 'watched-sync',
            z: 'tab',
            players: [{ id: 'jf' }, { id: 'jf2' }],
            propagateUsers: 'create-delete',
            wires: [['applied'], ['failed']],
          },
          { id: 'applied', type: 'helper', z: 'tab' },
          { id: 'failed', type: 'helper', z: 'tab' },
        ],
        { jf: { apiKey: jellyfin.apiKey }, jf2: { apiKey: second.apiKey } },
      );
      const applied = collect('applied');
      // As jellyfin-webhook passes on the plugin's UserCreated.
      helper
        .getNode('sync')
        .receive({ topic: 'user', payload: { action: 'created', name: 'cleo', playerId: 'jf' } });
      await until(() => applied.length === 1, 'created');
      const [r] = applied[0].payload.results;
      r.should.match({ player: 'Second', status: 'created', password: /^[A-Za-z0-9_-]{24}$/ });
      second.users.map((u) => u.Name).should.containEql('cleo');
      JSON.stringify(
        helper
          .log()
          .getCalls()
          .map((c) => c.args),
      ).should.not.containEql(r.password);
      helper
        .getNode('sync')
        .receive({ topic: 'user', payload: { action: 'deleted', name: 'cleo', playerId: 'jf' } });
      await until(() => applied.length === 2, 'deleted');
      applied[1].payload.results[0].status.should.equal('deleted');
      second.users.map((u) => u.Name).should.not.containEql('cleo');
    } finally {
      await second.stop();
    }
  });

  it("Plex users other than the owner: written with the user's own token for this server (plex.tv simulator)", async function () {
    const { PlexTvSim } = require('../sim/plextv-sim');
    const tv = await new PlexTvSim({ ownerToken: plex.token, machines: [plex.machineIdentifier] }).start();
    try {
      const ben = tv.addHomeUser('ben');
      plex.userTokens.set(ben.servers.get(plex.machineIdentifier), 'ben');
      helper.settings({ userDir, playerSync: { plexTvUrl: tv.url, plexClientsUrl: tv.url } });
      await load({}, [{ id: 'kodi' }, { id: 'plex', users: 'anna, ben' }]);
      const applied = collect('applied');
      helper.getNode('sync').receive({ payload: { path: `/movies/${FILM}`, user: 'ben', played: true } });
      await until(() => applied.length === 1, 'the result');
      applied[0].payload.results[1].should.match({ player: 'Attic', status: 'verified', user: 'ben' });
      plex.views.get(`ben|${plexFilm().ratingKey}`).viewCount.should.equal(1, "ben's own state");
      (plexFilm().viewCount || 0).should.equal(0, "the owner's is untouched");
      // A listed name that is no Home user or friend is not guessed to be the owner: not written as anyone.
      helper.getNode('sync').receive({ payload: { path: `/movies/${FILM}`, user: 'anna', played: true } });
      await until(() => applied.length === 2, 'the second result');
      applied[1].payload.results[1].should.match({
        status: 'skipped',
        reason: /no Plex Home user or friend/,
      });
      (plexFilm().viewCount || 0).should.equal(0);
      // A user not listed for Plex: not synced there.
      helper.getNode('sync').receive({ payload: { path: `/movies/${FILM}`, user: 'cleo', rating: 5 } });
      await until(() => applied.length === 3, 'the third result');
      applied[2].payload.results[1].status.should.equal('skipped');
    } finally {
      await tv.stop();
    }
  });

  it('closed (a deploy) while a position waits out its debounce: kept in the store for the next start', async function () {
    await load({ debounce: 30 });
    helper.getNode('sync').receive({
      topic: 'progress',
      payload: {
        playerId: 'plex',
        user: 'anna',
        item: { libraryPath: `/movies/${FILM}` },
        positionS: 2400,
        runtimeS: 6000,
      },
    });
    await until(() => /position in/.test(helper.getNode('sync').status.lastCall?.args[0].text || ''), 'held');
    await helper.unload();
    const log = fs.readFileSync(path.join(userDir, 'player-sync', 'store', 'watched-sync.log'), 'utf8');
    log.should.containEql('"positionS":2400');
    log.should.containEql('the node was closed');
  });
});
