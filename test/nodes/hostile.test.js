'use strict';
// Hostile input, as a LAN device, a broken server, a webhook sender or an editor user may send it: WebSocket frames
// of every JSON type, binary, oversized and invalid UTF-8; wrong-shaped and oversized answers from Kodi, Jellyfin
// and Plex; wrong-typed webhook fields; unserialisable and oversized payloads; control characters in paths;
// damaged journals. For each: Node-RED stays alive (an uncaught exception would fail the run), the input ends in a
// clear error that names the player or the field, the next good message works, and no secret shows in any log,
// status or output. The Test connection origin rule, for users with and without write permission, is at the end.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const v8 = require('node:v8');
const vm = require('node:vm');
const { helper, nodes, withOutputs, run, statuses } = require('../lib/nodes');
const { startNodeRed } = require('../lib/start-server');
const { KodiSim } = require('../sim/kodi-sim');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');
const { until, next } = require('../lib/wait');
const { journalFile, readJournalLog } = require('../../nodes/sync/journal');

const KODI_PASSWORD = 'kodi-pw-SECRET-5150';
const types = [
  nodes.kodiPlayer,
  nodes.jellyfinServer,
  nodes.plexServer,
  nodes.pathMappings,
  nodes.activeCheck,
  nodes.kodiScan,
  nodes.jellyfinRefresh,
  nodes.plexRefresh,
  nodes.arrEvent,
  nodes.playerSync,
];

