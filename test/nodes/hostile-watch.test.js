'use strict';
// Hostile input to the watch nodes, as a LAN device or a broken server may send it: webhook bodies of every JSON
// type, wrong-typed fields, oversized and invalid bodies; Jellyfin Sessions frames and Plex play notifications of
// the wrong shape. For each: Node-RED stays alive, a body ends in a clear error naming the field (for Catch nodes)
// or is ignored, a frame is ignored, and the next good body or frame still gives its event.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, nodes } = require('../lib/nodes');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');
const { until } = require('../lib/wait');
const { jellyfinBody, plexBody, multipart } = require('../fixtures/webhook-bodies');

/** What no error may look like: an exception from deep inside our code instead of our own words. */
const RAW_ERROR = /TypeError|Cannot read propert|is not a function|is not iterable|undefined \(reading/;

describe('watch nodes, hostile input', function () {
  this.timeout(20000);
  let userDir;
  let sim;
  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-hostile-watch-'));
    helper.settings({ userDir });
  });
  afterEach(async function () {
    await helper.unload();
    if (sim) await sim.stop();
    sim = undefined;
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const loadHook = (type) =>
    helper.load(
      [nodes.jellyfinWebhook, nodes.plexWebhook],
      [
        { id: 'tab', type: 'tab' },
        { id: 'hook', type, z: 'tab', minimum: 0, wires: [['out']] },
        { id: 'out', type: 'helper', z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ],
    );
  const collect = (id) => {
    const got = [];
    helper.getNode(id).on('input', (msg) => got.push(msg));
    return got;
  };

  const deep = '['.repeat(100000) + ']'.repeat(100000);
  const jellyfin = [
    ['null', null, /not a JSON object/],
    ['a number', 42, /not a JSON object/],
    ['a list', [jellyfinBody('PlaybackStart')], /not a JSON object/],
    ['deeply nested lists', deep, /not a JSON object/],
    ['2 MB of text', 'x'.repeat(2 * 1024 * 1024), /over 1 MB/],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d]), /not JSON/],
    ['no NotificationType', { Name: 'x' }, /NotificationType is missing/],
    ['NotificationType a list', { NotificationType: ['PlaybackStart'] }, /NotificationType is not text/],
    ['an ItemId that is a path', jellyfinBody('PlaybackStart', { ItemId: '../../etc/passwd' }), /ItemId/],
    [
      'an ItemId that is an object',
      jellyfinBody('PlaybackStart', { ItemId: { a: 1 } }),
      /ItemId is not text/,
    ],
    [
      'a position that is text',
      jellyfinBody('PlaybackProgress', { PlaybackPositionTicks: 'late' }),
      /PlaybackPositionTicks/,
    ],
    ['IsPaused a number', jellyfinBody('PlaybackProgress', { IsPaused: 1 }), /IsPaused/],
    ['Name an object', jellyfinBody('PlaybackStart', { Name: { toString: 'x' } }), /Name is not text/],
    ['a __proto__ key', '{"__proto__":{"polluted":true},"NotificationType":"ItemAdded"}', null],
  ];
  for (const [what, body, error] of jellyfin) {
    it(`jellyfin-webhook, ${what}: ${error ? 'a clear error for Catch nodes' : 'ignored'}; the next body works`, async function () {
      await loadHook('jellyfin-webhook');
      const got = collect('out');
      const caught = collect('caught');
      helper.getNode('hook').receive({ payload: body });
      helper.getNode('hook').receive({ payload: JSON.stringify(jellyfinBody('PlaybackStart')) });
      await until(() => got.length === 1, 'the good body’s event');
      got[0].topic.should.equal('started');
      if (error) {
        await until(() => caught.length === 1, 'the error');
        caught[0].error.message.should.match(error);
        caught[0].error.message.should.not.match(RAW_ERROR);
      } else caught.should.eql([]);
      ({}).should.not.have.property('polluted');
    });
  }

  const good = multipart(plexBody('media.play'));
  const plex = [
    ['a multipart body without a boundary', good.body, 'multipart/form-data', /no boundary/],
    ['a multipart body cut short', good.body.subarray(0, 80), good.contentType, /no "payload" part/],
    [
      'a 40 MB multipart body',
      Buffer.concat([good.body, Buffer.alloc(40 * 1024 * 1024)]),
      good.contentType,
      /over 32 MB/,
    ],
    ['a payload part that is not JSON', multipart('x').body, multipart('x').contentType, /not a JSON object/],
    ['a Buffer without a Content-Type', Buffer.from('garbage'), undefined, /not JSON/],
    [
      'Metadata a list',
      { ...plexBody('media.play'), Metadata: [1, 2] },
      undefined,
      /Metadata is not an object/,
    ],
    ['event a number', { event: 5 }, undefined, /payload.event is not text/],
    ['no ratingKey', plexBody('media.pause', { ratingKey: undefined }), undefined, /ratingKey/],
    ['viewOffset text', plexBody('media.pause', { viewOffset: 'late' }), undefined, /viewOffset/],
    [
      'Account a string',
      { ...plexBody('media.play'), Account: 'ben' },
      undefined,
      /Account is not an object/,
    ],
  ];
  for (const [what, payload, contentType, error] of plex) {
    it(`plex-webhook, ${what}: a clear error for Catch nodes; the next body works`, async function () {
      await loadHook('plex-webhook');
      const got = collect('out');
      const caught = collect('caught');
      helper.getNode('hook').receive({ payload, req: { headers: { 'content-type': contentType } } });
      helper
        .getNode('hook')
        .receive({ payload: good.body, req: { headers: { 'content-type': good.contentType } } });
      await until(() => got.length === 1, 'the good body’s event');
      await until(() => caught.length === 1, 'the error');
      caught[0].error.message.should.match(error);
      caught[0].error.message.should.not.match(RAW_ERROR);
    });
  }

  /** watch-activity on a server that pushes; `push` sends one frame of the server's. */
  const loadWatch = (kind, config, creds) =>
    helper.load(
      [nodes.jellyfinServer, nodes.plexServer, nodes.watchActivity],
      [
        { id: 'tab', type: 'tab' },
        { id: 'server', ...config },
        {
          id: 'watch',
          type: 'watch-activity',
          z: 'tab',
          playerType: kind,
          [kind]: 'server',
          minimum: 0,
          pollPlaying: 30,
          pollIdle: 30,
          wires: [['out']],
        },
        { id: 'out', type: 'helper', z: 'tab' },
      ],
      { server: creds },
    );

  it('Jellyfin Sessions frames of the wrong shape are ignored; the socket stays, the next good one is used', async function () {
    sim = await new JellyfinSim().start();
    await loadWatch(
      'jellyfin',
      { type: 'jellyfin-server', name: 'Den', url: sim.url },
      { apiKey: sim.apiKey },
    );
    await until(() => sim.subscriptions === 1, 'the subscription');
    const socket = helper.getNode('server').socket;
    const got = collect('out');
    const bad = [
      { MessageType: 'Sessions', Data: 'not a list' },
      { MessageType: 'Sessions', Data: [{ NowPlayingItem: 'x' }] },
      { MessageType: 'Sessions', Data: [{ PlayState: { PositionTicks: 'late' } }] },
      { MessageType: 'Sessions', Data: [null] },
      { MessageType: 7 },
      [],
      '{"MessageType":"Sessions","Data":' + '['.repeat(50000) + ']'.repeat(50000) + '}',
    ];
    const ws = [...sim.wss.clients][0];
    for (const frame of bad) ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    sim.sessions = [
      JellyfinSim.session({ item: { Name: 'Arrival', Path: '/data/Arrival.mkv' }, positionS: 30 }),
    ];
    sim.sessionsChanged();
    await until(() => got.length === 1, 'the good frame’s event');
    got[0].topic.should.equal('started');
    socket.ignoredFrames.should.equal(bad.length);
    socket.up.should.be.true();
  });

  it('Plex play notifications of the wrong shape are ignored; the next good one is used', async function () {
    sim = await new PlexSim().start();
    await loadWatch(
      'plex',
      { type: 'plex-server', name: 'Attic', url: sim.url, clientId: 'test-client' },
      { token: sim.token },
    );
    const socket = helper.getNode('server').socket;
    await until(() => socket.up, 'the socket');
    const got = collect('out');
    sim.sessions = [PlexSim.session({ key: '21', positionS: 10 })];
    sim.playState('21', 'playing', 10);
    await until(() => got.length === 1, 'started');
    for (const n of [
      { sessionKey: { a: 1 }, state: 'paused' },
      { sessionKey: '21', state: 'exploded' },
      { sessionKey: '21', state: 'playing', viewOffset: 'late' },
      null,
    ]) {
      sim.notify({ type: 'playing', size: 1, PlaySessionStateNotification: [n] });
    }
    sim.notify({ type: 'playing', size: 1, PlaySessionStateNotification: 'nope' });
    sim.playState('21', 'paused', 12);
    await until(() => got.length === 2, 'paused');
    got.map((m) => m.topic).should.eql(['started', 'paused']);
    // The bad viewOffset was left out, not taken: the position is the good notification's.
    got[1].payload.positionS.should.equal(12);
  });
});
