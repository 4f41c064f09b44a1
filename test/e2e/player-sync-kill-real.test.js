'use strict';
// Five kill -9 of Node-RED at random moments of a 2,000-change bulk to a real Kodi lose nothing and repeat
// nothing there: the real Node-RED runtime of `npm start`, the test run's real Kodi, and player-sync's store in the
// user directory, killed and started again five times on the same user directory.
//
// The moments: once the bulk is on disk and before Kodi scans; while Kodi scans (it goes on scanning without
// Node-RED); as soon as the restarted Node-RED is ready (resuming: checking on Kodi what was begun); after a random
// number of changes came out; and as soon as it is ready again. (Kodi adds the whole bulk in its one scan, so a
// later moment may find the run already through: then the kill shows that a restart with nothing left does nothing.) What a user would
// check at the end: no change came out twice, the queue on disk is empty (every accepted change was finished),
// Kodi's library holds each movie once, nothing failed, and Kodi scanned a handful of times (about once per run),
// never once per folder. As in player-sync-kill.test.js, a change finished just before a kill may be missing from
// the output file (the kill took the message before the file node wrote it). Every wait is for a condition; LIMIT_MS
// only bounds one that never comes. The movies are cleaned out of the shared Kodi afterwards.
require('should');
const fs = require('node:fs');
const path = require('node:path');
const WebSocket = require('ws');
const { startNodeRed } = require('../lib/start-server');
const { addFlows } = require('../lib/deploy');
const { sharedKodi } = require('../kodi-real/kodi-harness');
const { until } = require('../lib/wait');
const { journalFile, readJournalLog } = require('../../nodes/sync/journal');

const LIMIT_MS = 5 * 60000;
const COUNT = 2000;

