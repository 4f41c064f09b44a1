'use strict';
require('should');
const { helper, nodes, logText, statuses, lastStatus } = require('../lib/nodes');
const { KodiSim } = require('../sim/kodi-sim');
const { until, next } = require('../lib/wait');

const PASSWORD = 'secret-kodi-pw';

function flowFor(sim, extra = {}) {
  return [
    { id: 'tab', type: 'tab' },
    {
      id: 'k1',
      type: 'kodi-player',
      name: 'Living room',
      host: '127.0.0.1',
      httpPort: sim.httpPort,
      wsPort: sim.wsPort,
      tls: false,
      ...extra,
    },
    {
      id: 'a1',
      type: 'active-check',
      z: 'tab',
      playerType: 'kodi',
      kodi: 'k1',
      wires: [['idle'], ['active']],
    },
    {
      id: 'a2',
      type: 'active-check',
      z: 'tab',
      playerType: 'kodi',
      kodi: 'k1',
      wires: [['idle'], ['active']],
    },
    { id: 'idle', type: 'helper', z: 'tab' },
    { id: 'active', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

const types = [nodes.kodiPlayer, nodes.activeCheck];
const creds = (password = PASSWORD) => ({ k1: { username: 'kodi', password } });

/** Resolves with the next status of `node` that satisfies `check`. */
function statusOf(node, check, what) {
  return next(node, 'call:status', what, 10000, (call) => check(call.args[0])).then((call) => call.args[0]);
}

describe('kodi-player config node', function () {
  let sim;

  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(async function () {
    sim = await new KodiSim({ password: PASSWORD }).start();
  });
  afterEach(async function () {
    await helper.unload();
    await sim.stop();
  });

  it('shares one WebSocket between two flow nodes and shows "connected" on both', async function () {
    await helper.load(types, flowFor(sim), creds());
    const a1 = helper.getNode('a1');
    const a2 = helper.getNode('a2');
    await until(() => helper.getNode('k1').connection.state === 'connected', 'the connection');
    lastStatus(a1).should.eql({ fill: 'green', shape: 'dot', text: 'connected' });
    lastStatus(a2).should.eql({ fill: 'green', shape: 'dot', text: 'connected' });
    const idle = helper.getNode('idle');
    const answers = [next(idle, 'input', 'first answer'), next(idle, 'input', 'second answer')];
    a1.receive({ payload: 'x' });
    const first = await answers[0];
    a2.receive({ payload: 'y' });
    await answers[1];
    first.payload.should.match({ status: 'idle', player: 'Living room', playerType: 'kodi' });
    sim.wsAccepted.should.equal(1);
    sim.openSockets.should.equal(1);
  });

  it('closes the WebSocket when the last flow node goes', async function () {
    await helper.load(types, flowFor(sim), creds());
    await until(() => sim.openSockets === 1, 'the WebSocket');
    await helper.unload();
    await until(() => sim.openSockets === 0, 'the WebSocket to close');
  });

  it('status follows the connection and the connection comes back after Kodi restarts', async function () {
    await helper.load(types, flowFor(sim), creds());
    const a1 = helper.getNode('a1');
    await until(() => helper.getNode('k1').connection.state === 'connected', 'the connection');
    const down = statusOf(
      a1,
      (s) => s.fill === 'red' && s.text === 'disconnected',
      'a red "disconnected" ring',
    );
    await sim.stop();
    (await down).should.eql({ fill: 'red', shape: 'ring', text: 'disconnected' });
    const up = statusOf(a1, (s) => s.fill === 'green', 'the green dot again');
    await sim.start();
    (await up).should.eql({ fill: 'green', shape: 'dot', text: 'connected' });
    sim.openSockets.should.equal(1);
    // and it works again
    const answer = next(helper.getNode('idle'), 'input', 'an answer after the restart');
    a1.receive({});
    (await answer).payload.status.should.equal('idle');
  });

  it('works over HTTP alone when the WebSocket port is closed, and says so', async function () {
    const closedPort = sim.wsPort;
    sim.wss.close();
    await helper.load(types, flowFor(sim, { wsPort: closedPort }), creds());
    const k1 = helper.getNode('k1');
    await until(() => k1.connection.state === 'http-only', 'HTTP-only state');
    lastStatus(helper.getNode('a1')).should.eql({
      fill: 'yellow',
      shape: 'ring',
      text: 'HTTP only (polling)',
    });
    k1.connection.problem.message.should.match(
      /WebSocket port \d+ refused.*Allow remote control from applications/,
    );
    const answer = next(helper.getNode('idle'), 'input', 'an answer');
    helper.getNode('a1').receive({});
    (await answer).payload.status.should.equal('idle');
  });

  it('explains a WebSocket port that answers HTTP', async function () {
    await helper.load(types, flowFor(sim, { wsPort: sim.httpPort }), creds());
    const k1 = helper.getNode('k1');
    await until(() => k1.connection.state === 'http-only', 'HTTP-only state');
    k1.connection.problem.message.should.match(/port \d+ answered HTTP 404 instead of a WebSocket/);
  });

  it('keeps the credentials as credentials and never echoes the password', async function () {
    await helper.load(types, flowFor(sim), creds('wrong-password-123'));
    const k1 = helper.getNode('k1');
    k1.credentials.should.eql({ username: 'kodi', password: 'wrong-password-123' });
    ('password' in k1).should.be.false();
    const caught = next(helper.getNode('caught'), 'input', 'the error at the Catch node');
    const a1 = helper.getNode('a1');
    a1.receive({ payload: 'check' });
    const msg = await caught;
    msg.error.message.should.match(
      /Kodi "Living room" \(127\.0\.0\.1:\d+\): Player\.GetActivePlayers failed: wrong username or password \(HTTP 401\)\. Check the username and password/,
    );
    await until(() => lastStatus(a1).text === 'credentials refused', 'the red ring');
    const everything = JSON.stringify(msg) + logText() + JSON.stringify(statuses(a1));
    everything.should.not.containEql('wrong-password-123');
    k1.connection.state.should.equal('auth-failed');
  });

  it('an empty host is a clear error on the node, not a crash', async function () {
    await helper.load(types, flowFor(sim, { host: '' }), creds());
    const caught = next(helper.getNode('caught'), 'input', 'the error');
    helper.getNode('a1').receive({});
    (await caught).error.message.should.match(
      /Kodi "Living room" \(no host set\): settings failed: the host is empty\. Fill in the missing setting; open the kodi-player config node to fix it, then deploy/,
    );
  });

  it('an unreachable port is a clear error naming the player and the fix', async function () {
    const port = sim.httpPort;
    await sim.stop();
    await helper.load(types, flowFor(sim, { httpPort: port }), creds());
    const caught = next(helper.getNode('caught'), 'input', 'the error');
    helper.getNode('a1').receive({});
    (await caught).error.message.should.match(
      /Kodi "Living room" \(127\.0\.0\.1:\d+\): Player\.GetActivePlayers failed: connection refused.*Allow remote control via HTTP/,
    );
  });

  it('malformed JSON from the player is a protocol error', async function () {
    sim.mode = 'malformed';
    await helper.load(types, flowFor(sim), creds());
    const caught = next(helper.getNode('caught'), 'input', 'the error');
    helper.getNode('a1').receive({});
    (await caught).error.message.should.match(/the answer is text of \d+ bytes, not JSON.*web server port/);
  });

  it('a missing config node gives a red ring and an error, and the flow goes on', async function () {
    const flow = flowFor(sim).filter((n) => n.id !== 'k1');
    await helper.load(types, flow, {});
    const a1 = helper.getNode('a1');
    statuses(a1).should.containEql({ fill: 'red', shape: 'ring', text: 'no kodi-player' });
    const caught = next(helper.getNode('caught'), 'input', 'the error');
    a1.receive({});
    (await caught).error.message.should.match(/no kodi-player config node is selected: open this node/);
  });
});
