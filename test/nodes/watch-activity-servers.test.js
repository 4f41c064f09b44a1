'use strict';
// watch-activity through a real flow against the Jellyfin and Plex simulators, each over what the server pushes
// (Jellyfin's Sessions subscription, Plex's play notifications) and over polling (a Jellyfin version that refuses
// an API key's subscription, a Plex without its socket): the same play gives the same events, in order, with the
// user, the client and the item's fields; pushed, it costs almost no requests.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, nodes } = require('../lib/nodes');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');
const { until } = require('../lib/wait');

const TOPICS = ['started', 'paused', 'resumed', 'completed', 'stopped'];

/** Per server: its simulator, its flow's config node, its session list, and the client's steps of one play. */
const SERVERS = {
  jellyfin: {
    sessionsPath: '/Sessions',
    async start(push) {
      // 10.10.7 lets an API key subscribe to Sessions; 10.10.3 does not (admin users only).
      const sim = await new JellyfinSim().start();
      sim.version = push ? '10.10.7' : '10.10.3';
      return sim;
    },
    config: (sim) => ({ type: 'jellyfin-server', name: 'Den', url: sim.url }),
    creds: (sim) => ({ apiKey: sim.apiKey }),
    pushing: (sim) => sim.subscriptions === 1,
    /** The client's state: the session's item, position and pause; none = the session stays, idle. */
    set(sim, state) {
      const item = state && {
        Name: 'Arrival',
        ProductionYear: 2016,
        ProviderIds: { Imdb: 'tt2543164', Tmdb: '329865' },
        Path: '/data/movies/Arrival (2016)/Arrival.mkv',
        runtimeS: 600,
      };
      sim.sessions = [
        JellyfinSim.session({ user: 'anna', device: 'Pixel', client: 'Jellyfin Android', item, ...state }),
      ];
      sim.sessionsChanged();
    },
    started: {
      user: 'anna',
      device: 'Pixel',
      client: 'Jellyfin Android',
      item: {
        type: 'movie',
        title: 'Arrival',
        year: 2016,
        ids: { imdb: 'tt2543164', tmdb: 329865 },
        playerPath: '/data/movies/Arrival (2016)/Arrival.mkv',
        libraryPath: '/movies/Arrival (2016)/Arrival.mkv',
      },
    },
  },
  plex: {
    sessionsPath: '/status/sessions',
    async start(push) {
      const sim = await new PlexSim().start();
      sim.socketMode = push ? 'on' : 'off';
      return sim;
    },
    config: (sim) => ({ type: 'plex-server', name: 'Attic', url: sim.url, clientId: 'test-client' }),
    creds: (sim) => ({ token: sim.token }),
    pushing: () => helper.getNode('server').socket.up,
    set(sim, state) {
      if (!state) {
        sim.playState('21', 'stopped');
        return;
      }
      if (sim.sessions.length === 0) {
        sim.sessions = [
          PlexSim.session({
            key: '21',
            ratingKey: '301',
            user: 'ben',
            device: 'Living Room TV',
            product: 'Plex for LG',
            item: {
              type: 'episode',
              title: 'Good News About Hell',
              grandparentTitle: 'Severance',
              parentIndex: 1,
              index: 1,
              year: 2022,
              Guid: [{ id: 'imdb://tt11650328' }, { id: 'tvdb://7956016' }],
              file: '/data/tv/Severance/Season 01/Severance - S01E01.mkv',
              runtimeS: 600,
            },
            positionS: state.positionS,
          }),
        ];
      }
      sim.playState('21', state.paused ? 'paused' : 'playing', state.positionS);
    },
    started: {
      user: 'ben',
      device: 'Living Room TV',
      client: 'Plex for LG',
      item: {
        type: 'episode',
        title: 'Severance S01E01 Good News About Hell',
        show: 'Severance',
        season: 1,
        episode: 1,
        year: 2022,
        ids: { imdb: 'tt11650328', tvdb: 7956016 },
        playerPath: '/data/tv/Severance/Season 01/Severance - S01E01.mkv',
        libraryPath: '/tv/Severance/Season 01/Severance - S01E01.mkv',
      },
    },
  },
};

