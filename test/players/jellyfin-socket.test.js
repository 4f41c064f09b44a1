'use strict';
// What Jellyfin's WebSocket gives a connection made with an API key (the simulator follows the server's code, see
// test/sim/jellyfin-sim.js): keep-alives and the sessions it subscribes to, but no library messages, which go to
// users' sessions only. Why jellyfin-refresh and player-sync wait for Jellyfin's library by polling it.
require('should');
const WebSocket = require('ws');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { until } = require('../lib/wait');

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
    await until(() => sim.wss && [...sim.wss.clients].some((c) => c.subscribed), 'the subscription');
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
