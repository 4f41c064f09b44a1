'use strict';
// The webhook receivers behind real `http in` nodes in the Node-RED of `npm start`: Jellyfin's webhook plugin
// posts its JSON as text/plain, Plex posts multipart/form-data with a `payload` part and a JPEG thumb. What a user
// would check: each POST is answered (204), and the events come out with the item's paths, looked up on the
// server (simulators) and mapped back to the library.
require('should');
const path = require('node:path');
const { startNodeRed } = require('../lib/start-server');
const { addFlows, postWhenRouted, jsonLines, jsonLinesNode } = require('../lib/deploy');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');
const { until } = require('../lib/wait');
const { ITEM_ID, jellyfinBody, plexBody, multipart } = require('../fixtures/webhook-bodies');

const LIMIT_MS = 60000;

describe('jellyfin-webhook and plex-webhook behind http in (npm start)', function () {
  this.timeout(3 * LIMIT_MS);
  let nr;
  let jellyfin;
  let plex;

  before(async function () {
    jellyfin = await new JellyfinSim().start();
    jellyfin.items.push({
      Id: ITEM_ID,
      Name: 'Good News About Hell',
      Type: 'Episode',
      Path: '/data/tv/S/E1.mkv',
    });
    plex = await new PlexSim().start();
    plex.items.push({
      ratingKey: '301',
      title: 'Good News About Hell',
      type: 'episode',
      file: '/data/tv/S/E1.mkv',
    });
    nr = await startNodeRed();
    const receiver = (name, type, server) => [
      {
        id: `wh-${name}-in`,
        type: 'http in',
        z: 'wh-tab',
        url: `/hooks/${name}`,
        method: 'post',
        upload: false,
        wires: [[`wh-${name}`, `wh-${name}-204`]],
      },
      {
        id: `wh-${name}-204`,
        type: 'change',
        z: 'wh-tab',
        rules: [
          { t: 'set', p: 'statusCode', pt: 'msg', to: '204', tot: 'num' },
          { t: 'set', p: 'payload', pt: 'msg', to: '', tot: 'str' },
        ],
        wires: [[`wh-${name}-res`]],
      },
      { id: `wh-${name}-res`, type: 'http response', z: 'wh-tab', wires: [] },
      { id: `wh-${name}`, type, z: 'wh-tab', server, minimum: 0, wires: [[`wh-${name}-out`]] },
      jsonLinesNode(`wh-${name}-out`, 'wh-tab', path.join(nr.userDir, `wh-${name}.jsonl`)),
    ];
    await addFlows(nr.url, [
      { id: 'wh-tab', type: 'tab', label: 'webhooks test' },
      { id: 'wh-maps', type: 'path-mappings', rules: [{ from: '/tv', to: '/data/tv' }] },
      {
        id: 'wh-jellyfin-server',
        type: 'jellyfin-server',
        name: 'Den',
        url: jellyfin.url,
        mappings: 'wh-maps',
        credentials: { apiKey: jellyfin.apiKey },
      },
      {
        id: 'wh-plex-server',
        type: 'plex-server',
        name: 'Attic',
        url: plex.url,
        clientId: 'test-client',
        mappings: 'wh-maps',
        credentials: { token: plex.token },
      },
      ...receiver('jellyfin', 'jellyfin-webhook', 'wh-jellyfin-server'),
      ...receiver('plex', 'plex-webhook', 'wh-plex-server'),
    ]);
  });
  after(async function () {
    if (nr) await nr.stop();
    if (jellyfin) await jellyfin.stop();
    if (plex) await plex.stop();
  });

  const events = (name) => jsonLines(path.join(nr.userDir, `wh-${name}.jsonl`));
  afterEach(function () {
    if (this.currentTest.state === 'failed') console.log(nr.output());
  });

  it("Jellyfin's text/plain bodies: answered 204, started and stopped with the library path", async function () {
    const post = (type) =>
      postWhenRouted(
        `${nr.url}/hooks/jellyfin`,
        { headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(jellyfinBody(type)) },
        LIMIT_MS,
      );
    (await post('PlaybackStart')).status.should.equal(204);
    await until(() => events('jellyfin').length === 1, 'started', LIMIT_MS);
    (await post('PlaybackStop')).status.should.equal(204);
    await until(() => events('jellyfin').length === 2, 'stopped', LIMIT_MS);
    const [started, stopped] = events('jellyfin');
    started.should.match({
      player: 'Den',
      user: 'anna',
      item: { playerPath: '/data/tv/S/E1.mkv', libraryPath: '/tv/S/E1.mkv', show: 'Severance' },
    });
    stopped.sessionId.should.equal(started.sessionId);
  });

  it("Plex's multipart bodies with a thumb: answered 204, started, paused and stopped with the library path", async function () {
    const post = async (event) => {
      const { body, contentType } = multipart(plexBody(event), { thumb: event === 'media.play' });
      return postWhenRouted(
        `${nr.url}/hooks/plex`,
        { headers: { 'Content-Type': contentType, 'User-Agent': 'PlexMediaServer/1.41.3.9314' }, body },
        LIMIT_MS,
      );
    };
    for (const [event, count] of [
      ['media.play', 1],
      ['media.pause', 2],
      ['media.stop', 3],
    ]) {
      (await post(event)).status.should.equal(204);
      await until(() => events('plex').length === count, event, LIMIT_MS);
    }
    events('plex')
      .map((e) => e.user)
      .should.eql(['ben', 'ben', 'ben']);
    events('plex')[0].should.match({
      player: 'Attic',
      item: { id: '301', playerPath: '/data/tv/S/E1.mkv', libraryPath: '/tv/S/E1.mkv' },
    });
  });
});
