'use strict';
// Player paths in other styles than the Linux Kodi of the real-Kodi suite: Windows drives and smb:// shares,
// against the Kodi simulator, through real flows.
require('should');
const { helper, nodes, run, withOutputs } = require('../lib/nodes');
const { KodiSim } = require('../sim/kodi-sim');

function flow(sim, rules) {
  const z = 'tab';
  return [
    { id: z, type: 'tab' },
    { id: 'maps', type: 'path-mappings', rules },
    {
      id: 'kodi',
      type: 'kodi-player',
      name: 'Sim',
      host: '127.0.0.1',
      httpPort: sim.httpPort,
      wsPort: sim.wsPort,
      mappings: 'maps',
    },
    ...withOutputs({ id: 'scan', type: 'kodi-scan', z, kodi: 'kodi', timeout: 5 }),
    ...withOutputs({ id: 'remove', type: 'kodi-remove', z, kodi: 'kodi' }),
    { id: 'catcher', type: 'catch', z, scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z },
  ];
}

describe('Kodi player paths in Windows and smb:// style (simulator)', function () {
  let sim;
  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(async function () {
    sim = await new KodiSim().start();
  });
  afterEach(async function () {
    await helper.unload();
    await sim.stop();
  });

  const load = (rules) =>
    helper.load([nodes.kodiPlayer, nodes.pathMappings, nodes.kodiScan, nodes.kodiRemove], flow(sim, rules), {
      kodi: { username: sim.username, password: sim.password },
    });
  const scans = () =>
    sim.requests.filter((r) => r.method === 'VideoLibrary.Scan').map((r) => r.params.directory);

  it("scans a Windows folder with backslashes and the source's own case, and finds the movie", async function () {
    sim.sources = ['D:\\Movies\\'];
    sim.addOnScan('D:\\Movies\\Film (2020)\\', [
      { type: 'movie', title: 'Film', file: 'D:\\Movies\\Film (2020)\\Film.mkv' },
    ]);
    await load([{ from: '/data/movies', to: 'd:\\movies' }]);
    const out = await run('scan', { payload: '/data/movies/Film (2020)/Film.mkv' });
    out.port.should.equal(1, JSON.stringify(out.msg.payload));
    out.msg.payload.should.match({
      status: 'verified',
      playerPath: 'D:\\Movies\\Film (2020)\\Film.mkv', // as the source writes it
      items: [{ type: 'movie', title: 'Film', file: 'D:\\Movies\\Film (2020)\\Film.mkv' }],
    });
    scans().should.eql(['D:\\Movies\\Film (2020)\\']);
  });

  it('scans an smb:// folder keeping its double slash and trailing slash', async function () {
    sim.sources = ['smb://nas/media/movies/'];
    sim.addOnScan('smb://nas/media/movies/Amélie (2001)/', [
      { type: 'movie', title: 'Amélie', file: 'smb://nas/media/movies/Amélie (2001)/Amélie.mkv' },
    ]);
    await load([{ from: '/mnt/nas/movies', to: 'smb://nas/media/movies' }]);
    const out = await run('scan', { payload: '/mnt/nas/movies/Amélie (2001)' });
    out.msg.payload.should.match({ status: 'verified', items: [{ title: 'Amélie' }] });
    scans().should.eql(['smb://nas/media/movies/Amélie (2001)/']);
  });

  it('finds a TV episode by path in a Windows TV source, scanning the show folder of a new show', async function () {
    sim.sources = ['D:\\TV\\'];
    const file = 'D:\\TV\\Andor\\Season 01\\Andor - S01E01.mkv';
    sim.addOnScan('D:\\TV\\Andor\\', [
      { type: 'tvshow', title: 'Andor', file: 'D:\\TV\\Andor\\' },
      { type: 'episode', title: 'Kassa', file, showtitle: 'Andor', season: 1, episode: 1 },
    ]);
    await load([{ from: '/data/tv', to: 'D:\\TV' }]);
    const out = await run('scan', { payload: '/data/tv/Andor/Season 01/Andor - S01E01.mkv' });
    out.msg.payload.should.match({
      status: 'verified',
      items: [{ type: 'episode', title: 'Andor S01E01 Kassa', file }],
    });
    scans().should.eql(['D:\\TV\\Andor\\']);
  });

  it('does not take /Film (1951)2/ for /Film (1951)/ when verifying a folder', async function () {
    sim.sources = ['smb://nas/movies/'];
    sim.items.push({
      type: 'movie',
      id: 99,
      title: 'Other',
      file: 'smb://nas/movies/Film (1951)2/Other.mkv',
    });
    await load([{ from: '/m', to: 'smb://nas/movies' }]);
    const out = await run('scan', { payload: '/m/Film (1951)/' });
    out.port.should.equal(2);
    out.msg.payload.should.match({ status: 'not-verified', items: [] });
  });

  it('removing a Windows path that Kodi does not list is "not-in-library", not an error', async function () {
    sim.sources = ['D:\\Movies\\'];
    await load([{ from: '/data/movies', to: 'D:\\Movies' }]);
    const out = await run('remove', { payload: '/data/movies/Gone (1999)/' });
    out.port.should.equal(1);
    out.msg.payload.should.match({ status: 'not-in-library', playerPath: 'D:\\Movies\\Gone (1999)\\' });
  });
});

