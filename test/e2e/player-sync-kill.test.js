'use strict';
// Five kill -9 of Node-RED at random moments of a 2,000-change bulk through player-sync lose nothing and repeat
// nothing on the player: the real Node-RED runtime of `npm start`, a Kodi simulator, and player-sync's journal in
// the user directory, killed and started again five times on the same user directory.
//
// What a user would check at the end: no change came out twice, the queue on disk is empty (every accepted change
// was finished), Kodi's library holds each movie once, nothing failed, Kodi was never sent a full-library scan and
// was sent one scan of the parent folder per run (not one per folder), and what a restart resumed says so.
// A change finished just before a kill may be missing from the output file: player-sync gave it out after its end
// was on disk, and the kill took the message before the file node wrote it (Node-RED keeps no messages).
//
// The kill moments are random (the seed is in every failure message; PLAYER_SYNC_KILL_SEED=<seed> repeats them):
// the first after player-sync marked the first batch started on disk and before the scan of the parent was sent
// (at a random one of the calls in between); the second right after a scan was sent, or at a random library query
// (checking the work begun before the kill, or verifying after the scan); the other three at a random library
// query, or after k more lines of output. Player-sync works in batches of up to 1,000 that end at once, so a kill
// that would come after the whole queue is through comes instead at the last library query the run makes at least:
// each kill leaves work for the next run. Each waits for a condition, never for the clock; LIMIT_MS only bounds one
// that never comes.
require('should');
const fs = require('node:fs');
const path = require('node:path');
const { startNodeRed } = require('../lib/start-server');
const { addFlows } = require('../lib/deploy');
const { KodiSim } = require('../sim/kodi-sim');
const { until } = require('../lib/wait');
const { journalFile, readJournalLog } = require('../../nodes/sync/journal');

/** The longest one step may take (Node-RED to start, a run to reach its kill moment): a limit for a fault. */
const LIMIT_MS = 120000;
const COUNT = 2000;
const KILLS = 5;
/** Scans beyond one scan of the parent per run that are not yet a fault (a run may resume with a second batch). */
const SCAN_SLACK = 2;

/** A small seeded generator (mulberry32): the same seed gives the same kill moments. */
function randomFrom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Someone watching a film on the Kodi: player-sync defers its work until playback stops. */
const WATCHING = [{ playerid: 1, type: 'video', speed: 1, item: { id: 1, type: 'movie', title: 'Film' } }];
const folder = (n) => `Bulk ${String(n).padStart(4, '0')} (2000)`;
const PATHS = Array.from({ length: COUNT }, (_, i) => `/movies/${folder(i + 1)}/`);
const kodiFile = (libraryPath) => `/kodi${libraryPath}b.mkv`;