describe('watch-activity (Jellyfin and Plex simulators)', function () {
  this.timeout(20000);
  let sim;
  let userDir;
  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-watch-'));
    helper.settings({ userDir });
  });
  afterEach(async function () {
    await helper.unload();
    if (sim) await sim.stop();
    sim = undefined;
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const load = (kind, push) => {
    const server = SERVERS[kind];
    return helper.load(
      [nodes.jellyfinServer, nodes.plexServer, nodes.pathMappings, nodes.watchActivity],
      [
        { id: 'tab', type: 'tab' },
        {
          id: 'maps',
          type: 'path-mappings',
          rules: [
            { from: '/movies', to: '/data/movies' },
            { from: '/tv', to: '/data/tv' },
          ],
        },
        { id: 'server', mappings: 'maps', ...server.config(sim) },
        {
          id: 'watch',
          type: 'watch-activity',
          z: 'tab',
          playerType: kind,
          [kind]: 'server',
          minimum: 0, // the simulator's clock is the test's: any watched time counts
          // Pushed: looks so far apart that every event must come from the push. Polled: as often as allowed.
          pollPlaying: push ? 30 : 0.2,
          pollIdle: push ? 30 : 0.2,
          wires: [['out']],
        },
        { id: 'out', type: 'helper', z: 'tab' },
      ],
      { server: server.creds(sim) },
    );
  };

  for (const kind of ['jellyfin', 'plex']) {
    for (const push of [true, false]) {
      it(`${kind}, ${push ? 'pushed over its socket' : 'polled'}: started, paused, resumed, completed, stopped`, async function () {
        const server = SERVERS[kind];
        sim = await server.start(push);
        await load(kind, push);
        const got = [];
        helper.getNode('out').on('input', (msg) => got.push(msg));
        if (push) await until(() => server.pushing(sim), 'the push to be on');
        else await until(() => sim.requests(server.sessionsPath).length >= 2, 'polling');
        const before = sim.requests(server.sessionsPath).length;
        const step = async (state, topic) => {
          server.set(sim, state);
          await until(() => got.some((m) => m.topic === topic), topic);
        };
        await step({ positionS: 60 }, 'started');
        await step({ positionS: 65, paused: true }, 'paused');
        await step({ positionS: 65 }, 'resumed');
        await step({ positionS: 540 }, 'completed');
        await step(undefined, 'stopped');
        got.map((m) => m.topic).should.eql(TOPICS);
        got[0].payload.should.match({
          playerType: kind,
          ...server.started,
          positionS: 60,
          runtimeS: 600,
          percent: 10,
        });
        got[3].payload.percent.should.equal(90);
        const requests = sim.requests(server.sessionsPath).length - before;
        if (push) {
          // Jellyfin's pushed lists need no request; Plex's notifications need one look for a new session.
          requests.should.be.belowOrEqual(kind === 'plex' ? 1 : 0);
        } else {
          requests.should.be.aboveOrEqual(5);
        }
        if (kind === 'jellyfin') {
          // Subscribed once (a second SessionsStart would double every message), and only where the version lets.
          sim.subscriptions.should.equal(push ? 1 : 0);
          (sim.refusedSubscriptions || 0).should.equal(0);
        }
      });
    }
  }

  it('jellyfin: after the socket drops, one look and one new subscription; a stop meanwhile is seen', async function () {
    const server = SERVERS.jellyfin;
    sim = await server.start(true);
    await load('jellyfin', true);
    const got = [];
    helper.getNode('out').on('input', (msg) => got.push(msg));
    await until(() => server.pushing(sim), 'the subscription');
    server.set(sim, { positionS: 60 });
    await until(() => got.length === 1, 'started');
    sim.dropSockets();
    await until(() => sim.subscriptions === 0, 'the drop');
    // Stopped while the socket was down: no message can say so; the look after the reconnect does.
    sim.sessions = [JellyfinSim.session({ user: 'anna' })];
    await until(() => got.length === 2, 'stopped, after the reconnect');
    got.map((m) => m.topic).should.eql(['started', 'stopped']);
    await until(() => sim.subscriptions === 1, 'the new subscription');
    server.set(sim, { positionS: 120 });
    await until(() => got.length === 3, 'started again, pushed');
    got[2].topic.should.equal('started');
  });

  it('plex: a stop pushed while a look is on its way is not undone by that look (no phantom start)', async function () {
    const server = SERVERS.plex;
    sim = await server.start(true);
    await load('plex', true);
    const got = [];
    helper.getNode('out').on('input', (msg) => got.push(`${msg.topic}:${msg.payload.user}`));
    await until(() => server.pushing(sim), 'the socket');
    sim.sessions = [
      PlexSim.session({ key: 'A', ratingKey: '1', user: 'anna', device: 'TV' }),
      PlexSim.session({ key: 'B', ratingKey: '2', user: 'ben', device: 'Pad' }),
    ];
    sim.playState('A', 'playing', 10);
    await until(() => got.length === 2, 'both started');
    // Cleo starts: a look, which the server answers late, with the list as it was when asked.
    const hold = {};
    sim.holdSessions = hold;
    sim.sessions.push(PlexSim.session({ key: 'C', ratingKey: '3', user: 'cleo', device: 'Phone' }));
    sim.playState('C', 'playing', 0);
    await until(() => hold.asked, 'the look');
    // Anna stops meanwhile: pushed at once.
    sim.playState('A', 'stopped');
    await until(() => got.includes('stopped:anna'), 'anna stopped');
    hold.release(); // the old list, Anna still in it
    await until(() => got.includes('started:cleo'), 'cleo started, by a look after it');
    sim.playState('B', 'paused', 20);
    await until(() => got.includes('paused:ben'), 'ben paused');
    got.should.eql(['started:anna', 'started:ben', 'stopped:anna', 'started:cleo', 'paused:ben']);
  });

  it('jellyfin: a server still starting when the node did: the sessions are pushed once it can say its version', async function () {
    const server = SERVERS.jellyfin;
    sim = await server.start(true);
    sim.starting = true;
    await load('jellyfin', true);
    await until(() => helper.getNode('server').socket.up, 'the WebSocket');
    await until(() => sim.requests('/System/Info/Public').length >= 1, 'the version asked');
    sim.subscriptions.should.equal(0);
    sim.starting = false;
    sim.dropSockets(); // the server restarts its sockets when it is up
    await until(() => sim.subscriptions === 1, 'the subscription after the version is known', 10000);
  });
});
