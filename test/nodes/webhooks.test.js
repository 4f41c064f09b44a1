'use strict';
// jellyfin-webhook and plex-webhook through real flows, fed the bodies an `http in` node hands over (Jellyfin's
// text/plain JSON as a string; Plex's multipart body as a Buffer with the request's Content-Type): the same events
// as watch-activity, with the item's path looked up on the server (simulator) and mapped back to the library.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, nodes, lastStatus } = require('../lib/nodes');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');
const { until } = require('../lib/wait');
const { ITEM_ID, jellyfinBody, plexBody, multipart } = require('../fixtures/webhook-bodies');

const TOPICS = ['started', 'paused', 'resumed', 'completed', 'stopped'];
const TICKS = 10_000_000;

describe('jellyfin-webhook and plex-webhook (simulators)', function () {
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
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-hooks-'));
    helper.settings({ userDir });
  });
  afterEach(async function () {
    await helper.unload();
    if (sim) await sim.stop();
    sim = undefined;
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  /** A flow: the webhook node (with the server config when `server` is given), its output, a Catch node. */
  const load = (type, server, settings = {}) => {
    const flow = [
      { id: 'tab', type: 'tab' },
      { id: 'maps', type: 'path-mappings', rules: [{ from: '/tv', to: '/data/tv' }] },
      {
        id: 'hook',
        type,
        z: 'tab',
        server: server ? 'server' : '',
        minimum: 0, // the test's clock: any watched time counts
        wires: [['out']],
        ...settings,
      },
      { id: 'out', type: 'helper', z: 'tab' },
      { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab' },
    ];
    if (server) flow.push({ id: 'server', mappings: 'maps', ...server.config });
    return helper.load(
      [nodes.jellyfinServer, nodes.plexServer, nodes.pathMappings, nodes.jellyfinWebhook, nodes.plexWebhook],
      flow,
      server ? { server: server.creds } : {},
    );
  };
  const collect = (id) => {
    const got = [];
    helper.getNode(id).on('input', (msg) => got.push(msg));
    return got;
  };

  it('jellyfin: the plugin’s PlaybackStart, Progress and Stop become the five events, with the library path', async function () {
    sim = await new JellyfinSim().start();
    sim.items.push({
      Id: ITEM_ID,
      Name: 'Good News About Hell',
      Type: 'Episode',
      Path: '/data/tv/Severance/S01E01.mkv',
    });
    await load('jellyfin-webhook', {
      config: { type: 'jellyfin-server', name: 'Den', url: sim.url },
      creds: { apiKey: sim.apiKey },
    });
    const got = collect('out');
    const hook = helper.getNode('hook');
    const post = async (type, over, topic) => {
      hook.receive({ payload: JSON.stringify(jellyfinBody(type, over)) }); // text/plain: a string
      await until(() => got.some((m) => m.topic === topic), topic);
    };
    await post('PlaybackStart', { PlaybackPositionTicks: 60 * TICKS }, 'started');
    await post('PlaybackProgress', { PlaybackPositionTicks: 65 * TICKS, IsPaused: true }, 'paused');
    await post('PlaybackProgress', { PlaybackPositionTicks: 65 * TICKS }, 'resumed');
    await post('PlaybackProgress', { PlaybackPositionTicks: 3100 * TICKS }, 'completed');
    await post('PlaybackStop', { PlaybackPositionTicks: 3110 * TICKS, PlayedToCompletion: true }, 'stopped');
    got.map((m) => m.topic).should.eql(TOPICS);
    got[0].payload.should.match({
      player: 'Den',
      playerType: 'jellyfin',
      user: 'anna',
      device: 'Pixel 8',
      client: 'Jellyfin Android',
      item: {
        type: 'episode',
        title: 'Severance S01E01 Good News About Hell',
        show: 'Severance',
        season: 1,
        episode: 1,
        year: 2022,
        ids: { imdb: 'tt11650328', tvdb: 7956016 },
        playerPath: '/data/tv/Severance/S01E01.mkv',
        libraryPath: '/tv/Severance/S01E01.mkv',
      },
      positionS: 60,
      runtimeS: 3420,
    });
    lastStatus(hook).should.match({ fill: 'green' });
    // The path was looked up by id, once for the whole play.
    sim
      .requests('/Items')
      .map((r) => r.query.Ids)
      .should.eql([ITEM_ID]);
  });

  it('plex: the multipart media.play, pause, resume, scrobble and stop become the five events', async function () {
    sim = await new PlexSim().start();
    sim.items.push({
      ratingKey: '301',
      title: 'Good News About Hell',
      type: 'episode',
      file: '/data/tv/Severance/S01E01.mkv',
      duration: 3_420_000,
    });
    await load('plex-webhook', {
      config: { type: 'plex-server', name: 'Attic', url: sim.url, clientId: 'test-client' },
      creds: { token: sim.token },
    });
    const got = collect('out');
    const hook = helper.getNode('hook');
    const post = async (event, meta, topic) => {
      const { body, contentType } = multipart(plexBody(event, meta), { thumb: event === 'media.play' });
      hook.receive({ payload: body, req: { headers: { 'content-type': contentType } } });
      await until(() => got.some((m) => m.topic === topic), topic);
    };
    await post('media.play', { viewOffset: 60_000 }, 'started');
    await post('media.pause', { viewOffset: 65_000 }, 'paused');
    await post('media.resume', { viewOffset: 65_000 }, 'resumed');
    await post('media.scrobble', { viewOffset: 3_100_000 }, 'completed');
    await post('media.stop', { viewOffset: 3_110_000 }, 'stopped');
    got.map((m) => m.topic).should.eql(TOPICS);
    got[0].payload.should.match({
      player: 'Attic',
      playerType: 'plex',
      user: 'ben',
      device: 'Living Room TV',
      item: {
        type: 'episode',
        id: '301',
        show: 'Severance',
        ids: { imdb: 'tt11650328', tvdb: 7956016 },
        playerPath: '/data/tv/Severance/S01E01.mkv',
        libraryPath: '/tv/Severance/S01E01.mkv',
      },
      positionS: 60,
      runtimeS: 3420,
    });
  });

  it('a stop while paused is only "stopped" (the stop says nothing of the pause)', async function () {
    await load('plex-webhook');
    const got = collect('out');
    const hook = helper.getNode('hook');
    for (const event of ['media.play', 'media.pause', 'media.stop'])
      hook.receive({ payload: plexBody(event) });
    await until(() => got.some((m) => m.topic === 'stopped'), 'stopped');
    got.map((m) => m.topic).should.eql(['started', 'paused', 'stopped']);
  });

  it('a late stop of the previous episode, after the next one started: nothing, and the next one goes on', async function () {
    await load('jellyfin-webhook');
    const got = collect('out');
    const hook = helper.getNode('hook');
    const next = { ItemId: 'b1b2c3d4e5f60718293a4b5c6d7e8f90', Name: 'Half Loop', EpisodeNumber: 2 };
    const bodies = [
      jellyfinBody('PlaybackStart'),
      jellyfinBody('PlaybackStart', next), // autoplay: the next episode, before the stop of the first
      jellyfinBody('PlaybackStop'),
      jellyfinBody('PlaybackProgress', { ...next, IsPaused: true }),
    ];
    for (const body of bodies) hook.receive({ payload: body });
    await until(() => got.some((m) => m.topic === 'paused'), 'paused');
    got
      .map((m) => `${m.topic}:${m.payload.item.episode}`)
      .should.eql(['started:1', 'stopped:1', 'started:2', 'paused:2']);
  });

  it('without a server: the events all the same, without paths; other events and unseen stops give nothing', async function () {
    await load('jellyfin-webhook');
    const got = collect('out');
    const hook = helper.getNode('hook');
    // A stop of a play never seen (Node-RED started after it began): nothing, no phantom "started".
    hook.receive({ payload: JSON.stringify(jellyfinBody('PlaybackStop')) });
    hook.receive({ payload: JSON.stringify(jellyfinBody('ItemAdded')) });
    hook.receive({ payload: Buffer.from(JSON.stringify(jellyfinBody('PlaybackStart'))) });
    await until(() => got.length === 1, 'started');
    got[0].topic.should.equal('started');
    got[0].payload.player.should.equal('Jellyfin');
    (got[0].payload.item.playerPath === undefined).should.be.true();
  });

  it('a body that is not the server’s: done(err) for Catch nodes, and the next body works', async function () {
    await load('plex-webhook', undefined, { users: 'ben' });
    const got = collect('out');
    const caught = collect('caught');
    const hook = helper.getNode('hook');
    hook.receive({
      payload: Buffer.from('garbage'),
      req: { headers: { 'content-type': 'multipart/form-data' } },
    });
    hook.receive({ payload: '{"event": 5}' });
    await until(() => caught.length === 2, 'two errors');
    caught[0].error.message.should.match(/no boundary/);
    caught[1].error.message.should.match(/payload.event is not text/);
    lastStatus(hook).should.match({ fill: 'red' });
    // Another user (a filter): nothing; ben: the event.
    const other = plexBody('media.play');
    other.Account.title = 'carl';
    hook.receive({ payload: other });
    hook.receive({ payload: { payload: JSON.stringify(plexBody('media.play')) } });
    await until(() => got.length === 1, 'started');
    got[0].payload.user.should.equal('ben');
  });
});
