'use strict';
// What Jellyfin's WebSocket gives a connection made with an API key (the simulator follows the server's code, see
// test/sim/jellyfin-sim.js): keep-alives and the sessions it subscribes to, but no library messages, which go to
// users' sessions only. Why jellyfin-refresh and player-sync wait for Jellyfin's library by polling it.
require('should');
const WebSocket = require('ws');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { until } = require('../lib/wait');
const { JellyfinSocket, sessionsSubscribable } = require('../../nodes/players/jellyfin/socket');

describe('Jellyfin WebSocket with an API key (simulator)', function () {
  let sim;
  let ws;
  const frames = [];
  beforeEach(async function () {
    frames.length = 0;
    sim = await new JellyfinSim({ monitorDelayMs: 20, refreshMs: 10 }).start();
    sim.addLibrary('Movies', 'movies', ['/media/movies']);
  });
  afterEach(async function () {
    if (ws) ws.terminate();
    await sim.stop();
  });

  const open = (key) =>
    new Promise((resolve, reject) => {
      ws = new WebSocket(`${sim.url.replace('http', 'ws')}/socket?ApiKey=${key}`);
      ws.on('message', (raw) => frames.push(JSON.parse(String(raw))));
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });

  it('a wrong key is refused at the upgrade', async function () {
    await open('wrong-key').should.be.rejectedWith(/HTTP 401/);
  });

  it('keep-alives and subscribed sessions come; a library refresh brings no message', async function () {
    await open(sim.apiKey);
    await until(() => frames.some((f) => f.MessageType === 'ForceKeepAlive'), 'ForceKeepAlive');
    ws.send(JSON.stringify({ MessageType: 'KeepAlive' }));
    await until(() => frames.some((f) => f.MessageType === 'KeepAlive'), 'the KeepAlive answer');
    ws.send(JSON.stringify({ MessageType: 'SessionsStart', Data: '0,1500' }));
    await until(() => sim.subscriptions === 1, 'the subscription');
    sim.sessions = [{ Id: 's1', UserName: 'anna', NowPlayingItem: { Name: 'Film' } }];
    sim.sessionsChanged();
    await until(() => frames.some((f) => f.MessageType === 'Sessions'), 'Sessions');
    // A new movie through the immediate refresh: the library changes, the socket says nothing of it.
    sim.addFile('/media/movies/New (2024)/New.mkv', 'New');
    const lib = sim.libraries[0];
    await fetch(`${sim.url}/Items/${lib.ItemId}/Refresh`, {
      method: 'POST',
      headers: { Authorization: `MediaBrowser Token="${sim.apiKey}"` },
    });
    await until(() => sim.items.some((i) => i.Name === 'New'), 'the refresh to find the movie');
    frames.map((f) => f.MessageType).should.not.containEql('LibraryChanged');
    frames.map((f) => f.MessageType).should.not.containEql('RefreshProgress');
  });
});

describe('JellyfinSocket (no Node-RED)', function () {
  let sim;
  let socket;
  beforeEach(async function () {
    sim = await new JellyfinSim().start();
  });
  afterEach(async function () {
    if (socket) socket.stop();
    socket = undefined;
    await sim.stop();
  });
  const open = (over = {}) => {
    socket = new JellyfinSocket(
      { name: 'Den', url: sim.url, apiKey: sim.apiKey, deviceId: 'dev-1', ...over },
      { retryMinMs: 20, retryMaxMs: 100 },
    );
    socket.start();
    return socket;
  };

  it('which versions let an API key subscribe to Sessions', function () {
    const yes = ['10.8.0', '10.8.13', '10.10.6', '10.10.7', '10.11.0', '12.0.0'];
    const no = ['10.9.0', '10.9.11', '10.10.0', '10.10.5', '10.7.7', '', 'nonsense', undefined];
    for (const v of yes) sessionsSubscribable(v).should.be.true(v);
    for (const v of no) sessionsSubscribable(v).should.be.false(String(v));
  });

  it('answers ForceKeepAlive, subscribes once per connection, and gives the pushed sessions', async function () {
    open();
    const heard = [];
    socket.on('sessions', (s) => heard.push(s));
    await until(() => socket.up, 'the socket');
    await until(() => sim.keepAlives >= 1, 'the KeepAlive answering ForceKeepAlive');
    const releaseA = socket.watchSessions();
    const releaseB = socket.watchSessions();
    await until(() => socket.sessionsLive && sim.subscriptions === 1, 'the subscription');
    sim.sessions = [
      JellyfinSim.session({ user: 'anna', item: { Name: 'Arrival', Path: '/m/Arrival.mkv' }, positionS: 30 }),
    ];
    sim.sessionsChanged();
    await until(() => heard.length === 1, 'Sessions');
    sim.subscriptions.should.equal(1, 'two users, one subscription');
    heard[0].should.match([{ user: 'anna', title: 'Arrival', file: '/m/Arrival.mkv', positionSeconds: 30 }]);
    // Frames of another shape are counted and ignored; the socket stays.
    const ws = [...sim.wss.clients][0];
    ws.send(JSON.stringify({ MessageType: 'Sessions', Data: 'not a list' }));
    ws.send('{oops');
    ws.send(JSON.stringify({ MessageType: 'Sessions', Data: [{ Id: 5 }] }));
    sim.sessionsChanged();
    await until(() => heard.length === 2, 'the good frame after the bad ones');
    socket.ignoredFrames.should.equal(3);
    releaseA();
    sim.subscriptions.should.equal(1, 'one user still wants it');
    releaseB();
    await until(() => sim.subscriptions === 0, 'SessionsStop after the last user');
    // The key went in a header, never in the socket's URL.
    sim.requests().forEach((r) => r.raw.should.not.containEql(sim.apiKey));
  });

  it('a wrong key: polling, with the reason and without the key', async function () {
    open({ apiKey: 'wrong-key-0000' });
    await until(() => socket.state === 'polling' && socket.reason, 'polling');
    socket.reason.should.match(/refused the credential \(HTTP 401\)/);
    socket.reason.should.not.containEql('wrong-key-0000');
  });
});