describe('player-sync across five kill -9 of Node-RED during a bulk of 2,000 changes', function () {
  this.timeout(12 * LIMIT_MS);
  const seed = Number(process.env.PLAYER_SYNC_KILL_SEED) || Math.floor(Math.random() * 2 ** 31);
  const random = randomFrom(seed);
  const between = (low, high) => low + Math.floor(random() * (high - low + 1));
  let sim;
  let nr;
  let userDir;
  /** Called with each Kodi call after the simulator answered it, before the answer goes out (see killAt). */
  let onCall;
  /** Each run of Node-RED: where its output starts, what it found on disk and in Kodi, how it ended. */
  const runs = [];
  /** Playback stops, at whatever moment (even between Kodi's list of players and the questions about them). */
  const stopPlayback = () => {
    sim.activePlayers = [];
  };
  /** What every Node-RED said, run after run (a killed one's words are kept for a failure's report). */
  const said = [];

  before(async function () {
    sim = await new KodiSim().start();
    sim.sources = ['/kodi/movies/'];
    for (const p of PATHS) {
      sim.addOnScan(`/kodi${p}`, [{ type: 'movie', title: p.split('/')[2], file: kodiFile(p) }]);
    }
    const answer = sim.answer.bind(sim);
    sim.answer = (msg) => {
      const reply = answer(msg);
      if (onCall) onCall(msg.method);
      return reply;
    };
  });
  after(async function () {
    onCall = undefined;
    if (nr) await nr.stop();
    await sim.stop();
  });

  /** Adds the test's flow to what `npm start` has (its example tabs), as a user deploys from the editor (see
   * player-sync-restart.test.js): the http response answers at once, beside player-sync. */
  const deploy = async () => {
    const flows = [
      { id: 'pk-tab', type: 'tab', label: 'kill test' },
      { id: 'pk-maps', type: 'path-mappings', rules: [{ from: '/movies', to: '/kodi/movies' }] },
      {
        id: 'pk-kodi',
        type: 'kodi-player',
        name: 'Sim',
        host: '127.0.0.1',
        httpPort: String(sim.httpPort),
        wsPort: String(sim.wsPort),
        mappings: 'pk-maps',
        credentials: { username: sim.username, password: sim.password },
      },
      {
        id: 'pk-in',
        type: 'http in',
        z: 'pk-tab',
        url: '/pk-changes',
        method: 'post',
        wires: [['pk-sync', 'pk-ok']],
      },
      { id: 'pk-ok', type: 'http response', z: 'pk-tab', statusCode: '202', wires: [] },
      {
        id: 'pk-sync',
        type: 'player-sync',
        z: 'pk-tab',
        players: [{ id: 'pk-kodi' }],
        batchWindow: 0.2,
        deferPoll: 0.2,
        timeout: 120,
        wires: [['pk-synced'], ['pk-failed']],
      },
      // What comes out of each output, one JSON line per message, in the user directory.
      ...['synced', 'failed'].map((output) => ({
        id: `pk-${output}`,
        type: 'file',
        z: 'pk-tab',
        filename: path.join(userDir, `pk-${output}.jsonl`),
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
  const postBulk = async () => {
    const body = JSON.stringify(PATHS.map((p) => ({ path: p, action: 'added', type: 'movie' })));
    const post = () =>
      fetch(`${nr.url}/pk-changes`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
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

  const fileOf = (output) => path.join(userDir, `pk-${output}.jsonl`);
  /** How many whole lines an output file has (the file node writes each message and its newline at once). */
  const lineCount = (output) => {
    if (!fs.existsSync(fileOf(output))) return 0;
    const text = fs.readFileSync(fileOf(output), 'utf8');
    let n = 0;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
    return n;
  };
  /** Each whole line of an output, parsed, with its number (from 0). */
  const outputs = (output) => {
    if (!fs.existsSync(fileOf(output))) return [];
    const lines = fs.readFileSync(fileOf(output), 'utf8').split('\n');
    lines.pop(); // after the last newline: empty, or a line still being written
    return lines.map((line, n) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`${output} line ${n + 1} is not one JSON message: ${line.slice(0, 300)}`);
      }
    });
  };
  /** The queue on disk, read without touching it. */
  const journal = () => {
    const file = journalFile(userDir, 'pk-sync');
    return fs.existsSync(file) ? readJournalLog(fs.readFileSync(file, 'utf8')) : [];
  };
  const startedIn = (entries) =>
    entries.filter((e) => Object.values(e.targets).includes('started')).map((e) => e.item.path);
  const scans = () =>
    sim.requests.filter((r) => r.method === 'VideoLibrary.Scan').map((r) => r.params.directory);

  /** Where things stand, for a failure's message. */
  const context = () => {
    const queue = journal();
    const last = sim.requests.slice(-12).map((r) => `${r.method} ${JSON.stringify(r.params ?? {})}`);
    const allScans = scans();
    return (
      `\n  seed: ${seed} (PLAYER_SYNC_KILL_SEED=${seed} repeats the kill moments)` +
      `\n  runs: ${JSON.stringify(
        runs.map((r) => ({
          planned: r.planned,
          killedBy: r.killedBy,
          left: r.left.size,
          started: r.started.size,
          library: r.library.size,
          firstLine: r.firstLine,
          linesAtKill: r.linesAtKill,
        })),
      )}` +
      `\n  journal: ${queue.length} change(s), ${startedIn(queue).length} started` +
      `\n  outputs: ${lineCount('synced')} synced, ${lineCount('failed')} failed; library: ${sim.items.length}` +
      `\n  failed, the first: ${JSON.stringify(outputs('failed').slice(0, 2))}` +
      `\n  scans: ${allScans.length}: ${JSON.stringify(allScans.slice(0, 10))}${allScans.length > 10 ? ' …' : ''}` +
      `\n  Kodi's last calls:\n    ${last.join('\n    ')}` +
      `\n  Node-RED said (player-sync's words and errors, run by run):\n${[
        ...said,
        ...(nr && nr.running() ? [nr.output()] : []),
      ]
        .map((text, i) =>
          [`  run ${i + 1}:`, ...text.split('\n').filter((l) => /player-sync|pk-|error/i.test(l))].join(
            '\n    ',
          ),
        )
        .join('\n')}`
    );
  };
  /** Waits for `check`; when it does not come, says where things stand. */
  const waitFor = (check, what) =>
    until(check, what, LIMIT_MS).catch((err) => {
      throw new Error(`${err.message}${context()}`);
    });

  /** Starts a run: what the killed one left on disk and in Kodi (read before the next starts working on it). */
  const beginRun = (left) => {
    const queue = left ?? journal();
    runs.push({
      planned: 'to the end',
      firstLine: lineCount('synced'),
      firstFailed: lineCount('failed'),
      left: new Set(queue.map((e) => e.item.path)),
      started: new Set(left ? [] : startedIn(queue)),
      library: new Set(sim.items.map((i) => i.file)),
      scans: 0,
    });
    return runs.at(-1);
  };

  /**
   * Kills Node-RED (kill -9) at the moment `moment` describes: at the Kodi call its `at()` picks (the process is
   * killed while the simulator answers that call, so it never reads the answer), or after `lines` more lines of
   * output in this run, whichever comes first. Fails at once when the run got through the whole queue first.
   */
  const killAt = async (run, moment) => {
    let by;
    const pick = moment.at ? moment.at() : () => undefined;
    onCall = (method) => {
      if (method === 'VideoLibrary.Scan') run.scans++;
      const why = by ? undefined : pick(method);
      if (!why) return;
      by = why;
      onCall = undefined;
      void nr.kill();
    };
    await waitFor(() => {
      if (by) return true;
      const lines = lineCount('synced') - run.firstLine;
      if (moment.lines && lines >= moment.lines) {
        by = `after ${lines} line(s) of output`;
        return true;
      }
      if (lines + lineCount('failed') - run.firstFailed >= run.left.size)
        throw new Error(`the run got through the whole queue before kill ${runs.length} (${moment.name})`);
      return false;
    }, `kill ${runs.length} (${moment.name})`).finally(() => {
      onCall = undefined;
    });
    await nr.kill();
    said.push(nr.output());
    run.killedBy = by;
    run.linesAtKill = lineCount('synced');
  };

  /** The paths one library query covers (Kodi: one query per item type for every 50; the most seen so far). */
  const pathsPerQuery = () => {
    let most = 0;
    for (const r of sim.requests) {
      if (r.method === 'VideoLibrary.GetMovies') most = Math.max(most, r.params?.filter?.or?.length ?? 1);
    }
    return Math.max(most, 50);
  };
  /**
   * The library queries a run makes at least before its queue is through: each batch is checked (work begun before
   * the kill) or verified (after its scan) with one query for every few dozen paths, and the last answer comes
   * before the last batch ends. A kill at this query or before it leaves work for the next run.
   */
  const lastQueryOf = (run) => Math.ceil(run.left.size / pathsPerQuery());
  /** Picks the `nth` call of `method` since the run began. */
  const nthCall = (method, nth, why) => {
    let seen = 0;
    return (m) => (m === method && ++seen === nth ? why() : undefined);
  };
  const either =
    (...picks) =>
    (m) =>
      picks.reduce((why, pick) => why ?? pick(m), undefined);
  const queryKill = (run, n) =>
    nthCall(
      'VideoLibrary.GetMovies',
      n,
      () =>
        `at library query ${n} of ${lastQueryOf(run)}, ` +
        (run.scans > 0 ? 'verifying after the scan' : 'before any scan of the run (checking begun work)'),
    );

  // The kill moments. Each is drawn when the plan is made and gets its parameters when its run begins.
  /** The first kill: the first batch is marked started on disk (that comes before anything is sent for it), the
   * scan of its parent is not sent yet. At one of the calls player-sync makes in between, picked at random. */
  const beforeFirstScan = () => {
    const calls = [
      ['Files.GetSources', 1],
      ['Files.GetSources', 2],
      ['XBMC.GetInfoBooleans', 1],
    ];
    const [method, nth] = calls[between(0, calls.length - 1)];
    return () => ({
      name: `before the first scan, at call ${nth} of ${method}`,
      at: () => {
        let asked = false; // who plays: the first call of a piece of work, before its started marks are written
        let scanned = false;
        const pick = nthCall(method, nth, () => `at call ${nth} of ${method}, before the first scan`);
        return (m) => {
          if (m === 'VideoLibrary.Scan') scanned = true;
          if (m === 'Player.GetActivePlayers') asked = true;
          return asked && !scanned ? pick(m) : undefined;
        };
      },
    });
  };
  const rightAfterScan = () => (run) => {
    const last = lastQueryOf(run);
    return {
      name: `right after a scan is sent (else at library query ${last})`,
      at: () =>
        either(
          (m) => (m === 'VideoLibrary.Scan' ? 'right after a scan was sent' : undefined),
          queryKill(run, last),
        ),
    };
  };
  const atQuery = () => (run) => {
    const n = between(1, lastQueryOf(run));
    return { name: `at library query ${n}`, at: () => queryKill(run, n) };
  };
  const afterLines = () => (run) => {
    // The lines of a batch come out over a few hundred ms, while the next batch is checked: up to 100 lines
    // is a moment before the last query as often as not.
    const k = between(1, 100);
    const last = lastQueryOf(run);
    return {
      name: `after ${k} line(s) of output (else at library query ${last})`,
      lines: k,
      at: () => queryKill(run, last),
    };
  };

  it('loses nothing and repeats nothing per player', async function () {
    // The first kill before the first scan; the second right after a scan or at a library query (checking or
    // verifying); the other three at a library query or after some output.
    const moments = [
      beforeFirstScan(),
      [rightAfterScan, atQuery][between(0, 1)](),
      ...[1, 2, 3].map(() => [atQuery, afterLines][between(0, 1)]()),
    ];
    moments.should.have.length(KILLS);

    nr = await startNodeRed();
    userDir = nr.userDir;
    await deploy();
    let run = beginRun(PATHS.map((p) => ({ item: { path: p }, targets: {} })));
    const first = moments[0](run);
    run.planned = first.name;
    const killing = killAt(run, first);
    await postBulk();
    await killing;
    for (let i = 1; i <= KILLS; i++) {
      // What the killed run left, read before the next one starts and works on it.
      run = beginRun();
      if (i === KILLS) {
        nr = await startNodeRed({}, { userDir });
        break;
      }
      const moment = moments[i](run);
      run.planned = moment.name;
      // Someone watches while Node-RED starts, so that player-sync waits (its queue restored) until the kill
      // moment is set: its flows start before Node-RED says it is ready. Playback stops once it is set.
      sim.activePlayers = WATCHING;
      nr = await startNodeRed({}, { userDir });
      const killing = killAt(run, moment);
      stopPlayback();
      await killing;
    }

    // The last run, not killed: every change still queued at its start comes out of it.
    const last = run;
    await waitFor(() => {
      const out = lineCount('synced') - last.firstLine + lineCount('failed') - last.firstFailed;
      return out >= last.left.size && journal().length === 0;
    }, 'the queue to be through after the fifth restart');

    try {
      const synced = outputs('synced');
      const failed = outputs('failed');
      // (d) Nothing failed.
      failed.should.eql([], 'nothing failed');
      // (a) Nothing given out twice.
      const seen = new Map();
      const twice = [];
      for (const out of synced) {
        if (seen.has(out.item.path)) twice.push(out.item.path);
        seen.set(out.item.path, out);
      }
      twice.should.eql([], 'no change came out twice');
      // (b) Nothing lost: the queue on disk is empty, and the last run gave out each change it started with.
      journal().should.eql([], 'the journal is empty once the bulk is through');
      last.left.size.should.be.above(
        0,
        'work was left for the last run: all five kills fell during the bulk',
      );
      [...last.left]
        .filter((p) => !seen.has(p))
        .should.eql([], 'the last run gave out everything it resumed');
      // A change missing from the output was finished (its end on disk) by a run that was killed before its line
      // was written: it left the queue in that run.
      const leftAfter = runs.slice(1).map((r) => r.left);
      const missing = PATHS.filter((p) => !seen.has(p));
      missing
        .filter((p) => !runs.slice(0, -1).some((r, i) => r.left.has(p) && !leftAfter[i].has(p)))
        .should.eql([], 'a change missing from the output was finished by a killed run');
      // (c) Nothing applied twice: each movie is in the library once.
      const files = sim.items.map((i) => i.file);
      new Set(files).size.should.equal(files.length, 'no movie is in the library twice');
      [...files].sort().should.eql(PATHS.map(kodiFile).sort(), 'each movie is in the library');
      // (e) No full-library scan; one scan of the parent per run, not one per folder.
      const all = scans();
      all.filter((d) => d === '').should.eql([], 'no full-library scan');
      const own = all.filter((d) => d !== '/kodi/movies/');
      all.length.should.be.belowOrEqual(
        runs.length + SCAN_SLACK,
        `at most one scan of /kodi/movies/ per run (${runs.length} runs, ${SCAN_SLACK} more allowed); ` +
          `${all.length} scans, ${own.length} of a single folder, e.g. ${JSON.stringify(own.slice(0, 5))}`,
      );
      // (f) What a restart resumed says so; what was started before and is in Kodi's library is checked there,
      // finished without anything sent again.
      runs.forEach((r, i) => {
        const next = runs[i + 1];
        const mine = synced.slice(r.firstLine, next ? next.firstLine : synced.length);
        for (const out of mine) {
          out.restored.should.equal(i > 0, `${out.item.path}: restored in run ${i + 1}`);
          const checked = r.started.has(out.item.path) && r.library.has(kodiFile(out.item.path));
          if (!checked) continue;
          out.results.should.have.length(1);
          out.results[0].should.containDeep({ status: 'verified', ok: true, resumed: true });
          out.results[0].sent.should.eql([], `${out.item.path}: started before the kill, nothing sent again`);
        }
      });
      synced.every((out) => out.results.every((r) => r.status === 'verified')).should.be.true();
    } catch (err) {
      err.message += context();
      throw err;
    }
  });
});
