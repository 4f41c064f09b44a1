'use strict';
// End to end against a real Kodi (Debian's package, headless), through real Node-RED flows.
require('should');
const fs = require('node:fs');
const path = require('node:path');
const WebSocket = require('ws');
const { helper, nodes, run, withOutputs } = require('../lib/nodes');
const { sharedKodi } = require('../kodi-real/kodi-harness');
const { until } = require('../lib/wait');

const types = [
  nodes.kodiPlayer,
  nodes.pathMappings,
  nodes.kodiScan,
  nodes.kodiRefresh,
  nodes.kodiRemove,
  nodes.activeCheck,
  nodes.kodiClean,
  nodes.waitScanFinished,
];

/** The flow every test uses: the library sees /library/movies and /library/tv, Kodi sees its own folders. */
function flow(kodi, { wsPort = kodi.wsPort, httpPort = kodi.httpPort } = {}) {
  const z = 'tab';
  return [
    { id: z, type: 'tab' },
    {
      id: 'maps',
      type: 'path-mappings',
      name: 'library → Kodi',
      rules: [
        { from: '/library/movies', to: kodi.movies },
        { from: '/library/tv', to: kodi.tv },
        { from: '/library/outside', to: kodi.outside },
      ],
      trailing: 'keep',
    },
    {
      id: 'kodi',
      type: 'kodi-player',
      name: 'Test Kodi',
      host: '127.0.0.1',
      httpPort,
      wsPort,
      mappings: 'maps',
      timeout: 10,
    },
    ...withOutputs({ id: 'scan', type: 'kodi-scan', z, kodi: 'kodi', timeout: 30, fallbackTimeout: 60 }),
    ...withOutputs({ id: 'refresh', type: 'kodi-refresh', z, kodi: 'kodi', timeout: 30 }),
    ...withOutputs({ id: 'remove', type: 'kodi-remove', z, kodi: 'kodi' }),
    ...withOutputs({ id: 'active', type: 'active-check', z, playerType: 'kodi', kodi: 'kodi' }),
    ...withOutputs({
      id: 'dry',
      type: 'kodi-clean',
      z,
      kodi: 'kodi',
      anchors: '/library/movies/.anchor',
      maxShare: 50,
    }),
    ...withOutputs({
      id: 'clean',
      type: 'kodi-clean',
      z,
      kodi: 'kodi',
      confirmed: true,
      dryRun: false,
      maxShare: 50,
      anchors: '/library/movies/.anchor\n/library/tv/',
    }),
    ...withOutputs({
      id: 'cleanmissing',
      type: 'kodi-clean',
      z,
      kodi: 'kodi',
      confirmed: true,
      dryRun: false,
      maxShare: 50,
      anchors: '/library/movies/.anchor\n/library/movies/.never-there',
    }),
    ...withOutputs({ id: 'wait', type: 'wait-scan-finished', z, kodi: 'kodi', timeout: 60 }),
    ...withOutputs({
      id: 'waitscan',
      type: 'wait-scan-finished',
      z,
      kodi: 'kodi',
      idle: 'wait',
      startWait: 30,
    }),
    ...withOutputs({
      id: 'waitstart',
      type: 'wait-scan-finished',
      z,
      kodi: 'kodi',
      idle: 'wait',
      startWait: 1,
    }),
    { id: 'catcher', type: 'catch', z, scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z },
  ];
}

const creds = (kodi) => ({ kodi: { username: kodi.username, password: kodi.password } });

