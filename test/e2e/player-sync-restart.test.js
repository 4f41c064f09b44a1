'use strict';
// Killing Node-RED (kill -9) in the middle of player-sync's queue loses nothing and repeats nothing: the real
// Node-RED runtime of `npm start`, a Kodi simulator, and player-sync's journal in the user directory.
// What a user would check: each change comes out of player-sync once, verified, and Kodi scanned each folder once.
// The waits are for those conditions; LIMIT_MS only bounds one that never comes (a busy machine is slower, not red).
require('should');
const fs = require('node:fs');
const path = require('node:path');
const { startNodeRed } = require('../lib/start-server');
const { addFlows } = require('../lib/deploy');
const { KodiSim } = require('../sim/kodi-sim');
const { until } = require('../lib/wait');
const { journalFile, readJournalLog } = require('../../nodes/sync/journal');

/** The longest one step may take (Node-RED to start, a change to be synced): a limit for a fault, not a pause. */
const LIMIT_MS = 120000;

describe('player-sync across a kill -9 of Node-RED', function () {
  this.timeout(5 * LIMIT_MS);
  let sim;
  let nr;
  let userDir;

  before(async function () {
    sim = await new KodiSim().start();
    sim.sources = ['/kodi/movies/'];
  });
  after(async function () {
    if (nr) await nr.stop();
    await sim.stop();
  });

  /** Adds the test's flow to what `npm start` has (its example tabs), as a user deploys from the editor. Deploying
   * the test's flow alone would drop the examples, and `npm start` would then import them again at the restart,
   * redeploying everything while the resumed change is being synced. */
  const deploy = async () => {
    const flows = [
      { id: 'rt-tab', type: 'tab', label: 'restart test' },
      { id: 'rt-maps', type: 'path-mappings', rules: [{ from: '/movies', to: '/kodi/movies' }] },
      {
        id: 'rt-kodi',
        type: 'kodi-player',
        name: 'Sim',
        host: '127.0.0.1',
        httpPort: String(sim.httpPort),
        wsPort: String(sim.wsPort),
        mappings: 'rt-maps',
        credentials: { username: sim.username, password: sim.password },
      },
      {
        id: 'rt-in',
        type: 'http in',
        z: 'rt-tab',
        url: '/rt-change',
        method: 'post',
        wires: [['rt-sync', 'rt-ok']],
      },
      { id: 'rt-ok', type: 'http response', z: 'rt-tab', statusCode: '202', wires: [] },
      {
        id: 'rt-sync',
        type: 'player-sync',
        z: 'rt-tab',
        players: [{ id: 'rt-kodi' }],
        batchWindow: 0.1,
        deferPoll: 0.2,
        // Its default limit for one scan, as a user has it: a scan that takes longer on a busy machine is not a
        // fault (a 5 s limit made it fall back to a full scan under load, a second scan of the library).
        timeout: 120,
        wires: [['rt-synced'], ['rt-failed']],
      },
      // What comes out of each output, one JSON line per message, in the user directory.
      ...['synced', 'failed'].map((output) => ({
        id: `rt-${output}`,
        type: 'file',
        z: 'rt-tab',
        filename: path.join(userDir, `rt-${output}.jsonl`),
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
  const change = async (folder) => {
    const post = () =>
      fetch(`${nr.url}/rt-change`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ path: folder, action: 'added' }),
      });
    // The route exists once the deployed flow has started.
    const res = await until(
      async () => {
        const r = await post();
        return r.status === 404 ? false : r;
      },
      'the http in route',
      LIMIT_MS,
    );
    res.status.should.equal(202);
  };
  const outputs = (output) => {
    const file = path.join(userDir, `rt-${output}.jsonl`);
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.endsWith('}')) // a line still being written is not one yet
      .map((line) => JSON.parse(line));
  };
  /** Each change out of player-sync: its path, whether it came back from the journal, and what Kodi did. */
  const synced = () =>
    outputs('synced').map((p) => ({
      path: p.item.path,
      restored: p.restored,
      results: p.results.map((r) => ({ status: r.status, fallback: r.fallback, sent: r.sent.length })),
    }));
  const journal = () => {
    const file = journalFile(userDir, 'rt-sync');
    return fs.existsSync(file) ? readJournalLog(fs.readFileSync(file, 'utf8')) : [];
  };
  const scans = () =>
    sim.requests.filter((r) => r.method === 'VideoLibrary.Scan').map((r) => r.params.directory);
  /** Waits for `check`; when it does not come, says where things stand (a fault is then found from the report). */
  const waitFor = (check, what) =>
    until(check, what, LIMIT_MS).catch((err) => {
      const calls = sim.requests.slice(-8).map((r) => r.method);
      throw new Error(
        `${err.message}\n  journal: ${JSON.stringify(journal())}\n  synced: ${JSON.stringify(synced())}` +
          `\n  failed: ${JSON.stringify(outputs('failed'))}\n  scans: ${JSON.stringify(scans())}` +
          `\n  Kodi's last calls: ${calls.join(', ')}\n  Node-RED said:\n${nr ? nr.output() : ''}`,
      );
    });

  it('resumes the queued change after the restart, and does not redo the one finished before', async function () {
    sim.addOnScan('/kodi/movies/Done Before (2001)/', [
      { type: 'movie', title: 'Done Before', file: '/kodi/movies/Done Before (2001)/x.mkv' },
    ]);
    sim.addOnScan('/kodi/movies/Waiting (2002)/', [
      { type: 'movie', title: 'Waiting', file: '/kodi/movies/Waiting (2002)/x.mkv' },
    ]);
    nr = await startNodeRed();
    userDir = nr.userDir;
    await deploy();
    await change('/movies/Done Before (2001)/');
    await waitFor(() => synced().length === 1, 'the first change to be synced');
    synced().should.eql([
      {
        path: '/movies/Done Before (2001)/',
        restored: false,
        results: [{ status: 'verified', fallback: undefined, sent: 1 }],
      },
    ]);
    journal().should.eql([], 'a synced change leaves the journal');

    // Someone watches: the next change waits, journaled, when Node-RED is killed.
    sim.activePlayers = [
      { playerid: 1, type: 'video', speed: 1, item: { id: 5, type: 'movie', title: 'Film' } },
    ];
    await change('/movies/Waiting (2002)/');
    await waitFor(() => journal().length === 1, 'the change in the journal');
    const polls = () => sim.requests.filter((r) => r.method === 'Player.GetActivePlayers').length;
    const seen = polls();
    await waitFor(() => polls() > seen, 'player-sync to find Kodi busy');
    await nr.kill();
    journal()
      .map((e) => e.item.path)
      .should.eql(['/movies/Waiting (2002)/']);

    sim.activePlayers = [];
    nr = await startNodeRed({}, { userDir });
    await waitFor(() => synced().length === 2, 'the queued change to be synced after the restart');
    synced()[1].should.eql({
      path: '/movies/Waiting (2002)/',
      restored: true,
      results: [{ status: 'verified', fallback: undefined, sent: 1 }],
    });
    journal().should.eql([], 'the journal is empty once the change is synced');
    outputs('failed').should.eql([], 'nothing failed');
    // Each folder scanned once: the finished change was not redone, nothing fell back to a full scan.
    scans().should.eql(['/kodi/movies/Done Before (2001)/', '/kodi/movies/Waiting (2002)/']);
    synced().should.have.length(2, 'no change came out twice');
  });
});
