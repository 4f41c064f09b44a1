'use strict';
// Where watch-activity's sessions come from, without Node-RED: what Plex's play notifications do to the sessions
// the source knows, and when they cost a request (a look) at the server (simulator).
require('should');
const { plexWatchSource } = require('../../nodes/sync/watch-source');
const { PlexClient } = require('../../nodes/players/plex/client');
const { PlexNotifications } = require('../../nodes/players/plex/notifications');
const { PlexSim } = require('../sim/plex-sim');
const { until } = require('../lib/wait');

describe('Plex watch source (no Node-RED)', function () {
  let sim;
  let socket;
  let source;
  let unlisten;
  const said = [];
  const heard = [];
  beforeEach(async function () {
    said.length = 0;
    heard.length = 0;
    sim = await new PlexSim().start();
    const endpoint = { name: 'Attic', url: sim.url, token: sim.token, clientId: 'test-client' };
    socket = new PlexNotifications(endpoint, { retryMinMs: 20, retryMaxMs: 100 });
    socket.on('playing', (p) => heard.push(p)); // before the source's: when heard here, the source has it too
    source = plexWatchSource(new PlexClient(endpoint), socket, () => undefined);
    unlisten = source.listen((observations) => said.push(observations ? observations : 'look'));
    socket.start();
    await until(() => socket.up, 'the socket');
    said.length = 0; // the look the socket's coming up asks for
  });
  afterEach(async function () {
    unlisten();
    socket.stop();
    await sim.stop();
  });
  const notified = (n) => until(() => heard.length === n, `${n} notifications`);

  it("a music client's notifications ask for one look, then none; a film's move its session", async function () {
    sim.sessions = [
      PlexSim.session({ key: 'M', ratingKey: '9', user: 'ben', item: { type: 'track', title: 'Song' } }),
      PlexSim.session({ key: 'F', ratingKey: '10', user: 'anna', positionS: 60 }),
    ];
    sim.playState('M', 'playing', 10);
    await notified(1);
    said.should.eql(['look'], 'a session it does not know');
    (await source.look()).map((o) => o.sessionId).should.eql(['F']);
    for (let s = 20; s <= 100; s += 10) sim.playState('M', 'playing', s);
    sim.playState('F', 'paused', 75);
    await notified(11);
    said.length.should.equal(2, 'no look for the music: only the film, pushed');
    said[1].should.match([{ sessionId: 'F', paused: true, positionS: 75 }]);
    sim.playState('F', 'stopped');
    await notified(12);
    said[2].should.eql([], 'the film stopped, pushed');
  });

  it('a look that began before a push does not bring back what the push ended', async function () {
    sim.sessions = [
      PlexSim.session({ key: 'A', ratingKey: '1', user: 'anna' }),
      PlexSim.session({ key: 'B', ratingKey: '2', user: 'ben', device: 'Pad' }),
    ];
    await source.look();
    const hold = {};
    sim.holdSessions = hold;
    const late = source.look(); // the list as it is now: Anna and Ben playing
    await until(() => hold.asked, 'the look');
    sim.playState('A', 'stopped');
    await notified(1);
    said
      .at(-1)
      .map((o) => o.sessionId)
      .should.eql(['B'], 'Anna stopped, pushed');
    hold.release();
    (await late).map((o) => o.sessionId).should.eql(['A', 'B']); // old news, which watch-activity drops
    // The source still knows Anna stopped: Ben's next notification pushes him alone.
    sim.playState('B', 'paused', 5);
    await notified(2);
    said
      .at(-1)
      .map((o) => o.sessionId)
      .should.eql(['B']);
  });
});
