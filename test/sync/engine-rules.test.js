'use strict';
// The sync engine's rules without Node-RED, with fake players, each checked the way a user would see it: changes
// to one folder inside the batching window are one update; a high-priority change jumps the queue; nothing is
// touched while someone watches (or it is skipped, when asked); one failure stops the other players when asked;
// a restart resumes only what is still to do; many new folders under one parent are one scan of the parent.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { EventEmitter } = require('node:events');
const { SyncEngine } = require('../../nodes/sync/engine');
const { openJournal, journalFile, readJournalLog } = require('../../nodes/sync/journal');

/** The queue on disk, read without touching it (the engine may be writing). */
const onDisk = (dir) => {
  const file = journalFile(dir, 'n');
  return fs.existsSync(file) ? readJournalLog(fs.readFileSync(file, 'utf8')) : [];
};
const { PlayerError } = require('../../nodes/players/errors');
const { until } = require('../lib/wait');

const verified = (key, item) => ({
  status: 'verified',
  ok: true,
  player: key,
  libraryPath: item.path,
  items: [],
  sent: [],
});

/**
 * A player whose answers the test decides. `behaviour(item, signal, n)` runs for the n-th apply (from 1) and may
 * throw, or return a promise (held until the test settles it); by default each apply is verified at once.
 */
function fakePlayer(key, behaviour = () => undefined) {
  const events = new EventEmitter();
  const target = {
    key,
    name: key,
    /** Every apply, in order: the item as the engine gave it. */
    applied: [],
    /** What playing() answers; the test sets it. */
    sessions: [],
    playingAsked: 0,
    async apply(item, signal) {
      target.applied.push(item);
      const answer = await behaviour(item, signal, target.applied.length);
      return answer ?? verified(key, item);
    },
    async playing() {
      target.playingAsked++;
      return target.sessions;
    },
    onPlaybackStop(callback) {
      events.on('stop', callback);
      return () => events.off('stop', callback);
    },
    /** Playback ends: nobody watches any more, and the player says so. */
    stop() {
      target.sessions = [];
      events.emit('stop');
    },
    stopListeners: () => events.listenerCount('stop'),
  };
  return target;
}

/** A promise the test settles, for an apply that takes as long as the test wants. */
function held() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** An apply that ends only when the engine aborts it (a redeploy), answering as a timed-out scan does. */
const untilAborted = (key) => (item, signal) =>
  new Promise((resolve) => {
    signal.addEventListener('abort', () =>
      resolve({ status: 'timed-out', ok: false, player: key, libraryPath: item.path, items: [], sent: [] }),
    );
  });

const session = (title) => ({ kind: 'video', type: 'movie', title, paused: false });

const options = (over = {}) => ({
  batchWindowMs: 1,
  whilePlaying: 'ignore',
  parallel: true,
  continueOnError: true,
  retryMinMs: 60000, // a backoff no test waits out
  ...over,
});

const item = (p, action = 'added', extra = {}) => ({ path: p, action, ids: {}, ...extra });

/** Collects every 'item-done' by entry id. */
function outcomes(engine) {
  const byId = new Map();
  engine.on('item-done', (outcome) => byId.set(outcome.entry.id, outcome));
  return byId;
}