describe('kodi-scan queueing and fallbacks (simulator)', function () {
  let sim;
  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(async function () {
    sim = await new KodiSim().start();
    sim.sources = ['/movies/'];
  });
  afterEach(async function () {
    await helper.unload();
    await sim.stop();
  });

  const load = (scanSettings = {}) => {
    const f = flow(sim, []);
    Object.assign(
      f.find((n) => n.id === 'scan'),
      scanSettings,
    );
    return helper.load([nodes.kodiPlayer, nodes.pathMappings, nodes.kodiScan, nodes.kodiRemove], f, {
      kodi: { username: sim.username, password: sim.password },
    });
  };
  const methods = () => sim.requests.map((r) => r.method);

  it('waits out a scan someone else started instead of stopping it', async function () {
    sim.addOnScan('/movies/New (2024)/', [
      { type: 'movie', title: 'New', file: '/movies/New (2024)/New.mkv' },
    ]);
    await load();
    const { until } = require('../lib/wait');
    await until(() => helper.getNode('kodi').connection.websocketUp, 'the WebSocket');
    sim.startExternalScan();
    const pending = run('scan', { payload: '/movies/New (2024)/' });
    await until(() => methods().includes('XBMC.GetInfoBooleans'), 'the node to look at the running scan');
    methods().should.not.containEql('VideoLibrary.Scan');
    sim.endExternalScan();
    const out = await pending;
    out.msg.payload.should.match({ status: 'verified', items: [{ title: 'New' }] });
    methods()
      .filter((m) => m === 'VideoLibrary.Scan')
      .should.have.length(1);
  });

  it('falls back to a full library scan when the targeted scan does not finish in time, without stopping it', async function () {
    sim.hangNextScan('/movies/Slow (2024)/', 1500);
    sim.addOnScan('/movies/Slow (2024)/', [
      { type: 'movie', title: 'Slow', file: '/movies/Slow (2024)/Slow.mkv' },
    ]);
    await load({ timeout: 0.5, fallbackTimeout: 10 });
    const out = await run('scan', { payload: '/movies/Slow (2024)/' });
    out.port.should.equal(1, JSON.stringify(out.msg.payload));
    out.msg.payload.should.match({ status: 'verified', fallback: 'full-scan', items: [{ title: 'Slow' }] });
    out.msg.payload.sent.map((c) => c.params.directory).should.eql(['/movies/Slow (2024)/', '']);
    // the full scan was sent only after the slow one had ended
    const scanAt = sim.requests.findIndex(
      (r) => r.method === 'VideoLibrary.Scan' && r.params.directory === '',
    );
    sim.requests
      .slice(0, scanAt)
      .some((r) => r.method === 'XBMC.GetInfoBooleans')
      .should.be.true();
  });

  it('without the fallback, a scan that does not finish in time goes to output 2 as timed out', async function () {
    sim.hangNextScan('/movies/Stuck (2024)/', 3000);
    await load({ timeout: 0.5, fallback: false });
    const out = await run('scan', { payload: '/movies/Stuck (2024)/' });
    out.port.should.equal(2);
    out.msg.payload.should.match({ status: 'timed-out', ok: false });
    out.msg.payload.reason.should.match(/did not finish scanning "\/movies\/Stuck \(2024\)\/" within 1 s/);
  });

  it('reads the path from the property the node names (flow context here)', async function () {
    sim.addOnScan('/movies/Ctx (2024)/', [
      { type: 'movie', title: 'Ctx', file: '/movies/Ctx (2024)/Ctx.mkv' },
    ]);
    await load({ path: 'lastImport', pathType: 'flow' });
    helper.getNode('scan').context().flow.set('lastImport', '/movies/Ctx (2024)/Ctx.mkv');
    const out = await run('scan', { payload: 'ignored' });
    out.msg.payload.should.match({ status: 'verified', libraryPath: '/movies/Ctx (2024)/Ctx.mkv' });
  });

  it('a bad timeout in the message is a clear error', async function () {
    await load();
    const out = await run('scan', { payload: '/movies/X/', timeout: 'soon' });
    out.error.message.should.match(/kodi-scan: timeout must be a number of seconds above 0, not "soon"/);
  });
});
