'use strict';
// watch-activity through a real flow against the Kodi simulator: Kodi's playback notifications bring a look at
// once, and the events come out in order with the item, its library path and the watched time.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, nodes, lastStatus } = require('../lib/nodes');
const { KodiSim } = require('../sim/kodi-sim');
const { until } = require('../lib/wait');

describe('watch-activity (Kodi simulator)', function () {
  this.timeout(20000);
  let kodi;
  let userDir;
  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-watch-'));
    helper.settings({ userDir });
    kodi = await new KodiSim().start();
  });
  afterEach(async function () {
    await helper.unload();
    await kodi.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const load = (settings = {}) =>
    helper.load(
      [nodes.kodiPlayer, nodes.pathMappings, nodes.watchActivity],
      [
        { id: 'tab', type: 'tab' },
        { id: 'maps', type: 'path-mappings', rules: [{ from: '/movies', to: '/kodi/movies' }] },
        {
          id: 'kodi',
          type: 'kodi-player',
          name: 'Den',
          host: '127.0.0.1',
          httpPort: kodi.httpPort,
          wsPort: kodi.wsPort,
          mappings: 'maps',
        },
        {
          id: 'watch',
          type: 'watch-activity',
          z: 'tab',
          playerType: 'kodi',
          kodi: 'kodi',
          minimum: 0, // the simulator's clock is the test's: any watched time counts
          // Long pauses between looks: what the test sees comes from Kodi's notifications.
          pollPlaying: 30,
          pollIdle: 30,
          wires: [['out']],
          ...settings,
        },
        { id: 'out', type: 'helper', z: 'tab' },
      ],
      { kodi: { username: kodi.username, password: kodi.password } },
    );
  const playing = (over = {}) => ({
    playerid: 1,
    type: 'video',
    speed: 1,
    timeS: 60,
    totalS: 600,
    item: { id: 7, type: 'movie', title: 'Inception', file: '/kodi/movies/Inception (2010)/Inception.mkv' },
    ...over,
  });

  it("started, paused, resumed, completed, stopped: each on Kodi's notification, with the library path", async function () {
    await load();
    await until(() => helper.getNode('kodi').connection.websocketUp, 'the WebSocket');
    const got = [];
    helper.getNode('out').on('input', (msg) => got.push(msg));
    const step = async (players, method, topic) => {
      kodi.activePlayers = players;
      kodi.notify(method, { player: { playerid: 1 } });
      await until(() => got.some((m) => m.topic === topic), topic);
    };
    await step([playing()], 'Player.OnPlay', 'started');
    await step([playing({ speed: 0 })], 'Player.OnPause', 'paused');
    await step([playing()], 'Player.OnResume', 'resumed');
    await step([playing({ timeS: 540 })], 'Player.OnSeek', 'completed');
    await step([], 'Player.OnStop', 'stopped');
    got.map((m) => m.topic).should.eql(['started', 'paused', 'resumed', 'completed', 'stopped']);
    got[0].payload.should.match({
      player: 'Den',
      playerType: 'kodi',
      item: {
        type: 'movie',
        title: 'Inception',
        id: '7',
        playerPath: '/kodi/movies/Inception (2010)/Inception.mkv',
        libraryPath: '/movies/Inception (2010)/Inception.mkv',
      },
      positionS: 60,
      runtimeS: 600,
      percent: 10,
    });
    got[3].payload.percent.should.equal(90);
    got[4].payload.watchedS.should.be.a.Number();
    lastStatus(helper.getNode('watch')).text.should.equal('idle');
  });

  it('filters: a type it is not told to follow gives no events', async function () {
    await load({ types: 'episode' });
    await until(() => helper.getNode('kodi').connection.websocketUp, 'the WebSocket');
    const got = [];
    helper.getNode('out').on('input', (msg) => got.push(msg));
    // Each look ends with a status: a new one after the notification means its look is through.
    const statusCalls = () => helper.getNode('watch').status.callCount;
    await until(() => statusCalls() > 0, 'the first look');
    const before = statusCalls();
    kodi.activePlayers = [playing()];
    kodi.notify('Player.OnPlay', { player: { playerid: 1 } });
    await until(() => statusCalls() > before, 'the look the notification brings');
    lastStatus(helper.getNode('watch')).text.should.equal('idle', 'a movie is not followed');
    got.should.eql([]);
  });
});
