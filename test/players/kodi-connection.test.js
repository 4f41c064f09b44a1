'use strict';
require('should');
const { KodiConnection } = require('../../nodes/players/kodi/connection');
const { backoffDelay } = require('../../nodes/core/time');
const { KodiSim } = require('../sim/kodi-sim');
const { until, next } = require('../lib/wait');

describe('Kodi connection', function () {
  let sim;
  let conn;
  beforeEach(async function () {
    sim = await new KodiSim().start();
  });
  afterEach(async function () {
    if (conn) conn.stop();
    await sim.stop();
  });

  const connect = (options = {}) => {
    conn = new KodiConnection(
      {
        name: 'Den',
        host: '127.0.0.1',
        httpPort: sim.httpPort,
        wsPort: sim.wsPort,
        tls: false,
        username: sim.username,
        password: sim.password,
      },
      options,
    );
    conn.start();
    return conn;
  };

  it('backs off exponentially up to a cap', function () {
    [0, 1, 2, 3, 4, 5, 6, 40]
      .map((n) => backoffDelay(n, 1000, 30000))
      .should.eql([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('passes Kodi notifications to subscribers, and stops when unsubscribed', async function () {
    connect();
    await until(() => conn.state === 'connected', 'the connection');
    const seen = [];
    const unsubscribe = conn.onNotification((n) => seen.push(n));
    const first = next(conn, 'notification', 'OnScanFinished');
    sim.notify('VideoLibrary.OnScanFinished');
    (await first).should.eql({ method: 'VideoLibrary.OnScanFinished', data: null });
    unsubscribe();
    const second = next(conn, 'notification', 'OnUpdate');
    sim.notify('VideoLibrary.OnUpdate', { item: { id: 3, type: 'movie' }, added: true });
    await second;
    seen.should.have.length(1);
  });

  it('a subscriber that throws harms neither Node-RED nor the socket: the next notification arrives', async function () {
    connect();
    await until(() => conn.state === 'connected', 'the connection');
    const lines = [];
    conn.on('debug', (line) => lines.push(line));
    conn.onNotification(() => {
      throw new Error('a bug in a handler');
    });
    sim.notify('Player.OnStop');
    const second = next(
      conn,
      'notification',
      'the next notification',
      10000,
      (n) => n.method === 'Player.OnPlay',
    );
    sim.notify('Player.OnPlay');
    (await second).method.should.equal('Player.OnPlay');
    conn.websocketUp.should.be.true();
    lines.join('\n').should.match(/a handler of Player\.OnStop failed: a bug in a handler/);
  });

  it('Kodi going away is told as Kodi being down, not as the remote-control setting; coming back is told at once', async function () {
    connect({ reconnectMinMs: 20, reconnectMaxMs: 200 });
    await until(() => conn.state === 'connected', 'the connection');
    const seen = [];
    conn.on('state', (state) => seen.push({ state, problem: conn.problem && conn.problem.message }));
    await sim.stop();
    await until(() => conn.state === 'disconnected', 'the disconnected state');
    seen.map((s) => s.state).should.not.containEql('http-only');
    const down = seen.find((s) => s.state === 'disconnected');
    down.problem.should.match(
      /connection refused.*Kodi is not running at that address, or the HTTP port is wrong/,
    );
    down.problem.should.not.match(/remote control from applications/);
    await sim.start();
    await until(() => conn.state === 'connected', 'the connection again', 10000);
  });

  it('finds a hung WebSocket by its unanswered ping and opens a new one', async function () {
    connect({ pingIntervalMs: 50, pingTimeoutMs: 100, reconnectMinMs: 10 });
    await until(() => conn.state === 'connected', 'the connection');
    sim.deaf = true;
    await until(() => sim.wsAccepted >= 2, 'a second WebSocket');
    sim.deaf = false;
    await until(() => conn.state === 'connected', 'the connection again');
    sim.openSockets.should.equal(1);
  });

  it('stop() closes the socket and clears every timer it set', async function () {
    connect({ pingIntervalMs: 20 });
    await until(() => sim.openSockets === 1 && conn.state === 'connected', 'the socket');
    conn.timersSet.should.be.above(0); // the ping interval runs
    conn.stop();
    conn.state.should.equal('idle');
    conn.timersSet.should.equal(0);
    await until(() => sim.openSockets === 0, 'the socket to close');
  });

  it('stop() while reconnecting leaves no reconnect timer', async function () {
    connect();
    await until(() => conn.state === 'connected', 'the connection');
    sim.wss.close();
    for (const ws of sim.wss.clients) ws.terminate();
    await until(() => conn.timersSet === 1 && !conn.websocketUp, 'a reconnect timer');
    conn.stop();
    conn.timersSet.should.equal(0);
  });
});
