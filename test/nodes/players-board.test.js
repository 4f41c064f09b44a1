'use strict';
// The Players board through real flows, against the Jellyfin simulator: what the sidebar is pushed over Node-RED's
// comms and what GET /player-sync/health answers (every player with its state and version, every queue, the
// store, the last results); "retry now" and "drop" from the admin API on a change waiting for a player that is
// down; and the player-health node, whose "down" message (after the alert time) and "up" message are what Home
// Assistant alerts on. Nothing secret in any of it.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { events } = require('@node-red/util');
const { helper, nodes, withOutputs } = require('../lib/nodes');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { until } = require('../lib/wait');

const types = [nodes.jellyfinServer, nodes.playerSync, nodes.playerHealth];

describe('Players board (flows, Jellyfin simulator)', function () {
  this.timeout(30000);
  let jellyfin;
  let userDir;
  /** Every snapshot pushed to the editors during the test. */
  let pushed;
  const onComms = (m) => {
    if (m.topic === 'player-sync/players') pushed.push(m);
  };

  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(async function () {
    pushed = [];
    events.on('comms', onComms);
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-board-'));
    helper.settings({ userDir });
    jellyfin = await new JellyfinSim({ monitorDelayMs: 30 }).start();
    jellyfin.addLibrary('Movies', 'movies', ['/jf/movies']);
  });
  afterEach(async function () {
    events.off('comms', onComms);
    await helper.unload();
    await jellyfin.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const load = ({ sync = {}, health = {} } = {}) =>
    helper.load(
      types,
      [
        { id: 'tab', type: 'tab' },
        { id: 'jf', type: 'jellyfin-server', name: 'Den Jellyfin', url: jellyfin.url },
        ...withOutputs({
          id: 'board-sync',
          type: 'player-sync',
          name: 'Library sync',
          z: 'tab',
          players: [{ id: 'jf' }],
          batchWindow: 0.05,
          ...sync,
        }),
        ...withOutputs({ id: 'health', type: 'player-health', z: 'tab', alertAfter: 0.005, ...health }, 1),
      ],
      { jf: { apiKey: jellyfin.apiKey } },
    );

  const getHealth = () => helper.request().get('/player-sync/health');
  const post = (what, body) => helper.request().post(`/player-sync/queues/${what}`).send(body);

  /** The board's view of the Jellyfin once it is in `state`. */
  const playerIn = (state) =>
    until(async () => {
      const res = await getHealth();
      return res.body.players.find((p) => p.id === 'jf' && p.state === state);
    }, `the Jellyfin to be ${state}`);

  it('pushes and answers every player (state, since, version) and the store, with no secret', async function () {
    await load();
    const jf = await playerIn('websocket');
    jf.should.containDeep({ name: 'Den Jellyfin', type: 'jellyfin', version: jellyfin.version });
    jf.since.should.be.a.Number();
    jf.lastSuccessAt.should.be.aboveOrEqual(jf.since - 60000);
    const res = await getHealth();
    res.status.should.equal(200);
    res.body.ready.should.be.true();
    res.body.store.should.containDeep({ writable: true, dir: path.join(userDir, 'player-sync', 'store') });
    res.body.queues
      .filter((q) => q.node === 'board-sync')
      .should.eql([
        {
          id: 'board-sync/jf',
          node: 'board-sync',
          nodeType: 'player-sync',
          nodeName: 'Library sync',
          player: 'jf',
          playerName: 'Den Jellyfin',
          counts: { pending: 0, running: 0, deferred: 0, retrying: 0, waitingForImport: 0 },
          items: [],
          more: 0,
        },
      ]);
    // The editor has it too, pushed (retained, for an editor that opens later).
    await until(
      () =>
        pushed.some((m) => m.retain && m.data.players.some((p) => p.id === 'jf' && p.state === 'websocket')),
      'the push',
    );
    JSON.stringify(pushed).should.not.containEql(jellyfin.apiKey);
    res.text.should.not.containEql(jellyfin.apiKey);
  });

  it('lists each result with its player, outcome and duration, newest first', async function () {
    await load();
    for (const n of ['A', 'B', 'C']) jellyfin.addFile(`/jf/movies/${n} (2020)/${n}.mkv`, n);
    const out = helper.getNode('board-sync-1');
    const done = [];
    out.on('input', (m) => done.push(m));
    helper.getNode('board-sync').receive({
      payload: ['A', 'B', 'C'].map((n) => ({ path: `/jf/movies/${n} (2020)/`, action: 'added' })),
    });
    await until(() => done.length === 3, 'the three changes through');
    const { body } = await getHealth();
    const mine = body.results.filter((r) => r.node === 'board-sync');
    mine.length.should.equal(3);
    mine
      .map((r) => r.what)
      .sort()
      .should.eql(['A', 'B', 'C'].map((n) => `/jf/movies/${n} (2020)/`));
    for (const r of mine) {
      r.should.containDeep({
        nodeType: 'player-sync',
        nodeName: 'Library sync',
        player: 'jf',
        playerName: 'Den Jellyfin',
        playerType: 'jellyfin',
        outcome: 'verified',
        status: 'verified',
        action: 'added',
      });
      r.durationMs.should.be.a.Number();
    }
    mine[0].seq.should.be.above(mine[2].seq);
  });

  it('a change waiting for a player that is down: "retry now" runs it, "drop" reports it dropped', async function () {
    await load({ sync: { retryMin: 600 } }); // a backoff no test waits out
    await playerIn('websocket');
    jellyfin.addFile('/jf/movies/Up (2020)/Up.mkv', 'Up');
    jellyfin.addFile('/jf/movies/Gone (2020)/Gone.mkv', 'Gone');
    await jellyfin.stop();
    const ok = [];
    const failed = [];
    helper.getNode('board-sync-1').on('input', (m) => ok.push(m.payload));
    helper.getNode('board-sync-2').on('input', (m) => failed.push(m.payload));
    helper.getNode('board-sync').receive({ payload: '/jf/movies/Up (2020)/' });
    const retrying = await until(async () => {
      const { body } = await getHealth();
      return body.queues.find((q) => q.id === 'board-sync/jf' && q.counts.retrying === 1);
    }, 'the change to be retrying');
    const [item] = retrying.items;
    item.should.containDeep({
      what: '/jf/movies/Up (2020)/',
      action: 'added',
      state: 'retrying',
      attempts: 1,
    });
    item.reason.should.match(/refused|ECONNREFUSED|reach/i);
    item.nextAttemptAt.should.be.above(Date.now() + 60000); // minutes away: the backoff (capped at 5 min)
    // Down, on the board and in the health's answer.
    await playerIn('down');
    (await getHealth()).status.should.equal(503);

    // A second change, queued behind the first: dropped (it comes out on output 2, saying so).
    helper.getNode('board-sync').receive({ payload: '/jf/movies/Gone (2020)/' });
    const queued = await until(async () => {
      const { body } = await getHealth();
      return body.queues.find((q) => q.id === 'board-sync/jf')?.items.find((i) => i.state === 'pending');
    }, 'the second change queued');
    (await post('drop', { queue: 'board-sync/jf', item: queued.id })).body.should.eql({ ok: true });
    await until(() => failed.length === 1, 'the dropped change reported');
    failed[0].item.path.should.equal('/jf/movies/Gone (2020)/');
    failed[0].results[0].should.match({ status: 'cancelled', reason: /dropped/ });
    (await post('drop', { queue: 'board-sync/jf', item: queued.id })).status.should.equal(409);
    (await post('drop', { queue: 'board-sync/jf' })).status.should.equal(400);

    // The Jellyfin is back; "retry now" sends the first change at once, not in ten minutes.
    await jellyfin.start();
    (await post('retry', { queue: 'board-sync/jf', item: item.id })).body.should.eql({ ok: true });
    await until(() => ok.length === 1, 'the retried change through');
    ok[0].results[0].status.should.equal('verified');
    const { body } = await getHealth();
    body.queues.find((q) => q.id === 'board-sync/jf').items.should.eql([]);
    body.results
      .find((r) => r.node === 'board-sync' && r.what === '/jf/movies/Gone (2020)/')
      .outcome.should.equal('failed');
  });

  it('player-health: the report on input; "down" after the alert time, once; "up" when it answers again', async function () {
    await load();
    await playerIn('websocket');
    const out = helper.getNode('health-1');
    const got = [];
    out.on('input', (m) => got.push(m));
    helper.getNode('health').receive({ topic: 'ask', extra: 1 });
    const report = await until(() => got.find((m) => m.topic === 'health'), 'the report');
    report.extra.should.equal(1);
    report.payload.players.find((p) => p.id === 'jf').state.should.equal('websocket');

    await jellyfin.stop();
    const down = await until(() => got.find((m) => m.topic === 'down'), 'the down message');
    down.payload.should.containDeep({
      id: 'jf',
      name: 'Den Jellyfin',
      type: 'jellyfin',
      state: 'down',
      alert: true,
    });
    down.payload.forS.should.be.aboveOrEqual(0);
    down.payload.lastFailure.should.match(/refused|ECONNREFUSED|reach/i);
    got
      .filter((m) => m.topic === 'state')
      .map((m) => m.payload.state)
      .should.containEql('down');

    await jellyfin.start();
    const up = await until(() => got.find((m) => m.topic === 'up'), 'the up message', 20000);
    up.payload.should.containDeep({ id: 'jf', alert: false });
    up.payload.state.should.not.equal('down');
    got.filter((m) => m.topic === 'down').length.should.equal(1, 'one alert per outage');
    JSON.stringify(got).should.not.containEql(jellyfin.apiKey);
  });

  it('player-health: idle after down (its flow nodes redeployed) is not "up"; one alert per outage', async function () {
    const { healthBoard, PlayerTracker } = require('../../nodes/sync/health');
    // A player on the board as a config node puts it there, its state driven by the test.
    const tracker = new PlayerTracker(() => ({ id: 'attic', name: 'Attic Kodi', type: 'kodi' }));
    const off = healthBoard.addPlayer('attic', () => tracker.view());
    try {
      tracker.set('websocket');
      await load({ health: { alertAfter: 0.002 } }); // 120 ms
      const got = [];
      helper.getNode('health-1').on('input', (m) => {
        if (m.payload.id === 'attic') got.push(`${m.topic}:${m.payload.state}`);
      });
      tracker.set('down');
      await until(() => got.includes('down:down'), 'the alert');
      tracker.set('idle'); // its last flow node redeployed: not known to be back
      tracker.set('connecting');
      tracker.set('down'); // still down
      tracker.set('polling'); // back
      await until(() => got.includes('up:polling'), 'the way back');
      got.should.eql(['state:down', 'down:down', 'up:polling', 'state:polling']);
    } finally {
      off();
    }
  });

  it('no "down" message for a player back within the alert time', async function () {
    await load({ health: { alertAfter: 10 } });
    await playerIn('websocket');
    const got = [];
    helper.getNode('health-1').on('input', (m) => got.push(m));
    await jellyfin.stop();
    await until(() => got.some((m) => m.topic === 'state' && m.payload.state === 'down'), 'the down state');
    await jellyfin.start();
    await until(() => got.some((m) => m.topic === 'state' && m.payload.previous === 'down'), 'the way back');
    got.filter((m) => m.topic === 'down' || m.topic === 'up').should.eql([]);
  });
});