/** Kodi's notifications, seen by a WebSocket of the test's own. */
async function watchNotifications(kodi) {
  const ws = new WebSocket(`ws://127.0.0.1:${kodi.wsPort}/jsonrpc`, { skipUTF8Validation: true });
  const seen = [];
  ws.on('message', (raw) => {
    let msg;
    try {
      msg = JSON.parse(String(raw));
    } catch {
      return; // Kodi 20 sometimes sends a frame that is not JSON text
    }
    if (msg.method) seen.push(msg);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { seen, close: () => ws.close() };
}

/** Asserts the message left by output `port`, saying what came instead; returns msg.payload. */
function outOf(out, port) {
  const what = out.error ? `error: ${out.error.message}` : JSON.stringify(out.msg.payload);
  (out.port === port).should.be.true(
    `expected output ${port}, got ${out.port ? `output ${out.port}` : ''} ${what}`,
  );
  return out.msg.payload;
}

const lib = (kodi, file) => {
  for (const [from, to] of [
    ['/library/movies/', kodi.movies],
    ['/library/tv/', kodi.tv],
    ['/library/outside/', kodi.outside],
  ]) {
    if (file.startsWith(to)) return from + file.slice(to.length);
  }
  throw new Error(`not under a test folder: ${file}`);
};

describe('Kodi nodes against a real Kodi', function () {
  this.timeout(120000);
  let kodi;

  before(async function () {
    this.timeout(180000);
    kodi = await sharedKodi(this);
    await new Promise((resolve) => helper.startServer(resolve));
  });
  after(function (done) {
    if (!kodi) return done();
    helper.stopServer(done);
  });
  beforeEach(async function () {
    await helper.load(types, flow(kodi), creds(kodi));
  });
  afterEach(async function () {
    await helper.unload();
  });

  it('1. a new movie folder → kodi-scan → verified in the library', async function () {
    const movie = kodi.addMovie('Night Train', 1959);
    const out = await run('scan', { payload: lib(kodi, movie.folder) });
    out.port.should.equal(1, JSON.stringify(out.msg && out.msg.payload));
    const r = out.msg.payload;
    r.should.match({ status: 'verified', ok: true, action: 'scan', player: 'Test Kodi', playerType: 'kodi' });
    r.completion.should.equal('event');
    r.items.should.have.length(1);
    r.items[0].should.match({ type: 'movie', title: 'Night Train', file: movie.file });
    r.added.should.eql([{ id: r.items[0].id, type: 'movie' }]); // Kodi's own OnUpdate {added} for it
    r.sent.should.eql([
      { method: 'VideoLibrary.Scan', params: { directory: movie.folder, showdialogs: false } },
    ]);
    r.tookMs.should.be.a.Number();
  });

  it('2. its NFO title changes → kodi-refresh → Kodi shows the new title', async function () {
    const movie = kodi.addMovie('Paper Moon Draft', 1973);
    outOf(await run('scan', { payload: lib(kodi, movie.file) }), 1).status.should.equal('verified');
    kodi.writeMovieNfo(movie.folder, 'Paper Moon', 1973);
    const out = await run('refresh', { payload: lib(kodi, movie.file) });
    out.port.should.equal(1, JSON.stringify(out.msg && out.msg.payload));
    out.msg.payload.should.match({ status: 'verified', action: 'refresh' });
    out.msg.payload.before[0].title.should.equal('Paper Moon Draft');
    out.msg.payload.items[0].title.should.equal('Paper Moon');
    out.msg.payload.sent[0].method.should.equal('VideoLibrary.RefreshMovie');
    const { movies } = await kodi.rpc('VideoLibrary.GetMovies', {
      properties: ['title'],
      filter: { field: 'path', operator: 'is', value: movie.folder },
    });
    movies.map((m) => m.title).should.eql(['Paper Moon']);
  });

  it('3. a new show, then a new episode in that existing show', async function () {
    kodi.addShow('Harbour Lights', 2019);
    const first = kodi.addEpisode('Harbour Lights', 1, 1, 'Arrival');
    const out = await run('scan', { payload: lib(kodi, first.file) });
    out.port.should.equal(1, JSON.stringify(out.msg && out.msg.payload));
    out.msg.payload.items.should.match([{ type: 'episode', title: 'Harbour Lights S01E01 Arrival' }]);
    // A new show is scanned through its show folder: Kodi adds nothing for a season folder of an unknown show.
    out.msg.payload.sent[0].params.directory.should.equal(path.join(kodi.tv, 'Harbour Lights') + '/');

    const second = kodi.addEpisode('Harbour Lights', 1, 2, 'Departure');
    const next = await run('scan', { payload: lib(kodi, second.file) });
    next.port.should.equal(1, JSON.stringify(next.msg && next.msg.payload));
    next.msg.payload.items.should.match([{ type: 'episode', title: 'Harbour Lights S01E02 Departure' }]);
    next.msg.payload.sent[0].params.directory.should.equal(second.folder); // the show is known: just the season
  });

  it('4. the movie folder is deleted → kodi-remove → gone; removing it again gives not-in-library', async function () {
    const movie = kodi.addMovie('Short Lived', 2001);
    outOf(await run('scan', { payload: lib(kodi, movie.folder) }), 1).status.should.equal('verified');
    fs.rmSync(movie.folder, { recursive: true });
    const out = await run('remove', { payload: lib(kodi, movie.folder) });
    out.port.should.equal(1, JSON.stringify(out.msg && out.msg.payload));
    out.msg.payload.should.match({ status: 'removed', items: [{ type: 'movie', title: 'Short Lived' }] });
    out.msg.payload.sent[0].method.should.equal('VideoLibrary.RemoveMovie');
    const { movies = [] } = await kodi.rpc('VideoLibrary.GetMovies', {
      filter: { field: 'path', operator: 'is', value: movie.folder },
    });
    movies.should.be.empty();
    const again = await run('remove', { payload: lib(kodi, movie.folder) });
    again.port.should.equal(1);
    again.msg.payload.should.match({ status: 'not-in-library', ok: true, items: [], sent: [] });
  });

  it('5. ten movies sent at once → ten targeted scans, one after another, all verified, none cancelled', async function () {
    const watch = await watchNotifications(kodi);
    try {
      const movies = Array.from({ length: 10 }, (_, i) => kodi.addMovie(`Burst ${i + 1}`, 2000 + i));
      const outs = await Promise.all(movies.map((m) => run('scan', { payload: lib(kodi, m.folder) })));
      outs.forEach((o, i) => {
        o.port.should.equal(1, JSON.stringify(o.msg && o.msg.payload));
        o.msg.payload.items[0].title.should.equal(`Burst ${i + 1}`);
        o.msg.payload.sent.should.have.length(1);
        o.msg.payload.sent[0].params.directory.should.equal(movies[i].folder);
      });
      const scanEvents = () =>
        watch.seen
          .map((n) => n.method)
          .filter((m) => m === 'VideoLibrary.OnScanStarted' || m === 'VideoLibrary.OnScanFinished');
      // The test's own socket may hear the last OnScanFinished a moment after the node's did.
      await until(() => scanEvents().length >= 20, "Kodi's 20 scan notifications", 30000);
      const scans = scanEvents();
      // One after another: started, finished, started, finished… — a cancelled scan would break the pattern.
      scans.should.eql(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0 ? 'VideoLibrary.OnScanStarted' : 'VideoLibrary.OnScanFinished',
        ),
      );
    } finally {
      watch.close();
    }
  });

  it('6. while a video plays: active-check says "active" and kodi-remove refuses to remove it', async function () {
    const movie = kodi.addMovie('Playing Now', 1988, { video: { copyFrom: kodi.clip() } });
    outOf(await run('scan', { payload: lib(kodi, movie.folder) }), 1).status.should.equal('verified');
    await kodi.rpc('Player.Open', { item: { file: movie.file } });
    try {
      // Until frames really play: stopping a player that is still setting up its renderer can crash a headless Kodi.
      const playing = async () => {
        const players = await kodi.rpc('Player.GetActivePlayers');
        if (players.length === 0) return false;
        const props = await kodi.rpc('Player.GetProperties', {
          playerid: players[0].playerid,
          properties: ['time'],
        });
        return props.time.seconds >= 1 || props.time.minutes > 0;
      };
      await until(playing, 'playback', 30000);
      const active = await run('active', { payload: 'check' });
      active.port.should.equal(2, JSON.stringify(active.msg && active.msg.payload));
      active.msg.payload.should.match({ status: 'active', player: 'Test Kodi' });
      active.msg.payload.sessions[0].should.match({ kind: 'video', file: movie.file, paused: false });
      const removed = await run('remove', { payload: lib(kodi, movie.folder) });
      removed.port.should.equal(2);
      removed.msg.payload.should.match({ status: 'refused', ok: false, sent: [] });
      removed.msg.payload.reason.should.match(/is playing on Test Kodi: nothing was removed/);
      const { movies } = await kodi.rpc('VideoLibrary.GetMovies', {
        filter: { field: 'path', operator: 'is', value: movie.folder },
      });
      movies.should.have.length(1);
    } finally {
      await kodi.rpc('Player.Stop', { playerid: 1 }).catch(() => undefined);
    }
    await until(
      async () => (await kodi.rpc('Player.GetActivePlayers')).length === 0,
      'playback to stop',
      30000,
    );
    const idle = await run('active', { payload: 'check' });
    idle.port.should.equal(1);
  });

  it('7. the library path /library/... is mapped to the Kodi source path', async function () {
    const movie = kodi.addMovie('Mapped Path', 1999);
    const libraryPath = `/library/movies/Mapped Path (1999)/Mapped Path (1999).mkv`;
    const out = await run('scan', { payload: { path: libraryPath } });
    out.msg.payload.should.match({ status: 'verified', libraryPath, playerPath: movie.file });
    out.msg.payload.sent[0].params.directory.should.equal(movie.folder);
  });

  it('10. a folder outside every source → output 2 "not verified", saying so', async function () {
    const movie = kodi.addMovie('Nowhere', 1990, { dir: kodi.outside });
    const out = await run('scan', { payload: lib(kodi, movie.folder) });
    out.port.should.equal(2);
    out.msg.payload.should.match({ status: 'not-verified', ok: false, sent: [] });
    out.msg.payload.reason.should.match(
      /is outside every Kodi video source \(Movies: .*; TV: .*\).*add the folder/,
    );
  });

  it('bad input: no path gives a clear error and the next message works', async function () {
    const bad = await run('scan', { payload: 42 });
    bad.error.message.should.match(/kodi-scan: no library path in msg.payload \(or msg.payload.path\)/);
    const movie = kodi.addMovie('After Bad Input', 2005);
    outOf(await run('scan', { payload: lib(kodi, movie.folder) }), 1).status.should.equal('verified');
  });

  it('11. kodi-clean: the dry run lists exactly the entries whose files were deleted; a missing anchor refuses', async function () {
    fs.writeFileSync(path.join(kodi.movies, '.anchor'), 'keep');
    const a = kodi.addMovie('Doomed A', 1961);
    const b = kodi.addMovie('Doomed B', 1962);
    const keep = kodi.addMovie('Survivor', 1963);
    for (const m of [a, b, keep]) {
      outOf(await run('scan', { payload: lib(kodi, m.folder) }), 1).status.should.equal('verified');
    }
    fs.rmSync(a.file);
    fs.rmSync(b.folder, { recursive: true });
    const dry = outOf(await run('dry', { payload: 'weekly' }), 1);
    dry.should.match({ status: 'dry-run', ok: true, dryRun: true, sent: [] });
    dry.unreachable
      .map((i) => i.file)
      .sort()
      .should.eql([a.file, b.file].sort());
    (dry.reason === undefined).should.be.true();
    const still = await kodi.rpc('VideoLibrary.GetMovies', {
      filter: { field: 'title', operator: 'is', value: 'Doomed A' },
    });
    still.movies.should.have.length(1); // a dry run removes nothing

    const refused = outOf(await run('cleanmissing', { payload: 'go' }), 2);
    refused.should.match({ status: 'refused', sent: [] });
    refused.reason.should.match(
      /cannot reach the anchor ".*\/movies\/\.never-there".*could empty the library/,
    );
    refused.anchors.map((a) => a.reachable).should.eql([true, false]);

    const cleaned = outOf(await run('clean', { payload: 'go' }), 1);
    cleaned.should.match({ status: 'cleaned', completion: 'event' });
    cleaned.removed
      .map((i) => i.title)
      .sort()
      .should.eql(['Doomed A', 'Doomed B']);
    cleaned.sent.should.eql([
      { method: 'VideoLibrary.Clean', params: { showdialogs: false, content: 'video' } },
    ]);
    const left = await kodi.rpc('VideoLibrary.GetMovies', { properties: ['title'] });
    const titles = left.movies.map((m) => m.title);
    titles.should.containEql('Survivor');
    titles.should.not.containEql('Doomed A');
  });

  it('wait-scan-finished passes the message when a running scan is over; an idle Kodi passes at once', async function () {
    const idle = await run('wait', { payload: 'x' });
    outOf(idle, 1).should.equal('x');
    idle.msg.waitScan.should.match({ status: 'idle', scanned: false, player: 'Test Kodi' });
    kodi.addMovie('Waited For', 1980);
    // The message arrives first; the scan starts while the node waits for one to begin.
    const pending = run('waitscan', { payload: 'y' });
    await until(() => helper.getNode('kodi').connection.websocketUp, 'the WebSocket');
    await kodi.rpc('VideoLibrary.Scan', { directory: '', showdialogs: false });
    const out = await pending;
    outOf(out, 1).should.equal('y');
    out.msg.waitScan.should.match({ status: 'finished', scanned: true, completion: 'event' });
    const { movies } = await kodi.rpc('VideoLibrary.GetMovies', {
      filter: { field: 'title', operator: 'is', value: 'Waited For' },
    });
    movies.should.have.length(1); // the scan was over when the message passed
    const none = await run('waitstart', { payload: 'z' });
    outOf(none, 1);
    none.msg.waitScan.should.match({ status: 'idle', scanned: false });
    none.msg.waitScan.waitedMs.should.be.aboveOrEqual(1000);
  });

  describe('without the WebSocket', function () {
    beforeEach(async function () {
      await helper.unload();
      // A port where nothing listens: as when "remote control from applications" is off.
      await helper.load(types, flow(kodi, { wsPort: 1 }), creds(kodi));
    });

    it('8. the same scans complete by polling', async function () {
      const movie = kodi.addMovie('Polled', 1977);
      await until(() => helper.getNode('kodi').connection.state === 'http-only', 'HTTP-only state');
      const out = await run('scan', { payload: lib(kodi, movie.folder) });
      out.port.should.equal(1, JSON.stringify(out.msg && out.msg.payload));
      out.msg.payload.should.match({ status: 'verified', completion: 'polling' });
      const refreshed = await run('refresh', { payload: lib(kodi, movie.folder) });
      refreshed.msg.payload.should.match({ status: 'verified', completion: 'polling' });
    });
  });

  it('9. Kodi stopped → a clear error naming the player; the next message after Kodi is back succeeds', async function () {
    this.timeout(180000);
    const movie = kodi.addMovie('Comeback', 1995);
    await kodi.stopKodi();
    try {
      const out = await run('scan', { payload: lib(kodi, movie.folder) });
      (out.error !== undefined).should.be.true(`expected an error, got ${JSON.stringify(out.msg.payload)}`);
      out.error.message.should.match(
        /^PlayerError: Kodi "Test Kodi" \(127\.0\.0\.1:\d+\): Files\.GetSources failed: connection refused .*Kodi is not running at that address, or the HTTP port is wrong/,
      );
      out.error.message.should.not.containEql(kodi.password);
      await until(() => helper.getNode('kodi').connection.state === 'disconnected', 'the disconnected state');
    } finally {
      await kodi.startKodi();
    }
    await until(
      () => helper.getNode('kodi').connection.state === 'connected',
      'the connection to come back',
      60000,
    );
    outOf(await run('scan', { payload: lib(kodi, movie.folder) }), 1).status.should.equal('verified');
  });
});