/** What no error may look like: an exception from deep inside our code instead of our own words. */
const RAW_ERROR = /TypeError|Cannot read propert|is not a function|is not iterable|undefined \(reading/;

/** Writes `bytes` of JSON-looking text in chunks, as fast as the reader takes it, until done or cut off. */
function stream(res, bytes, chunk = Buffer.alloc(64 * 1024, 'a')) {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  let sent = 0;
  const pump = () => {
    while (sent < bytes && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('error', () => undefined);
  pump();
}

/** The most memory (rss) in use while `work` runs, above what was in use before, in MB. */
async function peakGrowthMb(work) {
  const gc = (() => {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc');
  })();
  gc();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, mb: (peak - before) / 1024 / 1024 };
  } finally {
    clearInterval(timer);
  }
}

describe('hostile input', function () {
  this.timeout(30000);
  let kodi;
  let jellyfin;
  let plex;
  let userDir;
  const secrets = () => [KODI_PASSWORD, jellyfin.apiKey, plex.token];

  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-hostile-'));
    helper.settings({ userDir });
    kodi = await new KodiSim({ password: KODI_PASSWORD }).start();
    kodi.sources = ['/kodi/movies/'];
    jellyfin = await new JellyfinSim({ monitorDelayMs: 20 }).start();
    jellyfin.addLibrary('Movies', 'movies', ['/jf/movies']);
    plex = await new PlexSim({ scanMs: 20 }).start();
    plex.addSection('Movies', 'movie', ['/plex/movies']);
  });
  afterEach(async function () {
    // Whatever happened, no secret in anything Node-RED logged, showed or sent.
    const seen = [
      helper
        .log()
        .getCalls()
        .map((c) => JSON.stringify(c.args))
        .join('\n'),
      JSON.stringify(helper.getNode('k') ? statuses(helper.getNode('k')) : []),
      ...outputs.map((m) => JSON.stringify(m.payload)),
    ].join('\n');
    for (const secret of secrets()) seen.should.not.containEql(secret);
    outputs = [];
    await helper.unload();
    for (const sim of [kodi, jellyfin, plex]) await sim.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  let outputs = [];
  function flow(extra = []) {
    const z = 'tab';
    return [
      { id: z, type: 'tab' },
      { id: 'mk', type: 'path-mappings', rules: [{ from: '/movies', to: '/kodi/movies' }] },
      { id: 'mj', type: 'path-mappings', rules: [{ from: '/movies', to: '/jf/movies' }] },
      { id: 'mp', type: 'path-mappings', rules: [{ from: '/movies', to: '/plex/movies' }] },
      {
        id: 'k',
        type: 'kodi-player',
        name: 'Den',
        host: '127.0.0.1',
        httpPort: kodi.httpPort,
        wsPort: kodi.wsPort,
        mappings: 'mk',
      },
      { id: 'j', type: 'jellyfin-server', name: 'Jelly', url: jellyfin.url, mappings: 'mj' },
      { id: 'p', type: 'plex-server', name: 'Attic', url: plex.url, clientId: 'c', mappings: 'mp' },
      ...withOutputs({ id: 'scan', type: 'kodi-scan', z, kodi: 'k', timeout: 10 }),
      ...withOutputs({ id: 'kactive', type: 'active-check', z, playerType: 'kodi', kodi: 'k' }),
      ...withOutputs({ id: 'jactive', type: 'active-check', z, playerType: 'jellyfin', jellyfin: 'j' }),
      ...withOutputs({ id: 'pactive', type: 'active-check', z, playerType: 'plex', plex: 'p' }),
      ...withOutputs({
        id: 'jrefresh',
        type: 'jellyfin-refresh',
        z,
        jellyfin: 'j',
        timeout: 10,
        pollInterval: 0.05,
      }),
      ...withOutputs({ id: 'prefresh', type: 'plex-refresh', z, plex: 'p', timeout: 10, pollInterval: 0.05 }),
      ...extra,
      { id: 'catcher', type: 'catch', z, scope: null, wires: [['caught']] },
      { id: 'caught', type: 'helper', z },
    ];
  }
  const credentials = () => ({
    k: { username: 'kodi', password: KODI_PASSWORD },
    j: { apiKey: jellyfin.apiKey },
    p: { token: plex.token },
  });
  const load = async (extra) => {
    await helper.load(types, flow(extra), credentials());
  };

  /** A Kodi movie the next scan of its folder adds. */
  let movies = 0;
  function kodiMovie() {
    const name = `Good ${++movies} (2020)`;
    kodi.addOnScan(`/kodi/movies/${name}/`, [
      { type: 'movie', title: name, file: `/kodi/movies/${name}/${name}.mkv` },
    ]);
    return `/movies/${name}/`;
  }

  /** Runs `id` with `msg`; resolves with the error it ended in, failing when it did not end in one. */
  async function failsWith(id, msg, pattern) {
    const out = await run(id, msg, 20000);
    if (!out.error)
      throw new Error(
        `expected an error from ${id}, got output ${out.port}: ${JSON.stringify(out.msg.payload)}`,
      );
    out.error.message.should.match(pattern);
    out.error.message.should.not.match(RAW_ERROR);
    return out.error.message;
  }

  async function works(id, msg) {
    const out = await run(id, msg, 20000);
    if (out.error) throw new Error(`expected ${id} to work, got: ${out.error.message}`);
    out.port.should.equal(1, JSON.stringify(out.msg.payload));
    outputs.push(out.msg);
    return out.msg.payload;
  }

  // ---------------------------------------------------------------------------------------------------------
  describe('Kodi WebSocket frames', function () {
    const USED = [
      'an answer to a ping that never was',
      'params null',
      'params a string',
      'data a string',
      'item null',
      'item of the wrong types',
      'a __proto__ key',
    ];
    const frames = [
      ['null', 'null'],
      ['true', 'true'],
      ['false', 'false'],
      ['a number', '42'],
      ['a negative number', '-1e308'],
      ['a string', '"VideoLibrary.OnScanFinished"'],
      ['an empty list', '[]'],
      ['a list of notifications', '[{"jsonrpc":"2.0","method":"Player.OnStop","params":{"data":null}}]'],
      ['an empty object', '{}'],
      ['id null', '{"id":null}'],
      ['a method that is a number', '{"jsonrpc":"2.0","method":5,"params":{}}'],
      ['params null', '{"jsonrpc":"2.0","method":"VideoLibrary.OnUpdate","params":null}'],
      ['params a string', '{"jsonrpc":"2.0","method":"VideoLibrary.OnUpdate","params":"x"}'],
      ['data a string', '{"jsonrpc":"2.0","method":"VideoLibrary.OnUpdate","params":{"data":"x"}}'],
      [
        'item null',
        '{"jsonrpc":"2.0","method":"VideoLibrary.OnUpdate","params":{"data":{"item":null,"added":true}}}',
      ],
      [
        'item of the wrong types',
        '{"jsonrpc":"2.0","method":"VideoLibrary.OnUpdate","params":{"data":{"item":{"id":"7","type":{}},"added":"yes"}}}',
      ],
      [
        'an answer to a ping that never was',
        '{"jsonrpc":"2.0","result":"pong","id":"player-sync-ping-999999"}',
      ],
      ['an id that is an object', '{"jsonrpc":"2.0","result":"pong","id":{"a":1}}'],
      ['a __proto__ key', '{"__proto__":{"polluted":true},"method":"Player.OnStop"}'],
      ['not JSON', 'hello, this is not Kodi'],
      ['cut-off JSON', '{"jsonrpc":"2.0","method":"Player.On'],
      ['deeply nested lists', '['.repeat(100000) + ']'.repeat(100000)],
      ['binary', Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x7f])],
      ['invalid UTF-8 in a text frame', Buffer.from([0x7b, 0xff, 0xfe, 0xc3, 0x28, 0x7d]), { binary: false }],
    ];

    it(`${frames.length} frames: each is ignored or used, the socket stays up, Node-RED goes on`, async function () {
      await load();
      const conn = helper.getNode('k').connection;
      await until(() => conn.websocketUp, 'the WebSocket');
      const sockets = conn.socketsOpened;
      for (const [what, frame, options] of frames) {
        const ignoredBefore = conn.ignoredFrames;
        for (const ws of kodi.wss.clients) ws.send(frame, options);
        // A good notification after the frame arrives: the frame was handled and the socket is fine.
        const marker = next(
          conn,
          'notification',
          `a notification after ${what}`,
          10000,
          (n) => n.method === 'Test.Marker',
        );
        kodi.notify('Test.Marker');
        await marker;
        conn.websocketUp.should.be.true(what);
        // A frame with a method and no id is a notification (its data is decoded where it is used); the rest
        // is ignored and said in the debug log.
        if (USED.includes(what)) conn.ignoredFrames.should.equal(ignoredBefore, what);
        else conn.ignoredFrames.should.be.above(ignoredBefore, what);
      }
      conn.socketsOpened.should.equal(sockets, 'no frame closed the socket');
      ({}).should.not.have.property('polluted');
      (await works('scan', { payload: kodiMovie() })).should.match({ status: 'verified' });
    });

    it('a 10 MB frame closes that socket alone (memory bounded); it reconnects and work goes on', async function () {
      await load();
      const conn = helper.getNode('k').connection;
      await until(() => conn.websocketUp, 'the WebSocket');
      const sockets = conn.socketsOpened;
      for (const ws of kodi.wss.clients) ws.send('"' + 'x'.repeat(10 * 1024 * 1024) + '"');
      await until(() => conn.socketsOpened > sockets && conn.websocketUp, 'a new WebSocket', 20000);
      (await works('scan', { payload: kodiMovie() })).should.match({ status: 'verified' });
    });

    it('a valid notification holding invalid UTF-8 still arrives', async function () {
      await load();
      const conn = helper.getNode('k').connection;
      await until(() => conn.websocketUp, 'the WebSocket');
      const got = next(conn, 'notification', 'Player.OnStop');
      const frame = Buffer.concat([
        Buffer.from('{"jsonrpc":"2.0","method":"Player.OnStop","params":{"data":{"title":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}}}'),
      ]);
      for (const ws of kodi.wss.clients) ws.send(frame, { binary: false });
      (await got).data.title.should.be.a.String();
    });
  });

  it('a refused credential names the config node and the deploy step (from the catalog), in the Catch and on player-sync', async function () {
    await load([
      ...withOutputs({
        id: 'sync',
        type: 'player-sync',
        z: 'tab',
        players: [{ id: 'p' }],
        batchWindow: 0.01,
      }),
    ]);
    plex.token = 'a-new-token-on-the-server'; // the stored one is dead now
    const message = await failsWith(
      'prefresh',
      { payload: '/movies/Any (2000)/' },
      /the token is dead \(HTTP 401\)/,
    );
    message.should.match(/the credentials belong in the plex-server config node: deploy after changing them/);
    const out = next(helper.getNode('sync-2'), 'input', 'the failed item', 20000);
    helper.getNode('sync').receive({ payload: '/movies/Other (2001)/' });
    const result = (await out).payload.results[0];
    result.should.match({ status: 'failed', code: 'auth' });
    result.reason.should.match(/the token is dead.*the credentials belong in the plex-server config node/);
  });

  // ---------------------------------------------------------------------------------------------------------
  describe('wrong-shaped answers', function () {
    // [what, the node to run, the method to answer badly, the answer's result (or a raw body), the error]
    const kodiCases = [
      [
        'active players: an object',
        'kactive',
        'Player.GetActivePlayers',
        { result: {} },
        /Player\.GetActivePlayers failed: the answer has the wrong shape: result is an object, not a list/,
      ],
      [
        'active players: a string',
        'kactive',
        'Player.GetActivePlayers',
        { result: 'x' },
        /wrong shape: result is text, not a list/,
      ],
      [
        'active players: [null]',
        'kactive',
        'Player.GetActivePlayers',
        { result: [null] },
        /wrong shape: result\[0\] is null, not an object/,
      ],
      [
        'active players: playerid text',
        'kactive',
        'Player.GetActivePlayers',
        { result: [{ playerid: 'a', type: 'video' }] },
        /result\[0\]\.playerid is text, not a number/,
      ],
      [
        'player item: null',
        'kactive',
        'Player.GetItem',
        { result: { item: null } },
        /Player\.GetItem failed: the answer has the wrong shape: result\.item is null/,
      ],
      [
        'player properties: time a string',
        'kactive',
        'Player.GetProperties',
        { result: { speed: 1, time: 'noon' } },
        /Player\.GetProperties failed: .*time is text, not an object/,
      ],
      [
        'sources: null',
        'scan',
        'Files.GetSources',
        { result: null },
        /Files\.GetSources failed: the answer has the wrong shape: result is null/,
      ],
      [
        'sources: an object',
        'scan',
        'Files.GetSources',
        { result: { sources: {} } },
        /sources is an object, not a list/,
      ],
      [
        'sources: file a number',
        'scan',
        'Files.GetSources',
        { result: { sources: [{ file: 5, label: 'x' }] } },
        /sources\[0\]\.file is a number, not text/,
      ],
      [
        'scan state: a list',
        'scan',
        'XBMC.GetInfoBooleans',
        { result: [] },
        /XBMC\.GetInfoBooleans failed: .*result is a list, not an object/,
      ],
      [
        'movies: a string',
        'scan',
        'VideoLibrary.GetMovies',
        { result: { movies: 'many' } },
        /VideoLibrary\.GetMovies failed: .*movies is text, not a list/,
      ],
      [
        'movies: id text',
        'scan',
        'VideoLibrary.GetMovies',
        { result: { movies: [{ movieid: '1', file: 'x' }] } },
        /movies\[0\]\.movieid is text, not a whole number/,
      ],
      [
        'a JSON list instead of a response',
        'scan',
        'Files.GetSources',
        { raw: '[]' },
        /Files\.GetSources failed: the answer is not a JSON-RPC response/,
      ],
      ['JSON null', 'scan', 'Files.GetSources', { raw: 'null' }, /the answer is not a JSON-RPC response/],
      [
        'neither result nor error',
        'scan',
        'Files.GetSources',
        { raw: '{"jsonrpc":"2.0","id":1}' },
        /has neither result nor error/,
      ],
      [
        'error a number',
        'scan',
        'Files.GetSources',
        { raw: '{"jsonrpc":"2.0","id":1,"error":5}' },
        /Kodi answered error 0/,
      ],
      [
        'error with a foreign message',
        'scan',
        'Files.GetSources',
        { raw: '{"id":1,"error":{"code":-1,"message":"ECHO-THIS"}}' },
        /Kodi answered error -1 \(an error this version of player-sync does not know\)/,
      ],
      [
        'an HTML page',
        'scan',
        'Files.GetSources',
        { raw: '<html><body>ECHO-THIS router</body></html>' },
        /the answer is an HTML page, not JSON/,
      ],
      [
        'cut-off JSON',
        'scan',
        'Files.GetSources',
        { raw: '{"jsonrpc":"2.0","result":{"sou' },
        /the answer is text of \d+ bytes, not JSON/,
      ],
      [
        '5 MB for a small call',
        'kactive',
        'Player.GetActivePlayers',
        { bytes: 5 * 1024 * 1024 },
        /Player\.GetActivePlayers failed: the answer is larger than 1 MB, so it was not read/,
      ],
    ];
    for (const [what, node, method, answer, error] of kodiCases) {
      it(`Kodi, ${what}: a clear error naming Kodi and the call; the next message works`, async function () {
        await load();
        kodi.rawAnswer = (req) => {
          if (req.method !== method) return undefined;
          if (answer.raw !== undefined) return answer.raw;
          if (answer.bytes) return (res) => stream(res, answer.bytes);
          return JSON.stringify({ jsonrpc: '2.0', id: req.id, result: answer.result });
        };
        kodi.activePlayers = [
          { playerid: 1, type: 'video', speed: 1, item: { id: 9, type: 'movie', title: 'On' } },
        ];
        const message = await failsWith(node, { payload: '/movies/Any (2000)/' }, error);
        message.should.match(/^(PlayerError: )?Kodi "Den" \(127\.0\.0\.1:\d+\): /);
        message.should.not.containEql('ECHO-THIS');
        kodi.rawAnswer = undefined;
        kodi.activePlayers = [];
        if (node === 'scan')
          (await works('scan', { payload: kodiMovie() })).should.match({ status: 'verified' });
        else (await run(node, { payload: 'x' })).port.should.equal(1);
      });
    }

    const badly = (sim, route, body) => {
      const handle = sim.handle.bind(sim);
      sim.handle = (req, res) => {
        if (`${req.method} ${req.path}` !== route) return handle(req, res);
        if (typeof body === 'function') return body(res);
        return res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
      };
      return () => {
        sim.handle = handle;
      };
    };
    const serverCases = [
      [
        'Jellyfin',
        'jrefresh',
        'GET /Library/VirtualFolders',
        '{"Items":[]}',
        /GET \/Library\/VirtualFolders failed: the answer has the wrong shape: the answer is an object, not a list/,
      ],
      [
        'Jellyfin',
        'jrefresh',
        'GET /Library/VirtualFolders',
        '[{"Name":"M","ItemId":"1","Locations":"/jf/movies"}]',
        /the answer\[0\]\.Locations is text, not a list/,
      ],
      [
        'Jellyfin',
        'jrefresh',
        'GET /Library/VirtualFolders',
        '[{"Name":"M","ItemId":null,"Locations":[]}]',
        /the answer\[0\]\.ItemId is null, not text/,
      ],
      [
        'Jellyfin',
        'jrefresh',
        'GET /Items',
        '{"Items":{"Id":"1"}}',
        /GET \/Items failed: .*Items is an object, not a list/,
      ],
      [
        'Jellyfin',
        'jrefresh',
        'GET /Items',
        '{"Items":[{"Id":1,"Path":"/jf/movies/x"}]}',
        /Items\[0\]\.Id is a number, not text/,
      ],
      [
        'Jellyfin',
        'jactive',
        'GET /Sessions',
        '{"Sessions":[]}',
        /GET \/Sessions failed: .*the answer is an object, not a list/,
      ],
      [
        'Jellyfin',
        'jactive',
        'GET /Sessions',
        '[{"NowPlayingItem":"Film","UserName":"a"}]',
        /the answer\[0\]\.NowPlayingItem is text, not an object/,
      ],
      [
        'Jellyfin',
        'jactive',
        'GET /Sessions',
        (res) => stream(res, 40 * 1024 * 1024),
        /GET \/Sessions failed: the answer is larger than 16 MB, so it was not read/,
      ],
      [
        'Plex',
        'prefresh',
        'GET /library/sections',
        '{"MediaContainer":{"Directory":{"key":"1"}}}',
        /GET \/library\/sections failed: .*MediaContainer\.Directory is an object, not a list/,
      ],
      [
        'Plex',
        'prefresh',
        'GET /library/sections',
        '{"MediaContainer":{"Directory":[{"key":"1","type":"movie","Location":[{"path":7}]}]}}',
        /Location\[0\]\.path is a number, not text/,
      ],
      [
        'Plex',
        'prefresh',
        'GET /library/sections',
        '{"MediaContainer":"x"}',
        /MediaContainer is text, not an object/,
      ],
      [
        'Plex',
        'prefresh',
        'GET /library/sections',
        '<html>ECHO-THIS</html>',
        /the answer is an HTML page, not JSON/,
      ],
      [
        'Plex',
        'pactive',
        'GET /status/sessions',
        '{"MediaContainer":{"Metadata":[{"Media":"x"}]}}',
        /GET \/status\/sessions failed: .*Metadata\[0\]\.Media is text, not a list/,
      ],
      [
        'Plex',
        'pactive',
        'GET /status/sessions',
        '{"MediaContainer":{"Metadata":[{"User":[1]}]}}',
        /Metadata\[0\]\.User is a list, not an object/,
      ],
      ['Plex', 'pactive', 'GET /status/sessions', '[]', /the answer is a list, not an object/],
    ];
    for (const [server, node, route, body, error] of serverCases) {
      const label = typeof body === 'function' ? '40 MB' : body.slice(0, 50);
      it(`${server}, ${route} answers ${label}: a clear error naming ${server} and the call; the next message works`, async function () {
        await load();
        const sim = server === 'Jellyfin' ? jellyfin : plex;
        const restore = badly(sim, route, body);
        const { result: message, mb } = await peakGrowthMb(() =>
          failsWith(node, { payload: '/movies/Any (2000)/' }, error),
        );
        message.should.match(
          server === 'Jellyfin'
            ? /^(PlayerError: )?Jellyfin "Jelly" \(http/
            : /^(PlayerError: )?Plex "Attic" \(http/,
        );
        message.should.not.containEql('ECHO-THIS');
        if (typeof body === 'function') mb.should.be.below(120, 'memory stays bounded by the cap');
        restore();
        if (node.endsWith('active')) (await run(node, { payload: 'x' })).port.should.equal(1);
        else {
          const file = `Film ${++movies} (2001)/Film.mkv`;
          if (server === 'Jellyfin') jellyfin.addFile(`/jf/movies/${file}`, 'Film');
          else plex.addFile(`/plex/movies/${file}`, 'Film');
          (await works(node, { payload: `/movies/${path.dirname(file)}/` })).should.match({
            status: 'verified',
          });
        }
      });
    }
  });

  // ---------------------------------------------------------------------------------------------------------
  describe('webhook bodies and payloads into arr-event → player-sync', function () {
    const syncFlow = () => [
      ...withOutputs({ id: 'arr', type: 'arr-event', z: 'tab', wires: [] }, 1).map((n) =>
        n.id === 'arr' ? { ...n, wires: [['sync']] } : n,
      ),
      ...withOutputs({
        id: 'sync',
        type: 'player-sync',
        z: 'tab',
        players: [{ id: 'k' }],
        batchWindow: 0.01,
      }),
    ];
    const circular = { a: 1 };
    circular.self = circular;
    const webhook = [
      [
        'episodes an object',
        {
          eventType: 'Download',
          series: { path: '/tv/S' },
          episodeFile: { path: '/tv/S/e.mkv' },
          episodes: { 0: {} },
        },
        /"episodes" must be a list/,
      ],
      [
        'episodeFiles a string',
        { eventType: 'Download', series: { path: '/tv/S' }, episodeFiles: '/tv/S/e.mkv' },
        /"episodeFiles" must be a list/,
      ],
      [
        'renamedMovieFiles a number',
        { eventType: 'Rename', movie: { folderPath: '/movies/M' }, renamedMovieFiles: 3 },
        /"renamedMovieFiles" must be a list/,
      ],
      ['movie a string', { eventType: 'Download', movie: 'Inception' }, /"movie" must be an object/],
      [
        'a path that is a number',
        { eventType: 'Download', movie: { folderPath: '/movies/M' }, movieFile: { path: 7 } },
        /"movieFile\.path" must be a string/,
      ],
      [
        'a path with NUL',
        { eventType: 'MovieDelete', movie: { folderPath: '/movies/M\u0000/' } },
        /control character/,
      ],
      [
        'a relativePath with ..',
        {
          eventType: 'Download',
          movie: { folderPath: '/movies/M' },
          movieFile: { relativePath: '../../etc/passwd' },
        },
        /\.\./,
      ],
      ['eventType a number', { eventType: 7 }, /"eventType" must be a string/],
      ['a text body that is not JSON', 'GET / HTTP/1.1\r\nHost: x', /not JSON/],
    ];
    for (const [what, body, error] of webhook) {
      it(`webhook, ${what}: refused with a clear error naming the field; the next body syncs`, async function () {
        await load(syncFlow());
        await failsWith('arr', { payload: body }, error);
        const folder = kodiMovie();
        const out = next(helper.getNode('sync-1'), 'input', 'the synced item', 20000);
        helper.getNode('arr').receive({ payload: { path: folder, action: 'added', type: 'movie' } });
        (await out).payload.should.match({ ok: true, item: { path: folder } });
      });
    }

    const payloads = [
      ['a title that is a BigInt', { path: '/movies/X (2000)/', title: 10n }, /"title"/],
      ['a path that is a Buffer', { path: Buffer.from('/movies/X/') }, /path/],
      ['a 1 MB title', { path: '/movies/X (2000)/', title: 'x'.repeat(1024 * 1024) }, /title/],
      ['a 5000-character path', { path: '/movies/' + 'x'.repeat(5000) + '/' }, /4096|too long|longer/],
      ['a path with NUL', { path: '/movies/X\u0000Y/' }, /control character/],
      ['a path with a line break', { path: '/movies/X\nY/' }, /control character/],
      ['a path with a carriage return', { path: '/movies/X (2000)/\r' }, /control character/],
      ['an unknown action', { path: '/movies/X/', action: 'explode' }, /action "explode"/],
      ['a relative path', { path: 'movies/X/' }, /absolute|relative/],
      ['null', null, /not an object with a path/],
      ['a number', 42, /not an object with a path/],
      ['an empty list', [], /empty list/],
      ['a sparse list', [, { path: '/movies/X/' }], /msg\.payload\[0\]/], // eslint-disable-line no-sparse-arrays
      [
        '10,001 items',
        Array.from({ length: 10001 }, (_, i) => ({ path: `/movies/M${i}/` })),
        /more than 10000/,
      ],
    ];
    for (const [what, payload, error] of payloads) {
      it(`player-sync payload, ${what}: refused alone with a clear error; the journal is unchanged; the next message works`, async function () {
        await load(syncFlow());
        const message = await failsWith('sync', { payload }, error);
        message.should.match(/^(Error: )?player-sync: /);
        const dir = path.join(userDir, 'player-sync');
        const files = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
        files.filter((f) => f.endsWith('.tmp')).should.be.empty();
        const folder = kodiMovie();
        const out = next(helper.getNode('sync-1'), 'input', 'the synced item', 20000);
        helper.getNode('sync').receive({ payload: { path: folder, action: 'added' } });
        (await out).payload.should.match({ ok: true, item: { path: folder } });
      });
    }

    it('unknown properties holding a circular object, a BigInt, a Buffer and 1 MB of text are dropped: the item syncs and the journal holds plain data', async function () {
      await load(syncFlow());
      const folder = kodiMovie();
      const storeFile = journalFile(userDir, 'sync');
      kodi.activePlayers = [
        { playerid: 1, type: 'video', speed: 1, item: { id: 9, type: 'movie', title: 'On' } },
      ];
      const deferred = next(helper.getNode('sync'), 'call:status', 'deferred', 10000, (c) =>
        /deferred/.test(c.args[0].text || ''),
      );
      const out = next(helper.getNode('sync-1'), 'input', 'the synced item', 20000);
      helper.getNode('sync').receive({
        payload: {
          path: folder,
          action: 'added',
          circular,
          big: 10n,
          buffer: Buffer.alloc(1024 * 1024),
          huge: 'x'.repeat(1024 * 1024),
          password: KODI_PASSWORD,
        },
      });
      await deferred;
      await until(
        () => fs.existsSync(storeFile) && readJournalLog(fs.readFileSync(storeFile, 'utf8')).length === 1,
        'the change on disk',
      );
      const text = fs.readFileSync(storeFile, 'utf8');
      text.length.should.be.below(4096);
      text.should.not.containEql(KODI_PASSWORD);
      readJournalLog(text)
        .map((r) => Object.keys(r.item).sort())
        .should.eql([['action', 'ids', 'path']]);
      kodi.activePlayers = [];
      helper.getNode('k').connection.emit('notification', { method: 'Player.OnStop', data: null });
      const msg = await out;
      msg.payload.item.should.eql({ path: folder, action: 'added', ids: {} });
      outputs.push(msg);
    });
  });

  // ---------------------------------------------------------------------------------------------------------
  describe('damaged journals', function () {
    const good = (n) => ({
      id: `good-${n}`,
      item: { path: `/movies/Kept ${n} (2000)/`, action: 'added', ids: {} },
      priority: 'normal',
      at: Date.now(),
      targets: { k: 'pending' },
      results: {},
    });
    // The store's log (see src/sync/store.ts): a header line, then one record a line; a change is keyed by its id.
    const header = JSON.stringify({
      format: 'player-sync-store',
      version: 1,
      collection: 'player-sync-sync',
    });
    const rec = (g, v = {}) =>
      JSON.stringify({ k: g.id, v: { item: g.item, priority: g.priority, at: g.at, targets: ['k'], ...v } });
    const lines = (...records) => [header, ...records].join('\n') + '\n';
    const cases = [
      ['cut off mid-record', () => lines(rec(good(1)), rec(good(2))).slice(0, -40), 1, 1],
      ['a record with targets null', () => lines(rec(good(1)), rec(good(2), { targets: null })), 1, 1],
      [
        'a record whose path holds NUL',
        () => lines(rec(good(2), { item: { path: '/m/\u0000/', action: 'added' } }), rec(good(1))),
        1,
        1,
      ],
      ['a record of the wrong shape', () => lines('[1,2,3]', '"text"', rec(good(1))), 1, 2],
      ['garbage between records', () => lines(rec(good(1)), '\u0000\u0001garbage\u00ff', rec(good(2))), 2, 1],
      ['all garbage', () => Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0a, 0x00, 0xff]), 0, 2],
      [
        'written by a newer version',
        () => [JSON.stringify({ format: 'player-sync-store', version: 99 }), rec(good(1))].join('\n'),
        0,
        1,
      ],
      // The journal file of an earlier version, brought into the store at the start: its damage is reported too.
      [
        "an earlier version's journal, cut off",
        () => JSON.stringify({ version: 1, entries: [good(1), good(2)] }).slice(0, -30),
        1,
        1,
        'legacy',
      ],
    ];
    for (const [what, content, kept, dropped, legacy] of cases) {
      it(`${what}: Node-RED starts, ${kept} good record(s) resumed, ${dropped} dropped with a warning, the file kept aside`, async function () {
        const file = legacy ? path.join(userDir, 'player-sync', 'sync.json') : journalFile(userDir, 'sync');
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content());
        for (let n = 1; n <= 2; n++) {
          kodi.addOnScan(`/kodi/movies/Kept ${n} (2000)/`, [
            { type: 'movie', title: `Kept ${n}`, file: `/kodi/movies/Kept ${n} (2000)/k.mkv` },
          ]);
        }
        const restored = [];
        await helper.load(
          types,
          flow(
            withOutputs({
              id: 'sync',
              type: 'player-sync',
              z: 'tab',
              players: [{ id: 'k' }],
              batchWindow: 0.01,
            }),
          ),
          credentials(),
        );
        helper.getNode('sync-1').on('input', (m) => restored.push(m.payload.item.path));
        const warning = await until(
          () =>
            helper
              .log()
              .getCalls()
              .map((c) => c.args[0])
              .find((a) => a && /journal .* was damaged/.test(String(a.msg))),
          'the warning',
        );
        const text = String(warning.msg);
        text.should.match(new RegExp(`${dropped} record\\(s\\) dropped, ${kept} kept and resumed`));
        const moved = /kept as (\S+)$/.exec(text)[1];
        fs.existsSync(moved).should.be.true();
        await until(() => restored.length === kept, `${kept} restored item(s)`, 20000);
        // The next good message works too.
        const folder = kodiMovie();
        const out = next(
          helper.getNode('sync-1'),
          'input',
          'the synced item',
          20000,
          (m) => m.payload.item.path === folder,
        );
        helper.getNode('sync').receive({ payload: folder });
        (await out).payload.should.match({ ok: true });
      });
    }
  });
});

