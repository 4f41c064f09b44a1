'use strict';
// A bulk through a real flow, as a Radarr import list or a "resync everything" after a NAS move sends it: one
// message of 10,000 new movies to player-sync, a Kodi simulator that answers at once. What a user would check:
// the message is taken, the status counts up ("1234/10000"), every movie comes out verified, Kodi is asked to scan
// the movies folder once (not 10,000 times, not a full library scan), a high-priority change sent during the bulk
// overtakes it, and Node-RED stays responsive throughout. The event-loop stall is asserted loosely here (a busy
// 2-core machine is slower, not wrong); `npm run bench -- store` measures it exactly.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { helper, nodes, withOutputs, statuses } = require('../lib/nodes');
const { KodiSim } = require('../sim/kodi-sim');
const { until } = require('../lib/wait');
const { journalFile, readJournalLog } = require('../../nodes/sync/journal');

/** Bytes this process has had written to storage so far (Linux's /proc/self/io), or NaN where it cannot tell. */
function bytesWritten() {
  try {
    return Number(/write_bytes: (\d+)/.exec(fs.readFileSync('/proc/self/io', 'utf8'))[1]);
  } catch {
    return NaN;
  }
}

const COUNT = 10000;
const LIMIT_MS = 150000;

describe('player-sync with 10,000 changes in one message (Kodi simulator)', function () {
  this.timeout(3 * LIMIT_MS);
  let kodi;
  let userDir;

  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-bulk-'));
    helper.settings({ userDir });
    kodi = await new KodiSim().start();
    kodi.sources = ['/kodi/movies/'];
  });
  afterEach(async function () {
    await helper.unload();
    await kodi.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const folder = (name) => `/movies/${name}/`;
  const addMovie = (name) =>
    kodi.addOnScan(`/kodi/movies/${name}/`, [
      { type: 'movie', title: name, file: `/kodi/movies/${name}/${name}.mkv` },
    ]);

  it('takes the message, counts up, verifies every movie after one scan of the folder, lets a high-priority change overtake, and keeps Node-RED responsive', async function () {
    const names = Array.from({ length: COUNT }, (_, i) => `Bulk ${String(i).padStart(5, '0')} (2000)`);
    for (const name of names) addMovie(name);
    addMovie('Urgent (2001)');
    await helper.load(
      [nodes.kodiPlayer, nodes.pathMappings, nodes.playerSync],
      [
        { id: 'tab', type: 'tab' },
        { id: 'maps', type: 'path-mappings', rules: [{ from: '/movies', to: '/kodi/movies' }] },
        {
          id: 'kodi',
          type: 'kodi-player',
          name: 'Living room',
          host: '127.0.0.1',
          httpPort: kodi.httpPort,
          wsPort: kodi.wsPort,
          mappings: 'maps',
        },
        ...withOutputs({
          id: 'sync',
          type: 'player-sync',
          z: 'tab',
          players: [{ id: 'kodi' }],
          batchWindow: 0.2,
          timeout: 120,
        }),
        { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ],
      { kodi: { username: kodi.username, password: kodi.password } },
    );
    await until(() => helper.getNode('kodi').connection.websocketUp, 'the WebSocket');
    const synced = [];
    const failed = [];
    const errors = [];
    helper.getNode('sync-1').on('input', (m) => synced.push(m.payload));
    helper.getNode('sync-2').on('input', (m) => failed.push(m.payload));
    helper.getNode('caught').on('input', (m) => errors.push(m.error.message));

    const stall = monitorEventLoopDelay({ resolution: 10 });
    stall.enable();
    await new Promise((resolve) => setTimeout(resolve, 30)); // the monitor's timer running before the message
    const heapBefore = process.memoryUsage().heapUsed;
    const writtenBefore = bytesWritten();
    helper.getNode('sync').receive({
      payload: names.map((name) => ({ path: folder(name), action: 'added', type: 'movie' })),
    });
    // A high-priority change sent while the bulk is under way.
    await until(
      () => synced.length > 0 || failed.length > 0 || errors.length > 0,
      'the first result',
      LIMIT_MS,
    );
    errors.should.eql([]);
    const bulkOutBefore = synced.length;
    helper
      .getNode('sync')
      .receive({ payload: { path: folder('Urgent (2001)'), action: 'added' }, priority: 'high' });
    await until(
      () => synced.length + failed.length >= COUNT + 1 || errors.length > 0,
      'every change to come out',
      LIMIT_MS,
    );
    stall.disable();
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1048576;
    const writtenMb = (bytesWritten() - writtenBefore) / 1048576;

    errors.should.eql([]);
    failed.map((p) => [p.item.path, p.results.map((r) => r.reason)]).should.eql([]);
    const paths = synced.map((p) => p.item.path);
    new Set(paths).size.should.equal(COUNT + 1, 'each change came out once');
    synced.every((p) => p.results[0].status === 'verified').should.be.true();
    // The urgent change came out long before the end of the bulk that was queued before it.
    const urgentAt = paths.indexOf(folder('Urgent (2001)'));
    (urgentAt - bulkOutBefore).should.be.below(COUNT / 2, 'the high-priority change overtook the bulk');

    // Kodi: one scan of the movies folder for the whole bulk (in batches, each looked up first, since that scan
    // found them all), the urgent folder's own, never a full library scan; the library holds each movie once.
    const scans = kodi.requests
      .filter((r) => r.method === 'VideoLibrary.Scan')
      .map((r) => r.params.directory);
    scans.filter((d) => d === '/kodi/movies/').should.have.length(1);
    scans.should.not.containEql('');
    scans.filter((d) => d !== '/kodi/movies/').should.eql(['/kodi/movies/Urgent (2001)/']);
    new Set(kodi.items.map((i) => i.file)).size.should.equal(kodi.items.length);
    kodi.items.should.have.length(COUNT + 1);

    // The status counted up through the bulk.
    const texts = statuses(helper.getNode('sync')).map((s) => s.text || '');
    texts
      .some((t) => /^[1-9]\d*\/1000[01]$/.test(t) && !/^(10000|10001)\//.test(t))
      .should.be.true(texts.join(', '));
    // The queue is empty on disk once the last change is out.
    readJournalLog(fs.readFileSync(journalFile(userDir, 'sync'), 'utf8')).should.be.empty();
    // Loose bounds (a loaded machine is slower; the bench has the exact figures).
    const stallMs = stall.max / 1e6;
    stallMs.should.be.below(1000, `the longest stall was ${stallMs.toFixed(0)} ms`);
    heapGrowthMb.should.be.below(500);
    // The queue's store writes a few MB for the whole bulk (a journal rewritten whole per change wrote GBs).
    console.log(
      `      (longest stall ${stallMs.toFixed(0)} ms; ${writtenMb.toFixed(1)} MB written; heap +${heapGrowthMb.toFixed(0)} MB)`,
    );
    if (!Number.isNaN(writtenMb)) writtenMb.should.be.below(64);
  });
});