describe('player-sync across five kill -9 of Node-RED during a 2,000-change bulk to a real Kodi', function () {
  this.timeout(10 * LIMIT_MS);
  const seed = Number(process.env.PLAYER_SYNC_KILL_SEED) || Math.floor(Math.random() * 2 ** 31);
  let kodi;
  let nr;
  let userDir;
  let bulkDir;
  let ws;
  const notifications = [];

  before(async function () {
    this.timeout(180000);
    kodi = await sharedKodi(this);
    bulkDir = path.join(kodi.movies, 'killbulk');
    for (let i = 1; i <= COUNT; i++)
      kodi.addMovie(`Kill ${String(i).padStart(4, '0')}`, 2000, { dir: bulkDir });
    // Kodi's own account of its scans, on a WebSocket of the test's.
    ws = new WebSocket(`ws://127.0.0.1:${kodi.wsPort}/jsonrpc`, { skipUTF8Validation: true });
    ws.on('message', (raw) => {
      try {
        const msg = JSON.parse(String(raw));
        if (/^VideoLibrary\.OnScan/.test(msg.method)) notifications.push(msg.method);
      } catch {
        // Kodi 20 sometimes sends a frame that is not JSON text
      }
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
  });
  after(async function () {
    if (!kodi) return;
    if (nr) await nr.stop();
    ws.close();
    // The suites after this one share the Kodi: the bulk leaves its library as it found it.
    await until(async () => !(await scanning()), 'Kodi to finish scanning', LIMIT_MS);
    fs.rmSync(bulkDir, { recursive: true, force: true });
    await kodi.rpc('VideoLibrary.Clean', { showdialogs: false, content: 'movies' });
    await until(async () => (await inLibrary()).length === 0, 'Kodi to clean the bulk out', LIMIT_MS);
  });

  const scanning = async () =>
    (await kodi.rpc('XBMC.GetInfoBooleans', { booleans: ['Library.IsScanningVideo'] }))[
      'Library.IsScanningVideo'
    ];
  /** The files of the bulk's movies in Kodi's library. */
  const inLibrary = async () => {
    const answer = await kodi.rpc('VideoLibrary.GetMovies', {
      properties: ['file'],
      filter: { field: 'path', operator: 'startswith', value: `${bulkDir}/` },
    });
    return (answer.movies || []).map((m) => m.file);
  };

  const deploy = async () => {
    const flows = [
      { id: 'kr-tab', type: 'tab', label: 'kill test, real Kodi' },
      { id: 'kr-maps', type: 'path-mappings', rules: [{ from: '/movies/killbulk', to: bulkDir }] },
      {
        id: 'kr-kodi',
        type: 'kodi-player',
        name: 'Real Kodi',
        host: '127.0.0.1',
        httpPort: String(kodi.httpPort),
        wsPort: String(kodi.wsPort),
        mappings: 'kr-maps',
        credentials: { username: kodi.username, password: kodi.password },
      },
      {
        id: 'kr-in',
        type: 'http in',
        z: 'kr-tab',
        url: '/kr-changes',
        method: 'post',
        wires: [['kr-sync', 'kr-ok']],
      },
      { id: 'kr-ok', type: 'http response', z: 'kr-tab', statusCode: '202', wires: [] },
      {
        id: 'kr-sync',
        type: 'player-sync',
        z: 'kr-tab',
        players: [{ id: 'kr-kodi' }],
        batchWindow: 0.2,
        timeout: 600,
        wires: [['kr-synced'], ['kr-failed']],
      },
      ...['synced', 'failed'].map((output) => ({
        id: `kr-${output}`,
        type: 'file',
        z: 'kr-tab',
        filename: path.join(userDir, `kr-${output}.jsonl`),
        filenameType: 'str',
        appendNewline: true,
        createDir: false,
        overwriteFile: 'false',
        encoding: 'utf8',
        wires: [],
      })),
    ];
    await addFlows(nr.url, flows);
  };
  const paths = Array.from(
    { length: COUNT },
    (_, i) => `/movies/killbulk/Kill ${String(i + 1).padStart(4, '0')} (2000)/`,
  );
  const postBulk = async () => {
    const body = JSON.stringify(paths.map((p) => ({ path: p, action: 'added', type: 'movie' })));
    const res = await until(
      async () => {
        const r = await fetch(`${nr.url}/kr-changes`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
        });
        return r.status === 404 ? false : r; // the route exists once the deployed flow has started
      },
      'the http in route',
      LIMIT_MS,
    );
    res.status.should.equal(202);
  };
  const outputs = (output) => {
    const file = path.join(userDir, `kr-${output}.jsonl`);
    if (!fs.existsSync(file)) return [];
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.pop(); // after the last newline: empty, or a line still being written
    return lines.map((line) => JSON.parse(line));
  };
  const journal = () => {
    const file = journalFile(userDir, 'kr-sync');
    return fs.existsSync(file) ? readJournalLog(fs.readFileSync(file, 'utf8')) : [];
  };
  const story = [];
  const waitFor = (check, what) =>
    until(check, what, LIMIT_MS).catch((err) => {
      throw new Error(
        `${err.message} (seed ${seed})\n  runs: ${JSON.stringify(story)}\n  journal: ${journal().length} left` +
          `\n  synced: ${outputs('synced').length}, failed: ${outputs('failed').length}` +
          `\n  Kodi: ${notifications.filter((n) => n.endsWith('Started')).length} scans started` +
          `\n  Node-RED said:\n${nr ? nr.output().slice(-3000) : ''}`,
      );
    });

  it('loses nothing and repeats nothing on the player', async function () {
    let state = seed;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    nr = await startNodeRed();
    userDir = nr.userDir;
    await deploy();
    await postBulk();
    const moments = [
      // 1. The bulk is on disk, Kodi not yet asked to scan it.
      { name: 'bulk on disk, before the scan', reached: async () => journal().length === COUNT },
      // 2. Kodi is scanning the bulk's folder (and goes on without Node-RED).
      { name: 'while Kodi scans', reached: scanning },
    ];
    const afterK = {
      name: 'after k more changes came out',
      start() {
        // A k small beside what is queued, so that the kill comes while the run still has work.
        this.k = 1 + Math.floor(random() * Math.min(300, Math.max(1, journal().length / 4)));
      },
      reached() {
        // Or nothing is left to do: the run finished before k more came out.
        return outputs('synced').length >= this.from + this.k || journal().length === 0;
      },
    };
    // 3. and 5. As soon as the restarted Node-RED is ready: its flows have started, and player-sync is checking on
    // Kodi what the killed run had begun.
    const resuming = { name: 'as soon as Node-RED is ready again', reached: () => true };
    moments.push(resuming, afterK, { ...resuming });
    for (const moment of moments) {
      moment.from = outputs('synced').length;
      if (moment.start) moment.start();
      await waitFor(() => moment.reached(), `the kill moment "${moment.name}"`);
      await nr.kill();
      story.push({
        moment: moment.name,
        k: moment.k,
        out: outputs('synced').length,
        queued: journal().length,
      });
      nr = await startNodeRed({}, { userDir });
    }
    await waitFor(() => journal().length === 0, 'the queue to be empty after the last restart');

    const synced = outputs('synced');
    const out = synced.map((p) => p.item.path);
    new Set(out).size.should.equal(out.length, 'no change came out twice');
    out.every((p) => paths.includes(p)).should.be.true();
    synced.every((p) => p.ok && p.results[0].status === 'verified').should.be.true();
    outputs('failed').should.eql([]);
    await waitFor(async () => !(await scanning()), 'Kodi to finish scanning');
    const files = await inLibrary();
    files.should.have.length(COUNT, 'each movie is in the library');
    new Set(files).size.should.equal(COUNT, 'no movie twice');
    // About one scan per run (a run resumes with one scan of the folder for what is not there yet); one per folder
    // would be hundreds.
    const scans = notifications.filter((n) => n === 'VideoLibrary.OnScanStarted').length;
    scans.should.be.belowOrEqual(moments.length + 1 + 2, `Kodi scanned ${scans} times (seed ${seed})`);
    const kills = story.map(
      (s) => `${s.moment}${s.k ? ` (k=${s.k})` : ''}: ${s.out} out, ${s.queued} queued`,
    );
    console.log(`      (seed ${seed}; ${scans} scans; kills: ${kills.join('; ')})`);
  });
});
