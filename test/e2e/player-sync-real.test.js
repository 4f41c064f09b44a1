'use strict';
// player-sync end to end with a real Kodi (and the Jellyfin and Plex simulators): a Radarr import reaches every
// player verified, a burst is batched without cancelled scans, a change during playback waits for Player.Stop.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');
const { helper, nodes, withOutputs, statuses } = require('../lib/nodes');
const { sharedKodi } = require('../kodi-real/kodi-harness');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');
const { until, next } = require('../lib/wait');
const bodies = require('../fixtures/arr-bodies.json');

const types = [
  nodes.kodiPlayer,
  nodes.jellyfinServer,
  nodes.plexServer,
  nodes.pathMappings,
  nodes.arrEvent,
  nodes.playerSync,
];

describe('player-sync with a real Kodi', function () {
  this.timeout(120000);
  let kodi;
  let jellyfin;
  let plex;
  let userDir;

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
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-real-'));
    helper.settings({ userDir });
    jellyfin = await new JellyfinSim({ monitorDelayMs: 30 }).start();
    jellyfin.addLibrary('Movies', 'movies', ['/jf/movies']);
    plex = await new PlexSim({ scanMs: 30 }).start();
    plex.addSection('Movies', 'movie', ['/plex/movies']);
  });
  afterEach(async function () {
    await helper.unload();
    await jellyfin.stop();
    await plex.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const load = (players = ['kodi', 'jellyfin', 'plex'], sync = {}) => {
    const z = 'tab';
    const configs = {
      kodi: {
        id: 'kodi',
        type: 'kodi-player',
        name: 'Real Kodi',
        host: '127.0.0.1',
        httpPort: kodi.httpPort,
        wsPort: kodi.wsPort,
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
    return helper.load(
      types,
      [
        { id: z, type: 'tab' },
        { id: 'mk', type: 'path-mappings', rules: [{ from: '/library/movies', to: kodi.movies }] },
        { id: 'mj', type: 'path-mappings', rules: [{ from: '/library/movies', to: '/jf/movies' }] },
        { id: 'mp', type: 'path-mappings', rules: [{ from: '/library/movies', to: '/plex/movies' }] },
        ...players.map((p) => configs[p]),
        { id: 'arr', type: 'arr-event', z, wires: [['sync']] },
        ...withOutputs({
          id: 'sync',
          type: 'player-sync',
          z,
          players: players.map((id) => ({ id })),
          batchWindow: 1,
          timeout: 30,
          deferPoll: 60,
          pollInterval: 0.05,
          ...sync,
        }),
      ],
      {
        kodi: { username: kodi.username, password: kodi.password },
        jellyfin: { apiKey: jellyfin.apiKey },
        plex: { token: plex.token },
      },
    );
  };

  function collect(port, count) {
    const got = [];
    return new Promise((resolve) => {
      helper.getNode(`sync-${port}`).on('input', (m) => {
        got.push(m);
        if (got.length === count) resolve(got);
      });
    });
  }

  async function watch() {
    const ws = new WebSocket(`ws://127.0.0.1:${kodi.wsPort}/jsonrpc`, { skipUTF8Validation: true });
    const seen = [];
    ws.on('message', (raw) => {
      let msg;
      try {
        msg = JSON.parse(String(raw));
      } catch {
        return; // Kodi 20 sometimes sends a frame that is not JSON text
      }
      if (msg.method) seen.push({ method: msg.method, at: Date.now() });
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return { seen, close: () => ws.close() };
  }

  it('a Radarr import body becomes a verified item on every player', async function () {
    const m = kodi.addMovie('Arrival Day', 2016);
    const rel = 'Arrival Day (2016)/Arrival Day (2016).mkv';
    jellyfin.addFile(`/jf/movies/${rel}`, 'Arrival Day');
    plex.addFile(`/plex/movies/${rel}`, 'Arrival Day');
    await load();
    const body = JSON.parse(JSON.stringify(bodies['radarr-download']));
    Object.assign(body.movie, {
      title: 'Arrival Day',
      year: 2016,
      folderPath: '/library/movies/Arrival Day (2016)',
    });
    body.movieFile.path = `/library/movies/${rel}`;
    const out = collect(1, 1);
    helper.getNode('arr').receive({ payload: JSON.stringify(body) });
    const [msg] = await out;
    msg.payload.ok.should.be.true(JSON.stringify(msg.payload));
    const byPlayer = Object.fromEntries(msg.payload.results.map((r) => [r.player, r]));
    byPlayer['Real Kodi'].should.match({
      status: 'verified',
      items: [{ type: 'movie', title: 'Arrival Day', file: m.file }],
    });
    byPlayer.Jellyfin.should.match({ status: 'verified', items: [{ title: 'Arrival Day' }] });
    byPlayer.Plex.should.match({ status: 'verified', items: [{ title: 'Arrival Day' }] });
  });

  it('a burst of 100 changes over 10 folders: at most 10 scans, none cancelled, all 10 verified', async function () {
    const movies = Array.from({ length: 10 }, (_, i) => kodi.addMovie(`Burst Real ${i}`, 1990 + i));
    await load(['kodi']);
    await until(() => helper.getNode('kodi').connection.websocketUp, 'the WebSocket');
    const w = await watch();
    try {
      const out = collect(1, 100);
      for (let i = 0; i < 100; i++) {
        const folder = `/library/movies/${path.basename(movies[i % 10].folder)}/`;
        helper.getNode('sync').receive({ payload: { path: folder, action: 'added' } });
      }
      const msgs = await out;
      msgs.every((m) => m.payload.results[0].status === 'verified').should.be.true();
      new Set(msgs.map((m) => m.payload.item.path)).size.should.equal(10);
      const scans = w.seen.map((n) => n.method).filter((m) => /OnScan(Started|Finished)$/.test(m));
      (scans.length / 2).should.be.belowOrEqual(10);
      scans.forEach((m, i) =>
        m.should.equal(i % 2 === 0 ? 'VideoLibrary.OnScanStarted' : 'VideoLibrary.OnScanFinished'),
      );
    } finally {
      w.close();
    }
  });

  it('a change arriving while Kodi plays is deferred and applied after Player.Stop', async function () {
    const playing = kodi.addMovie('Now Showing', 1950, { video: { copyFrom: kodi.clip() } });
    const later = kodi.addMovie('Coming Later', 2024);
    await kodi.rpc('VideoLibrary.Scan', { directory: playing.folder, showdialogs: false });
    const inLibrary = async () =>
      (
        await kodi.rpc('VideoLibrary.GetMovies', {
          filter: { field: 'path', operator: 'is', value: playing.folder },
        })
      ).movies !== undefined;
    await until(inLibrary, 'the movie to play to be in the library', 30000);
    await load(['kodi'], { batchWindow: 0.1 });
    await until(() => helper.getNode('kodi').connection.websocketUp, 'the WebSocket');
    await kodi.rpc('Player.Open', { item: { file: playing.file } });
    const frames = async () => {
      const players = await kodi.rpc('Player.GetActivePlayers');
      if (players.length === 0) return false;
      const props = await kodi.rpc('Player.GetProperties', {
        playerid: players[0].playerid,
        properties: ['time'],
      });
      return props.time.seconds >= 1 || props.time.minutes > 0;
    };
    await until(frames, 'playback', 30000);
    const w = await watch();
    try {
      const out = collect(1, 1);
      const deferred = next(helper.getNode('sync'), 'call:status', 'deferral', 10000, (c) =>
        /deferred/.test(c.args[0].text || ''),
      );
      helper.getNode('sync').receive({ payload: '/library/movies/Coming Later (2024)/' });
      await deferred;
      w.seen.map((n) => n.method).should.not.containEql('VideoLibrary.OnScanStarted');
      const stoppedAt = Date.now();
      await kodi.rpc('Player.Stop', { playerid: 1 });
      // Ends with what the node showed and whether Kodi still answers, not at mocha's limit with nothing said.
      let timer;
      const limit = new Promise((resolve, reject) => {
        timer = setTimeout(async () => {
          const answers = await kodi.rpc('Player.GetActivePlayers').then(
            (players) => `Kodi answers, active players ${JSON.stringify(players)}`,
            (err) => err.message,
          );
          const shown = statuses(helper.getNode('sync')).map((st) => st.text);
          reject(
            new Error(
              `no result 90 s after Player.Stop; player-sync showed ${shown.join(' → ')}; ${answers}`,
            ),
          );
        }, 90000);
      });
      const [msg] = await Promise.race([out, limit]).finally(() => clearTimeout(timer));
      msg.payload.results[0].should.match({
        status: 'verified',
        items: [{ title: 'Coming Later', file: later.file }],
      });
      const scanStart = w.seen.find((n) => n.method === 'VideoLibrary.OnScanStarted');
      scanStart.at.should.be.aboveOrEqual(stoppedAt);
    } finally {
      w.close();
      await kodi.rpc('Player.Stop', { playerid: 1 }).catch(() => undefined);
    }
  });
});
