'use strict';
// Killing Node-RED (kill -9) in the middle of player-sync's queue loses nothing and repeats nothing: the real
// Node-RED runtime of `npm start`, a Kodi simulator, and player-sync's journal in the user directory.
require('should');
const fs = require('node:fs');
const path = require('node:path');
const { startNodeRed } = require('./lib/start-server');
const { KodiSim } = require('./sim/kodi-sim');
const { until } = require('./lib/wait');

describe('player-sync across a kill -9 of Node-RED', function () {
  this.timeout(90000);
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
        timeout: 5,
        wires: [[], []],
      },
    ];
    const res = await fetch(`${nr.url}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flows),
    });
    res.status.should.equal(204);
  };
  const change = async (folder) => {
    const post = () =>
      fetch(`${nr.url}/rt-change`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ path: folder, action: 'added' }),
      });
    // The route exists once the deployed flow has started.
    const res = await until(async () => {
      const r = await post();
      return r.status === 404 ? false : r;
    }, 'the http in route');
    res.status.should.equal(202);
  };
  const journal = () => {
    const file = path.join(userDir, 'player-sync', 'rt-sync.json');
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')).entries : [];
  };
  const scans = () =>
    sim.requests.filter((r) => r.method === 'VideoLibrary.Scan').map((r) => r.params.directory);

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
    await until(() => scans().length === 1 && journal().length === 0, 'the first change to be synced', 20000);

    // Someone watches: the next change waits, journaled, when Node-RED is killed.
    sim.activePlayers = [
      { playerid: 1, type: 'video', speed: 1, item: { id: 5, type: 'movie', title: 'Film' } },
    ];
    await change('/movies/Waiting (2002)/');
    await until(() => journal().length === 1, 'the change in the journal', 20000);
    const polls = () => sim.requests.filter((r) => r.method === 'Player.GetActivePlayers').length;
    const seen = polls();
    await until(() => polls() > seen, 'player-sync to find Kodi busy', 20000);
    await nr.kill();
    journal()
      .map((e) => e.item.path)
      .should.eql(['/movies/Waiting (2002)/']);

    sim.activePlayers = [];
    nr = await startNodeRed({}, { userDir });
    await until(() => journal().length === 0, 'the journal to empty after the restart', 30000);
    scans().should.eql(['/kodi/movies/Done Before (2001)/', '/kodi/movies/Waiting (2002)/']);
  });
});