// -----------------------------------------------------------------------------------------------------------
describe('Test connection: stored secrets go only to their own origin', function () {
  this.timeout(60000);
  let nr;
  let kodi;
  let jellyfin;
  let plex;
  let foreign;
  const heard = [];
  const users = {
    admin: { password: 'admin-pw', permissions: '*' },
    kodiwriter: { password: 'kw-pw', permissions: ['read', 'kodi-player.write'] },
    reader: { password: 'r-pw', permissions: ['read'] },
  };
  const tokens = {};

  before(async function () {
    kodi = await new KodiSim({ password: KODI_PASSWORD }).start();
    jellyfin = await new JellyfinSim().start();
    plex = await new PlexSim().start();
    // Another host, as a hostile one would be: it records what it is sent and answers with a marker.
    foreign = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        heard.push(JSON.stringify({ url: req.url, headers: req.headers, body }));
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>ECHO-MARKER</html>');
      });
    });
    await new Promise((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    nr = await startNodeRed(
      { PLAYER_SYNC_TEST_USERS: JSON.stringify(users) },
      { script: path.join(__dirname, '..', 'lib', 'secure-red.js') },
    );
    const { url } = nr;
    for (const [username, { password, permissions }] of Object.entries(users)) {
      const res = await fetch(`${url}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          client_id: 'node-red-admin',
          grant_type: 'password',
          scope: [].concat(permissions).join(' '),
          username,
          password,
        }),
      });
      res.status.should.equal(200, `a token for ${username}`);
      tokens[username] = (await res.json()).access_token;
    }
    const flows = [
      { id: 'tab', type: 'tab' },
      {
        id: 'stored-kodi',
        type: 'kodi-player',
        host: '127.0.0.1',
        httpPort: String(kodi.httpPort),
        wsPort: String(kodi.wsPort),
        credentials: { username: 'kodi', password: KODI_PASSWORD },
      },
      {
        id: 'stored-jf',
        type: 'jellyfin-server',
        url: jellyfin.url,
        credentials: { apiKey: jellyfin.apiKey },
      },
      {
        id: 'stored-plex',
        type: 'plex-server',
        url: plex.url,
        clientId: 'c',
        credentials: { token: plex.token },
      },
    ];
    const res = await fetch(`${url}/flows`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Node-RED-Deployment-Type': 'full',
        Authorization: `Bearer ${tokens.admin}`,
      },
      body: JSON.stringify(flows),
    });
    res.status.should.equal(204);
  });
  after(async function () {
    if (nr) await nr.stop();
    for (const sim of [kodi, jellyfin, plex]) if (sim) await sim.stop();
    if (foreign) await new Promise((resolve) => foreign.close(resolve));
  });

  const foreignPort = () => foreign.address().port;
  const secrets = () => [KODI_PASSWORD, jellyfin.apiKey, plex.token];
  const test = async (user, type, body) => {
    const res = await fetch(`${nr.url}/player-sync/test-connection/${type}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tokens[user]}` },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    for (const secret of secrets()) text.should.not.containEql(secret);
    text.should.not.containEql('ECHO-MARKER');
    return { status: res.status, body: res.status === 200 ? JSON.parse(text) : text };
  };
  const nothingHeard = () => {
    const all = heard.join('\n');
    for (const secret of secrets()) all.should.not.containEql(secret);
    // Basic auth would carry the Kodi password base64-encoded.
    all.should.not.containEql(Buffer.from(`kodi:${KODI_PASSWORD}`).toString('base64'));
  };

  const cases = [
    [
      'admin',
      'kodi-player',
      'stored-kodi',
      () => ({ host: '127.0.0.1', httpPort: foreignPort(), wsPort: foreignPort() }),
      { password: '__PWRD__' },
    ],
    [
      'admin',
      'kodi-player',
      'stored-kodi',
      () => ({ host: 'localhost', httpPort: foreignPort(), wsPort: kodi.wsPort }),
      {},
    ],
    [
      'kodiwriter',
      'kodi-player',
      'stored-kodi',
      () => ({ host: '127.0.0.1', httpPort: foreignPort(), wsPort: foreignPort() }),
      { password: '__PWRD__' },
    ],
    [
      'admin',
      'jellyfin-server',
      'stored-jf',
      () => ({ url: `http://127.0.0.1:${foreignPort()}` }),
      { apiKey: '__PWRD__' },
    ],
    [
      'admin',
      'jellyfin-server',
      'stored-jf',
      () => ({ url: `http://127.0.0.1:${foreignPort()}/${jellyfin.url}` }),
      {},
    ],
    [
      'admin',
      'plex-server',
      'stored-plex',
      () => ({ url: `http://127.0.0.1:${foreignPort()}` }),
      { token: '__PWRD__' },
    ],
    [
      'admin',
      'plex-server',
      'stored-kodi',
      () => ({ url: `http://127.0.0.1:${foreignPort()}` }),
      { token: '__PWRD__' },
    ],
  ];
  for (const [user, type, id, settings, credentials] of cases) {
    it(`${user}: ${type} "${id}" tested against another host sends no stored secret there, and echoes nothing of its answer`, async function () {
      heard.length = 0;
      const r = await test(user, type, { id, settings: settings(), credentials });
      r.status.should.equal(200);
      r.body.ok.should.be.false();
      r.body.verdict.should.be.oneOf('wrong-server', 'auth-refused', 'unreachable', 'config');
      heard.length.should.be.above(0, 'the other host was asked');
      nothingHeard();
    });
  }

  it('the stored secrets still work for their own origin (same host written another way)', async function () {
    const r = await test('admin', 'kodi-player', {
      id: 'stored-kodi',
      settings: { host: '127.0.0.1', httpPort: kodi.httpPort, wsPort: kodi.wsPort },
      credentials: { username: 'kodi', password: '__PWRD__' },
    });
    r.body.should.match({ ok: true, verdict: 'ok', auth: { ok: true } });
    const j = await test('admin', 'jellyfin-server', {
      id: 'stored-jf',
      settings: { url: `${jellyfin.url}/` },
      credentials: { apiKey: '__PWRD__' },
    });
    j.body.should.match({ ok: true, verdict: 'ok' });
  });

  it("a secret typed into the request is used for the host the request names (it is the user's own)", async function () {
    const r = await test('admin', 'plex-server', {
      settings: { url: plex.url },
      credentials: { token: plex.token },
    });
    r.body.should.match({ ok: true, verdict: 'ok', auth: { ok: true } });
    const wrong = await test('admin', 'plex-server', {
      id: 'stored-plex',
      settings: { url: plex.url },
      credentials: { token: 'typed-by-the-user' },
    });
    wrong.body.should.match({ ok: false, verdict: 'auth-refused' });
  });

  it("without the type's write permission the endpoint refuses, whoever asks", async function () {
    (
      await test('reader', 'kodi-player', { id: 'stored-kodi', settings: { host: '127.0.0.1' } })
    ).status.should.be.oneOf(401, 403);
    (
      await test('kodiwriter', 'jellyfin-server', { id: 'stored-jf', settings: { url: jellyfin.url } })
    ).status.should.be.oneOf(401, 403);
    (
      await test('kodiwriter', 'plex-server', { id: 'stored-plex', settings: { url: plex.url } })
    ).status.should.be.oneOf(401, 403);
    const anonymous = await fetch(`${nr.url}/player-sync/test-connection/kodi-player`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    anonymous.status.should.be.oneOf(401, 403);
  });

  it('a request body of the wrong shape is answered, not a crash', async function () {
    for (const body of [
      '[]',
      '"x"',
      'null',
      '{"settings":5,"credentials":"x","id":{}}',
      '{"id":"stored-kodi","settings":{"host":{}}}',
    ]) {
      const res = await fetch(`${nr.url}/player-sync/test-connection/kodi-player`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tokens.admin}` },
        body,
      });
      res.status.should.be.below(500, body);
      const text = await res.text();
      text.should.not.containEql(KODI_PASSWORD);
    }
    nr.running().should.be.true('Node-RED still runs');
  });
});
