'use strict';
// Plex's notification socket (no Node-RED): what it hears of a section's refresh, what it does with frames of any
// other shape (ignores them, harming nothing), where the token goes, and how it comes back after a drop.
require('should');
const {
  PlexNotifications,
  decodeNotification,
  notificationUrl,
} = require('../../nodes/players/plex/notifications');
const { PlexSim } = require('../sim/plex-sim');
const { until, next } = require('../lib/wait');

describe('Plex notifications (no Node-RED)', function () {
  let sim;
  let notes;
  beforeEach(async function () {
    sim = await new PlexSim({ scanMs: 20 }).start();
    sim.addSection('Movies', 'movie', ['/media/movies']);
  });
  afterEach(async function () {
    if (notes) notes.stop();
    notes = undefined;
    await sim.stop();
  });

  const open = (options = {}) => {
    notes = new PlexNotifications(
      { name: 'Attic', url: sim.url, token: sim.token, clientId: 'test-client' },
      { retryMinMs: 20, retryMaxMs: 100, ...options },
    );
    notes.start();
    return notes;
  };

  it('the socket URL follows the server URL, without the token', function () {
    notificationUrl('http://10.0.0.5:32400').should.equal('ws://10.0.0.5:32400/:/websockets/notifications');
    notificationUrl('https://plex.example/').should.equal('wss://plex.example/:/websockets/notifications');
    (notificationUrl('ftp://x') === undefined).should.be.true();
    (notificationUrl('not a url') === undefined).should.be.true();
  });

  it("hears a section's refresh start and end, and the items it added", async function () {
    open();
    await until(() => notes.up, 'the socket');
    const heard = [];
    notes.on('activity', (a) => heard.push(a));
    const timeline = next(notes, 'timeline', 'a timeline entry');
    sim.addFile('/media/movies/New (2024)/New.mkv', 'New');
    const ended = next(notes, 'activity', 'the end', 5000, (a) => a.event === 'ended');
    await fetch(
      `${sim.url}/library/sections/1/refresh?path=${encodeURIComponent('/media/movies/New (2024)/')}`,
      {
        headers: { 'X-Plex-Token': sim.token },
      },
    );
    await ended;
    heard
      .map((a) => [a.event, a.type, a.sectionKey])
      .should.eql([
        ['started', 'library.update.section', '1'],
        ['ended', 'library.update.section', '1'],
      ]);
    (await timeline).should.match({ sectionKey: '1', state: 5 });
    sim.socketTokens.at(-1).should.match({ header: sim.token });
    sim.socketTokens.at(-1).url.should.not.containEql(sim.token);
  });

  it('frames of any other shape are ignored and counted; the socket and the next frame work', async function () {
    open();
    await until(() => notes.up, 'the socket');
    const heard = [];
    notes.on('activity', (a) => heard.push(a));
    notes.on('activity', () => {
      throw new Error('a listener that throws');
    });
    const ws = [...sim.wss.clients][0];
    for (const frame of ['null', '42', '[]', '"x"', '{"NotificationContainer":7}', '{not json', '{}'])
      ws.send(frame);
    ws.send(Buffer.from([0xff, 0xfe, 0x00]), { binary: true });
    ws.send(
      JSON.stringify({ NotificationContainer: { type: 'activity', ActivityNotification: [null, 5, {}] } }),
    );
    sim.activity('ended', 'u-1', sim.sections[0]);
    await until(() => heard.length === 1, 'the good frame after the bad ones');
    notes.ignoredFrames.should.equal(8);
    notes.up.should.be.true();
  });

  it('a frame over 1 MB closes that socket; it comes back by itself', async function () {
    open();
    await until(() => notes.up, 'the socket');
    [...sim.wss.clients][0].send('x'.repeat(2 * 1024 * 1024));
    await until(() => !notes.up, 'the socket to close');
    await until(() => notes.up, 'the socket to come back');
  });

  it('a refused token or a server without the socket: polling, with the reason and no token in it', async function () {
    sim.socketMode = 'refuse';
    open();
    await until(() => notes.state === 'polling', 'polling');
    notes.reason.should.match(/refused the credential \(HTTP 401\)/);
    notes.reason.should.not.containEql(sim.token);
    sim.socketMode = 'off';
    await until(() => /HTTP 404/.test(notes.reason || ''), 'the next attempt');
    sim.socketMode = 'on';
    await until(() => notes.up, 'the socket once the server takes it');
  });

  it('decodes only the shapes it knows', function () {
    (decodeNotification(null) === undefined).should.be.true();
    (decodeNotification({ NotificationContainer: { size: 1 } }) === undefined).should.be.true();
    decodeNotification({
      NotificationContainer: { type: 'playing', PlaySessionStateNotification: [] },
    }).should.eql({ activities: [], timeline: [], playing: [] });
    // Play states: a session key and a known state are needed; the rest is taken where it has its shape.
    decodeNotification({
      NotificationContainer: {
        type: 'playing',
        PlaySessionStateNotification: [
          { sessionKey: '12', state: 'paused', ratingKey: 301, viewOffset: 61000 },
          { sessionKey: 13, state: 'stopped', viewOffset: -5 },
          { sessionKey: '14', state: 'dancing' },
          { state: 'playing' },
          null,
        ],
      },
    }).playing.should.eql([
      { sessionKey: '12', state: 'paused', ratingKey: '301', viewOffsetMs: 61000 },
      { sessionKey: '13', state: 'stopped', ratingKey: undefined, viewOffsetMs: undefined },
    ]);
  });
});