describe('sync engine rules (no Node-RED)', function () {
  let engine;
  afterEach(function () {
    if (engine) engine.close();
    engine = undefined;
  });

  describe('batching window', function () {
    const merges = [
      ['added', 'updated', 'added'], // a new folder whose metadata changed at once: still a scan
      ['added', 'removed', 'removed'], // imported and deleted again: only the removal is left
      ['removed', 'added', 'updated'], // deleted, then there again: an upgrade or a re-import
    ];
    for (const [first, then, merged] of merges) {
      it(`${first} then ${then} of one folder inside the window → one '${merged}', and both messages are answered`, async function () {
        const player = fakePlayer('kodi');
        engine = new SyncEngine([player], options({ batchWindowMs: 50 }), openJournal(undefined, 'n'));
        const done = outcomes(engine);
        const [a] = engine.accept([item('/movies/A (2001)/', first)], 'normal');
        const [b] = engine.accept([item('/movies/A (2001)/', then)], 'normal');
        const [c] = engine.accept([item('/movies/C (2003)/', 'added')], 'normal'); // another folder: its own work
        await until(() => [a, b, c].every((id) => done.has(id)), 'an item-done for every message');
        player.applied
          .map((i) => [i.path, i.action])
          .should.eql([
            ['/movies/A (2001)/', merged],
            ['/movies/C (2003)/', 'added'],
          ]);
        for (const id of [a, b]) {
          done.get(id).ok.should.be.true();
          done.get(id).results.kodi.should.match({ status: 'verified', libraryPath: '/movies/A (2001)/' });
        }
        // Each message's item keeps what it said.
        done.get(a).entry.item.action.should.equal(first);
        done.get(b).entry.item.action.should.equal(then);
        engine.journal.size.should.equal(0);
      });
    }
  });

  it('a high-priority change is applied before the normal ones queued while the player was busy', async function () {
    const gate = held();
    // `busy` is held on its first item; `free` does everything at once, so that when it has applied the normal
    // items, `busy`'s batching window (opened just before `free`'s, same length) has queued them too.
    const busy = fakePlayer('busy', (_item, _signal, n) => (n === 1 ? gate.promise : undefined));
    const free = fakePlayer('free');
    engine = new SyncEngine([busy, free], options(), openJournal(undefined, 'n'));
    const done = outcomes(engine);
    engine.accept([item('/movies/First/')], 'normal');
    await until(() => busy.applied.length === 1, 'the busy player to start on the first item');
    const normal = ['/movies/N1/', '/movies/N2/', '/movies/N3/'];
    for (const p of normal) engine.accept([item(p)], 'normal');
    await until(() => free.applied.length === 4, 'the normal items to be queued');
    engine.accept([item('/movies/Urgent/')], 'high');
    busy.applied.should.have.length(1, 'nothing else started while the first item is held');
    gate.resolve();
    await until(() => done.size === 5, 'all five items done');
    busy.applied.map((i) => i.path).should.eql(['/movies/First/', '/movies/Urgent/', ...normal]);
    [...done.values()].every((o) => o.ok).should.be.true();
  });

  describe('while someone watches', function () {
    it("'defer': nothing is applied while the player plays, which is listed as deferred and asked again", async function () {
      const player = fakePlayer('kodi');
      player.sessions = [session('Inception (2010)')];
      engine = new SyncEngine(
        [player],
        // A short poll: the player is asked again and again while it plays, and the change must still wait.
        options({ whilePlaying: 'defer', deferPollMs: 20 }),
        openJournal(undefined, 'n'),
      );
      const progress = [];
      engine.on('progress', (p) => progress.push(p));
      const done = new Promise((resolve) => engine.on('item-done', resolve));
      engine.accept([item('/movies/A/')], 'normal');
      await until(() => progress.some((p) => p.deferred.includes('kodi')), "a progress event naming 'kodi'");
      await until(() => player.playingAsked >= 3, 'the player to be asked again while it plays');
      player.applied.should.be.empty();
      player.stop();
      const outcome = await done;
      outcome.ok.should.be.true();
      player.applied.map((i) => i.path).should.eql(['/movies/A/']);
      progress.at(-1).deferred.should.eql([], 'the last progress no longer lists the player as deferred');
    });

    it("'defer': the change is applied when the player says playback stopped, not at its next poll", async function () {
      const player = fakePlayer('kodi');
      player.sessions = [session('Inception (2010)')];
      engine = new SyncEngine(
        [player],
        options({ whilePlaying: 'defer', deferPollMs: 60000 }), // a poll no test waits out
        openJournal(undefined, 'n'),
      );
      const deferred = new Promise((resolve) =>
        engine.on('progress', (p) => {
          if (p.deferred.includes('kodi')) resolve();
        }),
      );
      const done = new Promise((resolve) => engine.on('item-done', resolve));
      engine.accept([item('/movies/A/')], 'normal');
      await deferred;
      await until(() => player.stopListeners() === 1, 'the engine to listen for the end of playback');
      player.applied.should.be.empty();
      player.stop();
      (await done).ok.should.be.true(); // well inside the 60 s poll, or the test's own limit fails it
      player.applied.map((i) => i.path).should.eql(['/movies/A/']);
      player.stopListeners().should.equal(0, 'the wait let go of its listener');
    });

    it("'skip': the change is not applied, and the result says skipped (ok) with what is playing", async function () {
      const player = fakePlayer('kodi');
      player.sessions = [session('Inception (2010)')];
      engine = new SyncEngine([player], options({ whilePlaying: 'skip' }), openJournal(undefined, 'n'));
      const done = new Promise((resolve) => engine.on('item-done', resolve));
      engine.accept([item('/movies/A/')], 'normal');
      const outcome = await done;
      outcome.ok.should.be.true();
      outcome.results.kodi.should.match({ status: 'skipped', ok: true, player: 'kodi' });
      outcome.results.kodi.reason.should.containEql('Inception (2010)');
      player.applied.should.be.empty();
      engine.journal.size.should.equal(0);
    });
  });

  it('continueOnError false, one player after another: a failure that asking again cannot mend cancels the item on the next player', async function () {
    const first = fakePlayer('kodi', () => {
      throw new PlayerError({ player: 'kodi', call: 'Scan', code: 'auth', reason: 'wrong password' });
    });
    const second = fakePlayer('plex');
    engine = new SyncEngine(
      [first, second],
      options({ parallel: false, continueOnError: false }),
      openJournal(undefined, 'n'),
    );
    const done = new Promise((resolve) => engine.on('item-done', resolve));
    engine.accept([item('/movies/A/')], 'normal');
    const outcome = await done;
    outcome.ok.should.be.false();
    outcome.results.kodi.should.match({ status: 'failed', ok: false, reason: /wrong password/ });
    outcome.results.plex.should.match({ status: 'cancelled', ok: false, player: 'plex' });
    second.applied.should.be.empty();
    Object.keys(outcome.results).should.eql(['kodi', 'plex'], 'in the order the players are configured');
  });

  it('a restart resumes what the journal holds, only on the players that had not done it', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-rules-'));
    try {
      // Before the restart: kodi does A and is cut off during B; plex is cut off during A.
      const kodi = fakePlayer('kodi', (i, signal) =>
        i.path === '/movies/B/' ? untilAborted('kodi')(i, signal) : undefined,
      );
      const plex = fakePlayer('plex', untilAborted('plex'));
      engine = new SyncEngine([kodi, plex], options(), openJournal(dir, 'n'));
      engine.accept([item('/movies/A/'), item('/movies/B/')], 'normal');
      const states = () => onDisk(dir).map((e) => [e.item.path, e.targets.kodi, e.targets.plex]);
      await until(
        () => kodi.applied.length === 2 && plex.applied.length === 1 && states()[0][1] === 'done',
        'kodi done with A and busy with B, plex busy with A',
      );
      await engine.close(); // the restart
      // Begun when the engine stopped: started (checked first after a restart, where the player can be asked).
      // Plex's B is marked with its A, the work before it (one fsync for both): a restart checks it first too.
      states().should.eql([
        ['/movies/A/', 'done', 'started'],
        ['/movies/B/', 'started', 'started'],
      ]);

      const kodi2 = fakePlayer('kodi');
      const plex2 = fakePlayer('plex');
      engine = new SyncEngine([kodi2, plex2], options(), openJournal(dir, 'n'));
      const done = outcomes(engine);
      engine
        .restore()
        .map((e) => e.item.path)
        .should.eql(['/movies/A/', '/movies/B/']);
      await until(() => done.size === 2, 'both items done after the restart');
      kodi2.applied.map((i) => i.path).should.eql(['/movies/B/']);
      plex2.applied.map((i) => i.path).should.eql(['/movies/A/', '/movies/B/']);
      const byPath = new Map([...done.values()].map((o) => [o.entry.item.path, o]));
      // A's outcome holds kodi's result from before the restart and plex's from after.
      byPath.get('/movies/A/').results.should.match({
        kodi: { status: 'verified', libraryPath: '/movies/A/' },
        plex: { status: 'verified', libraryPath: '/movies/A/' },
      });
      byPath.get('/movies/B/').ok.should.be.true();
      await engine.journal.commit();
      onDisk(dir).should.be.empty();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('continueOnError false: a first player that fails after a while still cancels the item on the next one', async function () {
    const gate = held();
    const first = fakePlayer('kodi', () => gate.promise);
    const second = fakePlayer('plex');
    engine = new SyncEngine(
      [first, second],
      options({ parallel: false, continueOnError: false }),
      openJournal(undefined, 'n'),
    );
    const done = new Promise((resolve) => engine.on('item-done', resolve));
    engine.accept([item('/movies/A/')], 'normal');
    await until(() => first.applied.length === 1, 'the first player at work');
    gate.reject(new PlayerError({ player: 'kodi', call: 'Scan', code: 'auth', reason: 'wrong password' }));
    const outcome = await done;
    outcome.results.plex.should.match({ status: 'cancelled', ok: false });
    second.applied.should.be.empty();
  });

  it('two high-priority changes keep their order', async function () {
    const gate = held();
    const busy = fakePlayer('kodi', (_item, _signal, n) => (n === 1 ? gate.promise : undefined));
    engine = new SyncEngine([busy], options(), openJournal(undefined, 'n'));
    const done = outcomes(engine);
    engine.accept([item('/movies/First/')], 'normal');
    await until(() => busy.applied.length === 1, 'the player busy with the first item');
    engine.accept([item('/movies/H1/')], 'high');
    engine.accept([item('/movies/H2/')], 'high');
    gate.resolve();
    await until(() => done.size === 3, 'all three done');
    busy.applied.map((i) => i.path).should.eql(['/movies/First/', '/movies/H1/', '/movies/H2/']);
  });

  it("a whole-folder removal after a file's import inside the window removes the folder, not the file", async function () {
    const player = fakePlayer('kodi');
    engine = new SyncEngine([player], options({ batchWindowMs: 50 }), openJournal(undefined, 'n'));
    const done = outcomes(engine);
    engine.accept([item('/movies/A/', 'added', { file: '/movies/A/a.mkv' })], 'normal');
    engine.accept([item('/movies/A/', 'removed')], 'normal');
    await until(() => done.size === 2, 'both messages answered');
    player.applied.should.have.length(1);
    player.applied[0].should.match({ path: '/movies/A/', action: 'removed' });
    player.applied[0].should.not.have.property('file');
  });

  it('after a restart, work begun before it is checked on the player first: what is already there is not sent again', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-rules-'));
    try {
      const earlier = openJournal(dir, 'n');
      earlier.load();
      const entries = ['/movies/There/', '/movies/Missing/', '/movies/Never/'].map((p, i) => ({
        id: `e${i}`,
        item: item(p),
        priority: 'normal',
        at: i + 1,
        targets: { kodi: 'pending' },
        results: {},
      }));
      earlier.putAll(entries);
      earlier.start('e0', 'kodi'); // sent before the crash, and Kodi has it
      earlier.start('e1', 'kodi'); // sent before the crash, but Kodi does not have it
      await earlier.close();

      const kodi = fakePlayer('kodi');
      kodi.checked = [];
      kodi.check = async (items) => {
        kodi.checked.push(...items.map((i) => i.path));
        return items.map((i) => (i.path === '/movies/There/' ? verified('kodi', i) : undefined));
      };
      engine = new SyncEngine([kodi], options(), openJournal(dir, 'n'));
      const done = outcomes(engine);
      engine.restore().should.have.length(3);
      await until(() => done.size === 3, 'the three changes');
      kodi.checked.sort().should.eql(['/movies/Missing/', '/movies/There/'], 'only begun work is checked');
      kodi.applied
        .map((i) => i.path)
        .sort()
        .should.eql(['/movies/Missing/', '/movies/Never/']);
      done.get('e0').results.kodi.should.match({ status: 'verified', resumed: true });
      done.get('e1').results.kodi.should.not.have.property('resumed');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a journal entry still pending for a player no longer in the node ends instead of waiting forever', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-rules-'));
    try {
      const earlier = openJournal(dir, 'n');
      earlier.putAll([
        {
          id: 'gone',
          item: item('/movies/G/'),
          priority: 'normal',
          at: 1,
          targets: { old: 'pending' },
          results: {},
        },
        {
          id: 'both',
          item: item('/movies/B/'),
          priority: 'normal',
          at: 2,
          targets: { old: 'pending', kodi: 'pending' },
          results: {},
        },
      ]);
      await earlier.close();
      const kodi = fakePlayer('kodi');
      engine = new SyncEngine([kodi], options(), openJournal(dir, 'n'));
      const done = outcomes(engine);
      engine
        .restore()
        .map((e) => e.id)
        .should.eql(['both']);
      await until(() => done.size === 1, 'the entry kodi had to do');
      kodi.applied.map((i) => i.path).should.eql(['/movies/B/']);
      done.get('both').results.should.match({ kodi: { status: 'verified' } });
      await engine.journal.commit();
      onDisk(dir).should.be.empty();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('10 new folders under one parent, queued together, are one scan of the parent, not 10', async function () {
    const player = fakePlayer('kodi');
    player.underParent = [];
    player.applyUnderParent = async (parent, items) => {
      player.underParent.push([parent, items.map((i) => i.path)]);
      return items.map((i) => verified('kodi', i));
    };
    engine = new SyncEngine([player], options({ parentThreshold: 5 }), openJournal(undefined, 'n'));
    const done = outcomes(engine);
    const folders = Array.from({ length: 10 }, (_, n) => `/movies/New ${n + 1}/`);
    const few = ['/tv/Show A/', '/tv/Show B/']; // under another parent, fewer than the threshold
    engine.accept(
      [...folders, ...few].map((p) => item(p)),
      'normal',
    );
    await until(() => done.size === 12, 'all twelve items done');
    player.underParent.should.eql([['/movies/', folders]]);
    player.applied.map((i) => i.path).should.eql(few);
    for (const outcome of done.values()) {
      outcome.ok.should.be.true();
      outcome.results.kodi.libraryPath.should.equal(outcome.entry.item.path, 'each item gets its own result');
    }
  });
});
