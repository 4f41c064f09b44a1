'use strict';
// player-sync through real flows, against the Kodi, Jellyfin and Plex simulators: batching, priority, deferral
// during playback, a player that is away, and a restart in the middle of the queue.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, nodes, withOutputs, lastStatus } = require('../lib/nodes');
const { KodiSim } = require('../sim/kodi-sim');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');
const { until, next } = require('../lib/wait');
const { journalFile, readJournalLog } = require('../../nodes/sync/journal');
const bodies = require('../fixtures/arr-bodies.json');

const types = [
  nodes.kodiPlayer,
  nodes.jellyfinServer,
  nodes.plexServer,
  nodes.pathMappings,
  nodes.arrEvent,
  nodes.playerSync,
];

describe('player-sync (simulators)', function () {
  this.timeout(20000);
  let kodi;
  let kodi2;
  let jellyfin;
  let plex;
  let userDir;

  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-test-'));
    helper.settings({ userDir });
    kodi = await new KodiSim().start();
    kodi.sources = ['/kodi/movies/', '/kodi/tv/'];
    kodi2 = await new KodiSim().start();
    kodi2.sources = ['/kodi/movies/'];
    jellyfin = await new JellyfinSim({ monitorDelayMs: 30 }).start();
    jellyfin.addLibrary('Movies', 'movies', ['/jf/movies']);
    plex = await new PlexSim({ scanMs: 30 }).start();
    plex.addSection('Movies', 'movie', ['/plex/movies']);
  });
  afterEach(async function () {
    await helper.unload();
    for (const sim of [kodi, kodi2, jellyfin, plex]) await sim.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  /** A Radarr movie (library side /movies/...) as each player sees it, ready to be found after a scan. */
  function movie(name, { players = ['kodi', 'jellyfin', 'plex'] } = {}) {
    const file = `${name}/${name}.mkv`;
    if (players.includes('kodi'))
      kodi.addOnScan(`/kodi/movies/${name}/`, [{ type: 'movie', title: name, file: `/kodi/movies/${file}` }]);
    if (players.includes('kodi2'))
      kodi2.addOnScan(`/kodi/movies/${name}/`, [
        { type: 'movie', title: name, file: `/kodi/movies/${file}` },
      ]);
    if (players.includes('jellyfin')) jellyfin.addFile(`/jf/movies/${file}`, name);
    if (players.includes('plex')) plex.addFile(`/plex/movies/${file}`, name);
    return { folder: `/movies/${name}/`, file: `/movies/${file}` };
  }

  function flow({ players = ['kodi', 'jellyfin', 'plex'], sync = {} } = {}) {
    const z = 'tab';
    const config = {
      kodi: {
        id: 'kodi',
        type: 'kodi-player',
        name: 'Living room',
        host: '127.0.0.1',
        httpPort: kodi.httpPort,
        wsPort: kodi.wsPort,
        mappings: 'mk',
      },
      kodi2: {
        id: 'kodi2',
        type: 'kodi-player',
        name: 'Bedroom',
        host: '127.0.0.1',
        httpPort: kodi2.httpPort,
        wsPort: kodi2.wsPort,
        mappings: 'mk',
      },
      jellyfin: {
        id: 'jellyfin',
        type: 'jellyfin-server',
        name: 'Jellyfin',
        url: jellyfin.url,
        mappings: 'mj',
      },
      plex: { id: 'plex', type: 'plex-server', name: 'Plex', url: plex.url, clientId: 'c', mappings: 'mp' },
    };
    const entries = players.map((p) => (typeof p === 'string' ? { id: p } : p));
    return [
      { id: z, type: 'tab' },
      {
        id: 'mk',
        type: 'path-mappings',
        rules: [
          { from: '/movies', to: '/kodi/movies' },
          { from: '/tv', to: '/kodi/tv' },
        ],
      },
      { id: 'mj', type: 'path-mappings', rules: [{ from: '/movies', to: '/jf/movies' }] },
      { id: 'mp', type: 'path-mappings', rules: [{ from: '/movies', to: '/plex/movies' }] },
      ...entries.map((e) => config[e.id]),
      ...withOutputs({ id: 'arr', type: 'arr-event', z, wires: [] }, 1).map((n) =>
        n.id === 'arr' ? { ...n, wires: [['sync']] } : n,
      ),
      ...withOutputs({
        id: 'sync',
        type: 'player-sync',
        z,
        players: entries,
        batchWindow: 0.2,
        timeout: 5,
        deferPoll: 30,
        retryMin: 0.05,
        pollInterval: 0.05,
        ...sync,
      }),
      { id: 'catcher', type: 'catch', z, scope: null, wires: [['caught']] },
      { id: 'caught', type: 'helper', z },
    ];
  }
  const load = (options) =>
    helper.load(types, flow(options), {
      kodi: { username: kodi.username, password: kodi.password },
      kodi2: { username: kodi2.username, password: kodi2.password },
      jellyfin: { apiKey: jellyfin.apiKey },
      plex: { token: plex.token },
    });
  const jellyfinRefreshes = () => jellyfin.log.filter((r) => /^\/Items\/[0-9a-f]+\/Refresh$/.test(r.path));
  const scans = (sim) =>
    sim.requests.filter((r) => r.method === 'VideoLibrary.Scan').map((r) => r.params.directory);

  /** Collects `count` messages from a player-sync output. */
  function collect(port, count) {
    const got = [];
    return new Promise((resolve) => {
      helper.getNode(`sync-${port}`).on('input', (m) => {
        got.push(m);
        if (got.length === count) resolve(got);
      });
    });
  }

  it('a Radarr import body becomes a verified item on every player', async function () {
    const m = movie('Inception (2010)');
    await load();
    const body = JSON.parse(JSON.stringify(bodies['radarr-download']));
    body.movie.folderPath = m.folder.slice(0, -1);
    body.movieFile.path = m.file;
    const synced = collect(1, 1);
    helper.getNode('arr').receive({ payload: body });
    const [msg] = await synced;
    msg.payload.ok.should.be.true();
    msg.payload.item.should.match({ path: m.folder, action: 'added', type: 'movie', title: 'Inception' });
    msg.payload.results
      .map((r) => [r.player, r.status])
      .sort()
      .should.eql([
        ['Jellyfin', 'verified'],
        ['Living room', 'verified'],
        ['Plex', 'verified'],
      ]);
    scans(kodi).should.eql(['/kodi/movies/Inception (2010)/']);
    // The status says it is done: one of one, green.
    await until(() => lastStatus(helper.getNode('sync'))?.text === '1/1', 'the status 1/1');
    lastStatus(helper.getNode('sync')).should.match({ fill: 'green', text: '1/1' });
    // Jellyfin: its library refreshed at once ("immediate"), not Media/Updated and its monitor delay.
    jellyfinRefreshes().should.have.length(1);
    jellyfin.requests('/Library/Media/Updated').should.have.length(0);
    plex.log.filter((r) => /\/refresh$/.test(r.path)).should.have.length(1);
  });

  it('a burst of changes to a few folders becomes one update per folder and player', async function () {
    const movies = ['A (2001)', 'B (2002)', 'C (2003)'].map((n) => movie(n));
    await load();
    const out = collect(1, 30);
    for (let i = 0; i < 30; i++) {
      helper
        .getNode('sync')
        .receive({ payload: { path: movies[i % 3].folder, action: i < 3 ? 'added' : 'updated' } });
    }
    const msgs = await out;
    msgs.every((m) => m.payload.ok).should.be.true();
    scans(kodi)
      .sort()
      .should.eql(['/kodi/movies/A (2001)/', '/kodi/movies/B (2002)/', '/kodi/movies/C (2003)/']);
    jellyfinRefreshes().should.have.length(3);
    plex.log.filter((r) => /\/refresh$/.test(r.path)).should.have.length(3);
  });

  it('many new folders under one parent become one Kodi scan of the parent, each folder verified', async function () {
    const names = Array.from({ length: 10 }, (_, i) => `Bulk ${i} (2020)`);
    const ms = names.map((n) => movie(n, { players: ['kodi'] }));
    await load({ players: ['kodi'] });
    const out = collect(1, 10);
    helper.getNode('sync').receive({ payload: ms.map((m) => ({ path: m.folder, action: 'added' })) });
    const msgs = await out;
    msgs.map((m) => m.payload.results[0].status).should.eql(Array(10).fill('verified'));
    scans(kodi).should.eql(['/kodi/movies/']);
  });

  it('a folder the scan of its parent did not bring in is scanned again alone; the others are not', async function () {
    const names = Array.from({ length: 10 }, (_, i) => `Batch ${i} (2021)`);
    const ms = names.map((n) => movie(n, { players: ['kodi'] }));
    // Kodi's directory cache did not list this one when the parent was scanned: only its own scan finds it.
    const late = 'Late (2021)';
    kodi.addOnScan(
      `/kodi/movies/${late}/`,
      [{ type: 'movie', title: late, file: `/kodi/movies/${late}/l.mkv` }],
      {
        exact: true,
      },
    );
    await load({ players: ['kodi'] });
    const out = collect(1, 11);
    helper.getNode('sync').receive({
      payload: [...ms.map((m) => m.folder), `/movies/${late}/`].map((p) => ({ path: p, action: 'added' })),
    });
    const msgs = await out;
    msgs.map((m) => m.payload.results[0].status).should.eql(Array(11).fill('verified'));
    scans(kodi).should.eql(['/kodi/movies/', `/kodi/movies/${late}/`]);
    const lateResult = msgs.find((m) => m.payload.item.path === `/movies/${late}/`).payload.results[0];
    lateResult.sent.map((c) => c.params.directory).should.eql(['/kodi/movies/', `/kodi/movies/${late}/`]);
  });

  it("a new parent folder Kodi's directory cache does not list yet is listed and scanned again, once", async function () {
    // The bulk's folder was made after Kodi last listed the movie folder: Kodi skips the first scan of it.
    const names = Array.from({ length: 10 }, (_, i) => `Cached ${i} (2023)`);
    for (const n of names)
      kodi.addOnScan(`/kodi/movies/new/${n}/`, [
        { type: 'movie', title: n, file: `/kodi/movies/new/${n}/${n}.mkv` },
      ]);
    kodi.staleListingOf('/kodi/movies/new/');
    await load({ players: ['kodi'] });
    const out = collect(1, 10);
    helper
      .getNode('sync')
      .receive({ payload: names.map((n) => ({ path: `/movies/new/${n}/`, action: 'added' })) });
    const msgs = await out;
    msgs.map((m) => m.payload.results[0].status).should.eql(Array(10).fill('verified'));
    // Listed, scanned again: two scans of the parent in all, never one per folder.
    kodi.listed.should.eql(['/kodi/movies/']);
    scans(kodi).should.eql(['/kodi/movies/new/', '/kodi/movies/new/']);
    msgs[0].payload.results[0].should.containDeep({ rescanned: true, scannedParent: '/kodi/movies/new/' });
  });

  it('a failed verification query retries those folders alone, not the whole batch', async function () {
    const names = Array.from({ length: 10 }, (_, i) => `Checked ${i} (2022)`);
    const ms = names.map((n) => movie(n, { players: ['kodi'] }));
    await load({ players: ['kodi'] });
    // The first library query with several paths in it (the batch's verification) fails once.
    let failed = false;
    kodi.rawAnswer = (request) => {
      if (failed || request.method !== 'VideoLibrary.GetMovies' || !request.params.filter?.or)
        return undefined;
      failed = true;
      return JSON.stringify({
        jsonrpc: '2.0',
        id: request.id,
        error: { code: -32603, message: 'Internal error.' },
      });
    };
    const out = collect(1, 10);
    helper.getNode('sync').receive({ payload: ms.map((m) => ({ path: m.folder, action: 'added' })) });
    const msgs = await out;
    failed.should.be.true();
    msgs.map((m) => m.payload.results[0].status).should.eql(Array(10).fill('verified'));
    // One scan of the parent; then each folder on its own (already in the library: verified after its scan).
    scans(kodi)[0].should.equal('/kodi/movies/');
    scans(kodi)
      .filter((d) => d === '/kodi/movies/')
      .should.have.length(1, 'the batch was not sent again');
  });

  it('high priority goes ahead of normal work', async function () {
    const slow = movie('Normal (2000)', { players: ['kodi'] });
    const fast = movie('Urgent (2000)', { players: ['kodi'] });
    await load({ players: ['kodi'], sync: { batchWindow: 1 } });
    const out = collect(1, 2);
    helper.getNode('sync').receive({ payload: slow.folder });
    helper.getNode('sync').receive({ payload: fast.folder, priority: 'high' });
    await out;
    scans(kodi).should.eql(['/kodi/movies/Urgent (2000)/', '/kodi/movies/Normal (2000)/']);
  });

  it('a change arriving while Kodi plays is deferred, and applied after playback stops', async function () {
    const m = movie('Later (2011)', { players: ['kodi'] });
    kodi.activePlayers = [
      {
        playerid: 1,
        type: 'video',
        speed: 1,
        percentage: 10,
        item: { id: 9, type: 'movie', title: 'Watching', file: '/kodi/movies/W/W.mkv' },
      },
    ];
    await load({ players: ['kodi'] });
    await until(() => helper.getNode('kodi').connection.websocketUp, 'the WebSocket');
    const out = collect(1, 1);
    const deferred = next(helper.getNode('sync'), 'call:status', 'the deferred status', 5000, (c) =>
      /deferred/.test(c.args[0].text || ''),
    );
    helper.getNode('sync').receive({ payload: m.folder });
    (await deferred).args[0].should.eql({
      fill: 'yellow',
      shape: 'ring',
      text: '0/1 deferred: playing',
    });
    scans(kodi).should.be.empty();
    kodi.activePlayers = [];
    kodi.notify('Player.OnStop', { item: { id: 9, type: 'movie' }, end: false });
    const [msg] = await out;
    msg.payload.results[0].should.match({ status: 'verified', player: 'Living room' });
    scans(kodi).should.eql(['/kodi/movies/Later (2011)/']);
  });

  it('"skip" while playing reports the player as skipped', async function () {
    const m = movie('Skipped (2011)', { players: ['kodi'] });
    kodi.activePlayers = [
      {
        playerid: 1,
        type: 'video',
        speed: 1,
        percentage: 10,
        item: { id: 9, type: 'movie', title: 'Watching' },
      },
    ];
    await load({ players: ['kodi'], sync: { whilePlaying: 'skip' } });
    const out = collect(1, 1);
    helper.getNode('sync').receive({ payload: m.folder });
    const [msg] = await out;
    msg.payload.results[0].should.match({ status: 'skipped', reason: 'playing: Watching' });
    scans(kodi).should.be.empty();
  });

  it('a player that is down gets its work once it is back', async function () {
    const m = movie('Patience (2015)', { players: ['jellyfin'] });
    await load({ players: ['jellyfin'] });
    await jellyfin.stop();
    const out = collect(1, 1);
    const retrying = next(helper.getNode('sync'), 'call:status', 'retrying', 5000, (c) =>
      /retrying/.test(c.args[0].text || ''),
    );
    helper.getNode('sync').receive({ payload: m.folder });
    await retrying;
    await jellyfin.start(); // same port
    const [msg] = await out;
    msg.payload.results[0].should.match({ status: 'verified', player: 'Jellyfin' });
  });

  it('a group of Kodi players sharing a database is updated once, through the first member that answers', async function () {
    const m = movie('Shared (2012)', { players: ['kodi', 'kodi2'] });
    await load({
      players: [
        { id: 'kodi', group: 'house' },
        { id: 'kodi2', group: 'house' },
      ],
    });
    await kodi.stop();
    const out = collect(1, 1);
    helper.getNode('sync').receive({ payload: m.folder });
    const [msg] = await out;
    msg.payload.results.should.have.length(1);
    msg.payload.results[0].should.match({ status: 'verified', group: 'house', via: 'Bedroom' });
    scans(kodi2).should.eql(['/kodi/movies/Shared (2012)/']);
  });

  it('a restart in the middle of the queue loses nothing and repeats nothing', async function () {
    const first = movie('Before (2001)', { players: ['kodi'] });
    const second = movie('After (2002)', { players: ['kodi'] });
    await load({ players: ['kodi'] });
    await until(() => helper.getNode('kodi').connection.websocketUp, 'the WebSocket');
    const out = collect(1, 1);
    helper.getNode('sync').receive({ payload: first.folder });
    await out;
    // Someone starts watching; the next change waits in the journal when Node-RED goes down.
    kodi.activePlayers = [
      { playerid: 1, type: 'video', speed: 1, item: { id: 9, type: 'movie', title: 'Watching' } },
    ];
    const deferred = next(helper.getNode('sync'), 'call:status', 'deferred', 5000, (c) =>
      /deferred/.test(c.args[0].text || ''),
    );
    helper.getNode('sync').receive({ payload: second.folder });
    await deferred;
    await helper.unload();
    // The deferred change is on disk in the store (unload waited for its last write).
    readJournalLog(fs.readFileSync(journalFile(userDir, 'sync'), 'utf8'))
      .map((e) => e.item.path)
      .should.eql([second.folder]);
    kodi.activePlayers = [];
    await load({ players: ['kodi'] });
    const [msg] = await collect(1, 1);
    msg.payload.should.match({ ok: true, restored: true, item: { path: second.folder } });
    scans(kodi).should.eql(['/kodi/movies/Before (2001)/', '/kodi/movies/After (2002)/']);
    // A change comes out only once its end is on disk.
    readJournalLog(fs.readFileSync(journalFile(userDir, 'sync'), 'utf8')).should.be.empty();
  });

  it('the *arr Test event passes straight through; bad bodies give clear errors and the next good one works', async function () {
    const m = movie('Good (2020)', { players: ['kodi'] });
    await load({ players: ['kodi'] });
    const test = next(helper.getNode('sync-1'), 'input', 'the test result');
    helper.getNode('arr').receive({ payload: { eventType: 'Test', instanceName: 'Radarr' } });
    (await test).payload.should.match({ result: 'test' });
    const caught = next(helper.getNode('caught'), 'input', 'the error');
    helper.getNode('sync').receive({ payload: { action: 'added' } });
    (await caught).error.message.should.match(/player-sync: msg.payload has no "path"/);
    const out = collect(1, 1);
    helper.getNode('sync').receive({ payload: m.folder });
    (await out)[0].payload.ok.should.be.true();
  });

  it('an item a player cannot take for good goes to output 2 with the reason', async function () {
    await load({ players: ['plex'] });
    const out = collect(2, 1);
    helper.getNode('sync').receive({ payload: '/elsewhere/Film (2000)/' });
    const [msg] = await out;
    msg.payload.ok.should.be.false();
    msg.payload.results[0].should.match({ status: 'not-verified', player: 'Plex' });
    msg.payload.results[0].reason.should.match(/is in no Plex library section/);
  });
});
