'use strict';
// library-changes through a real flow against the real Kodi: the first run reports every movie and episode Kodi
// lists as added, page by page; then a movie is added (a new folder, scanned in), one is touched (marked watched)
// and one removed, and the next run reports exactly those three, with the player's path, the library path (the
// path-mappings rule backwards) and the file state: present for what exists on this machine, gone for the removed
// one. A run with nothing changed, a deep one, and one after a redeploy report nothing.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, nodes, lastStatus } = require('../lib/nodes');
const { sharedKodi } = require('../kodi-real/kodi-harness');
const { until } = require('../lib/wait');

const LIMIT_MS = 60000;
const YEAR = 2019;
// Small pages, so that the real Kodi is asked page by page (limits start/end) even for a handful of items.
const PAGE_SIZE = 2;

describe('library-changes with a real Kodi', function () {
  this.timeout(180000);
  let kodi;
  let userDir;
  // The library as this machine has it: a folder that leads to Kodi's movie folder (Kodi runs here, so what it
  // lists exists here too, under the library path the mapping gives).
  let libraryRoot;
  let libraryMovies;
  /** The movies this suite made, by title: {folder, file, movieid}. */
  const made = {};

  const movieRows = async (filter) =>
    (await kodi.rpc('VideoLibrary.GetMovies', filter ? { filter } : {})).movies || [];
  const inFolder = (folder) => movieRows({ field: 'path', operator: 'is', value: folder });
  const totalOf = async (method) => (await kodi.rpc(method, { limits: { start: 0, end: 1 } })).limits.total;
  const scanning = async () =>
    (await kodi.rpc('XBMC.GetInfoBooleans', { booleans: ['Library.IsScanningVideo'] }))[
      'Library.IsScanningVideo'
    ];

  /** A movie folder scanned into Kodi's library; resolves once Kodi lists it and the scan has ended. */
  async function scanIn(title) {
    const movie = kodi.addMovie(title, YEAR);
    made[title] = movie;
    const row = await kodi.scanIn(movie, `${title} in the library`, 2 * LIMIT_MS);
    await until(async () => !(await scanning()), `the scan of ${title} to end`, LIMIT_MS);
    movie.movieid = row.movieid;
    return movie;
  }

  /** The library path of a file under Kodi's movie folder. */
  const libraryPathOf = (file) => path.join(libraryMovies, path.relative(kodi.movies, file));

  before(async function () {
    this.timeout(240000);
    kodi = await sharedKodi(this);
    await new Promise((resolve) => helper.startServer(resolve));
    libraryRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-library-real-'));
    libraryMovies = path.join(libraryRoot, 'movies');
    fs.symlinkSync(kodi.movies, libraryMovies, 'dir');
    for (const title of ['Changes Kept', 'Changes Touched', 'Changes Removed']) await scanIn(title);
  });
  after(async function () {
    if (!kodi) return;
    try {
      // Out of Kodi's library and off the disk, so that no later suite finds them (nor scans them in again).
      for (const movie of Object.values(made)) {
        for (const row of await inFolder(movie.folder)) {
          await kodi.rpc('VideoLibrary.RemoveMovie', { movieid: row.movieid });
        }
        fs.rmSync(movie.folder, { recursive: true, force: true });
      }
    } finally {
      if (libraryRoot) fs.rmSync(libraryRoot, { recursive: true, force: true });
      await new Promise((resolve) => helper.stopServer(resolve));
    }
  });

  const load = () =>
    helper.load(
      [nodes.kodiPlayer, nodes.pathMappings, nodes.libraryChanges],
      [
        { id: 'tab', type: 'tab' },
        { id: 'maps', type: 'path-mappings', rules: [{ from: libraryMovies, to: kodi.movies }] },
        {
          id: 'kodi',
          type: 'kodi-player',
          name: 'Real Kodi',
          host: '127.0.0.1',
          httpPort: kodi.httpPort,
          wsPort: kodi.wsPort,
          mappings: 'maps',
        },
        {
          id: 'changes',
          type: 'library-changes',
          z: 'tab',
          playerType: 'kodi',
          kodi: 'kodi',
          output: 'each',
          pageSize: PAGE_SIZE,
          wires: [['out'], ['summary']],
        },
        { id: 'out', type: 'helper', z: 'tab' },
        { id: 'summary', type: 'helper', z: 'tab' },
        { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ],
      { kodi: { username: kodi.username, password: kodi.password } },
    );

  beforeEach(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-library-real-red-'));
    helper.settings({ userDir });
    await load();
  });
  afterEach(async function () {
    await helper.unload();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  /**
   * Sends a message in; resolves with the run's summary message and every change it sent (all of them: the
   * changes the summary counts), or rejects with the error a Catch node got.
   */
  async function runOnce(msg = {}) {
    const changes = [];
    const out = helper.getNode('out');
    const summaryNode = helper.getNode('summary');
    const caught = helper.getNode('caught');
    let summary;
    let error;
    const onOut = (m) => changes.push(m);
    const onSummary = (m) => {
      summary = m;
    };
    const onCaught = (m) => {
      error = m.error;
    };
    out.on('input', onOut);
    summaryNode.on('input', onSummary);
    caught.on('input', onCaught);
    try {
      helper.getNode('changes').receive({ topic: 'run', ...msg });
      await until(() => summary || error, 'the run to end', 2 * LIMIT_MS);
      if (error) throw new Error(`the run failed: ${error.message}`);
      const { added, updated, removed } = summary.payload;
      await until(() => changes.length >= added + updated + removed, 'every change of the run', LIMIT_MS);
      changes.length.should.equal(added + updated + removed, 'as many changes sent as the summary counts');
      for (const m of changes) {
        m.topic.should.equal(m.payload.change);
        m.player.should.containDeep({ name: 'Real Kodi', type: 'kodi', id: 'kodi' });
      }
      return { summary, changes: changes.map((m) => m.payload) };
    } finally {
      out.removeListener('input', onOut);
      summaryNode.removeListener('input', onSummary);
      caught.removeListener('input', onCaught);
    }
  }

  /** Requests a run over Kodi's two sections makes with PAGE_SIZE: the sections, then each section's pages. */
  const requestsFor = (movies, episodes) =>
    1 + Math.max(1, Math.ceil(movies / PAGE_SIZE)) + Math.max(1, Math.ceil(episodes / PAGE_SIZE));

  it('first run: everything added; then add, touch and remove movies → exactly those three changes; then none', async function () {
    // 1. The first run: every movie and episode Kodi lists (this suite's and any other suite left), once each.
    const movies1 = await totalOf('VideoLibrary.GetMovies');
    const episodes1 = await totalOf('VideoLibrary.GetEpisodes');
    movies1.should.be.aboveOrEqual(3);
    const first = await runOnce();
    first.summary.topic.should.equal('library-changes');
    first.summary.payload.should.containDeep({
      added: movies1 + episodes1,
      updated: 0,
      removed: 0,
      deep: false,
    });
    first.summary.payload.sections.should.eql([
      { section: 'Movies', mode: 'first', listed: movies1, added: movies1, updated: 0, removed: 0 },
      { section: 'Episodes', mode: 'first', listed: episodes1, added: episodes1, updated: 0, removed: 0 },
    ]);
    first.summary.payload.requests.should.equal(requestsFor(movies1, episodes1));
    first.changes.every((c) => c.change === 'added').should.be.true();
    // Exactly Kodi's movies, each once.
    first.changes
      .filter((c) => c.type === 'movie')
      .map((c) => Number(c.id))
      .sort((a, b) => a - b)
      .should.eql((await movieRows()).map((r) => r.movieid).sort((a, b) => a - b));
    for (const title of ['Changes Kept', 'Changes Touched', 'Changes Removed']) {
      const m = made[title];
      first.changes
        .filter((c) => c.title === title)
        .should.eql([
          {
            change: 'added',
            section: 'Movies',
            id: String(m.movieid),
            type: 'movie',
            title,
            year: YEAR,
            playerPath: m.file,
            libraryPath: libraryPathOf(m.file),
            file: 'present',
          },
        ]);
    }
    lastStatus(helper.getNode('changes')).should.containDeep({
      fill: 'green',
      shape: 'dot',
      text: `+${movies1 + episodes1} ~0 -0`,
    });

    // 2. Between runs, as a person would: a new movie scanned in, one marked watched, one taken out of the library.
    const addedMovie = await scanIn('Changes Added');
    const touched = made['Changes Touched'];
    await kodi.rpc('VideoLibrary.SetMovieDetails', { movieid: touched.movieid, playcount: 1 });
    (
      await kodi.rpc('VideoLibrary.GetMovieDetails', { movieid: touched.movieid, properties: ['playcount'] })
    ).moviedetails.playcount.should.equal(1);
    const removed = made['Changes Removed'];
    await kodi.rpc('VideoLibrary.RemoveMovie', { movieid: removed.movieid });
    fs.rmSync(removed.folder, { recursive: true, force: true });
    await until(async () => (await inFolder(removed.folder)).length === 0, 'the removal', LIMIT_MS);
    const movies2 = await totalOf('VideoLibrary.GetMovies');
    const episodes2 = await totalOf('VideoLibrary.GetEpisodes');
    movies2.should.equal(movies1);
    episodes2.should.equal(episodes1);

    const second = await runOnce();
    second.summary.payload.should.containDeep({ added: 1, updated: 1, removed: 1, deep: false });
    second.summary.payload.sections.should.eql([
      { section: 'Movies', mode: 'full', listed: movies2, added: 1, updated: 1, removed: 1 },
      { section: 'Episodes', mode: 'full', listed: episodes2, added: 0, updated: 0, removed: 0 },
    ]);
    second.changes
      .map((c) => `${c.change} ${c.title}`)
      .sort()
      .should.eql(['added Changes Added', 'removed Changes Removed', 'updated Changes Touched']);
    second.changes
      .find((c) => c.change === 'added')
      .should.eql({
        change: 'added',
        section: 'Movies',
        id: String(addedMovie.movieid),
        type: 'movie',
        title: 'Changes Added',
        year: YEAR,
        playerPath: addedMovie.file,
        libraryPath: libraryPathOf(addedMovie.file),
        file: 'present',
      });
    second.changes
      .find((c) => c.change === 'updated')
      .should.eql({
        change: 'updated',
        section: 'Movies',
        id: String(touched.movieid),
        type: 'movie',
        title: 'Changes Touched',
        year: YEAR,
        playerPath: touched.file,
        libraryPath: libraryPathOf(touched.file),
        file: 'present',
      });
    second.changes
      .find((c) => c.change === 'removed')
      .should.eql({
        change: 'removed',
        section: 'Movies',
        id: String(removed.movieid),
        type: 'movie',
        title: 'Changes Removed',
        playerPath: removed.file,
        libraryPath: libraryPathOf(removed.file),
        file: 'gone',
      });
    lastStatus(helper.getNode('changes')).should.containDeep({ fill: 'green', text: '+1 ~1 -1' });

    // 3. Nothing changed: nothing reported; a deep run (Kodi's runs are full listings anyway) finds nothing either.
    const third = await runOnce();
    third.changes.should.eql([]);
    third.summary.payload.should.containDeep({ added: 0, updated: 0, removed: 0, deep: false });
    third.summary.payload.sections.map((s) => s.mode).should.eql(['full', 'full']);
    const deep = await runOnce({ deep: true });
    deep.changes.should.eql([]);
    deep.summary.payload.should.containDeep({ added: 0, updated: 0, removed: 0, deep: true });
    deep.summary.payload.sections.should.eql([
      { section: 'Movies', mode: 'deep', listed: movies2, added: 0, updated: 0, removed: 0 },
      { section: 'Episodes', mode: 'deep', listed: episodes2, added: 0, updated: 0, removed: 0 },
    ]);
    deep.summary.payload.requests.should.equal(requestsFor(movies2, episodes2));

    // 4. A redeploy (Node-RED restarted): the fingerprints kept in the user dir, so nothing is reported again.
    await helper.unload();
    await load();
    const redeployed = await runOnce();
    redeployed.changes.should.eql([]);
    redeployed.summary.payload.sections.map((s) => s.mode).should.eql(['full', 'full']);
  });
});
