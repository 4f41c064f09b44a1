'use strict';
// The Players board and the queue controls behind it, without Node-RED. What a user of the sidebar relies on: a
// change deferred while someone watches says who watches what; a retrying one says when it is tried next and why
// it failed; "retry now" runs it at once (not after its backoff); "drop" takes it out and reports it as dropped,
// while the player's other work goes on; the result list keeps the last 100, newest first; the board is ready only
// while every player answers.
require('should');
const { EventEmitter } = require('node:events');
const { SyncEngine, DROPPED_REASON, watchingText } = require('../../nodes/sync/engine');
const { openJournal } = require('../../nodes/sync/journal');
const { PlayerError } = require('../../nodes/players/errors');
const {
  HealthBoard,
  PlayerTracker,
  MAX_RESULTS,
  MAX_QUEUE_ITEMS,
  queueView,
  outcomeOf,
} = require('../../nodes/sync/health');
const { until } = require('../lib/wait');

const down = () =>
  new PlayerError({
    player: 'Fake',
    call: 'VideoLibrary.Scan',
    code: 'unreachable',
    reason: 'connection refused',
  });

/** A player whose answers and sessions the test decides. */
function fakePlayer(key) {
  const events = new EventEmitter();
  const target = {
    key,
    name: `Kodi ${key}`,
    reachable: true,
    sessions: [],
    applied: [],
    async apply(item) {
      if (!target.reachable) throw down();
      target.applied.push(item.path);
      return { status: 'verified', ok: true, player: key, libraryPath: item.path, items: [], sent: [] };
    },
    playing: async () => target.sessions,
    onPlaybackStop(callback) {
      events.on('stop', callback);
      return () => events.off('stop', callback);
    },
    stop: () => events.emit('stop'),
  };
  return target;
}

const options = (over = {}) => ({
  batchWindowMs: 1,
  whilePlaying: 'defer',
  parallel: true,
  continueOnError: true,
  retryMinMs: 3600000, // a backoff no test waits out
  retryMaxMs: 3600000,
  deferPollMs: 3600000, // nor a deferral
  ...over,
});

/** The items of the engine's queue for `key`, as the board lists them. */
const itemsOf = (engine, key) => [
  ...engine
    .queues()
    .find((q) => q.key === key)
    .items(),
];

describe('Players board (no Node-RED)', function () {
  let engine;
  afterEach(function () {
    if (engine) engine.close();
    engine = undefined;
  });

  it('a change deferred while someone watches says who watches what; when playback stops it runs', async function () {
    const player = fakePlayer('den');
    player.sessions = [
      { kind: 'video', type: 'movie', title: 'Alien', year: 1979, user: 'Anna', paused: false },
    ];
    engine = new SyncEngine([player], options(), openJournal(undefined, 'n'));
    const done = new Promise((resolve) => engine.on('item-done', resolve));
    engine.accept([{ path: '/m/Heat (1995)/', action: 'added' }], 'normal');
    const [deferred] = await until(() => {
      const items = itemsOf(engine, 'den');
      return items.length === 1 && items[0].state === 'deferred' ? items : undefined;
    }, 'the change to be deferred');
    deferred.should.containDeep({ what: '/m/Heat (1995)/', action: 'added', watching: 'Anna: Alien (1979)' });
    player.sessions = [];
    player.stop();
    (await done).ok.should.be.true();
    itemsOf(engine, 'den').should.eql([]);
  });

  it('a retrying change says when and why; "retry now" runs it before its backoff ends', async function () {
    const player = fakePlayer('den');
    player.reachable = false;
    engine = new SyncEngine([player], options({ whilePlaying: 'ignore' }), openJournal(undefined, 'n'));
    const done = new Promise((resolve) => engine.on('item-done', resolve));
    const before = Date.now();
    engine.accept([{ path: '/m/Heat (1995)/', action: 'added' }], 'normal');
    const [retrying] = await until(() => {
      const items = itemsOf(engine, 'den');
      return items.length === 1 && items[0].state === 'retrying' ? items : undefined;
    }, 'the change to be retrying');
    retrying.attempts.should.equal(1);
    retrying.reason.should.match(/connection refused/);
    retrying.nextAttemptAt.should.be.aboveOrEqual(before + 3600000); // the hour's backoff
    engine.retryNow('den', 'nothing-by-that-id').should.be.false();
    player.reachable = true;
    engine.retryNow('den', retrying.id).should.be.true();
    const outcome = await done; // well inside the hour's backoff, or the test's own limit fails it
    outcome.ok.should.be.true();
    player.applied.should.eql(['/m/Heat (1995)/']);
  });

  it('"drop" takes a waiting change out and reports it dropped; the rest of the queue goes on', async function () {
    const player = fakePlayer('den');
    player.reachable = false;
    engine = new SyncEngine([player], options({ whilePlaying: 'ignore' }), openJournal(undefined, 'n'));
    const outcomes = [];
    engine.on('item-done', (o) => outcomes.push(o));
    engine.accept([{ path: '/m/A/', action: 'added' }], 'normal');
    await until(() => itemsOf(engine, 'den')[0]?.state === 'retrying', 'A to be retrying');
    engine.accept([{ path: '/m/B/', action: 'added' }], 'normal');
    const items = await until(() => {
      const all = itemsOf(engine, 'den');
      return all.length === 2 && all[1].state === 'pending' ? all : undefined;
    }, 'B queued behind A');
    // B, queued: dropped at once.
    engine.drop('den', items[1].id).should.be.true();
    await until(() => outcomes.length === 1, 'B reported');
    outcomes[0].entry.item.path.should.equal('/m/B/');
    outcomes[0].ok.should.be.false();
    outcomes[0].results.den.should.containDeep({ status: 'cancelled', reason: DROPPED_REASON });
    // A, waiting out its backoff: dropped too, and its wait ends.
    engine.drop('den', items[0].id).should.be.true();
    await until(() => outcomes.length === 2, 'A reported');
    outcomes[1].results.den.should.containDeep({ status: 'cancelled', reason: DROPPED_REASON });
    engine.drop('den', items[0].id).should.be.false('gone already');
    // The queue is free: the next change is sent.
    player.reachable = true;
    engine.accept([{ path: '/m/C/', action: 'added' }], 'normal');
    await until(() => outcomes.length === 3, 'C done');
    outcomes[2].ok.should.be.true();
    player.applied.should.eql(['/m/C/']);
  });

  it('"drop" refuses a change that is being sent to the player now', async function () {
    const player = fakePlayer('den');
    let release;
    player.apply = (item) =>
      new Promise((resolve) => {
        release = () =>
          resolve({
            status: 'verified',
            ok: true,
            player: 'den',
            libraryPath: item.path,
            items: [],
            sent: [],
          });
      });
    engine = new SyncEngine([player], options({ whilePlaying: 'ignore' }), openJournal(undefined, 'n'));
    const done = new Promise((resolve) => engine.on('item-done', resolve));
    engine.accept([{ path: '/m/A/', action: 'added' }], 'normal');
    await until(() => release, 'the change to be sent');
    const [running] = itemsOf(engine, 'den');
    running.state.should.equal('running');
    engine.drop('den', running.id).should.be.false();
    release();
    (await done).ok.should.be.true();
  });

  it("each player's result comes out as that player is through, before a deferred one is", async function () {
    const quick = fakePlayer('quick');
    const busy = fakePlayer('busy');
    busy.sessions = [{ kind: 'video', type: 'movie', title: 'Alien', paused: false }];
    engine = new SyncEngine([quick, busy], options(), openJournal(undefined, 'n'));
    const through = [];
    engine.on('target-done', (t) => through.push(t));
    let itemDone = false;
    engine.on('item-done', () => (itemDone = true));
    engine.accept([{ path: '/m/A/', action: 'added' }], 'normal');
    await until(() => through.length === 1, 'the quick player through');
    through[0].should.containDeep({ key: 'quick', item: { path: '/m/A/' }, result: { status: 'verified' } });
    itemDone.should.be.false('the busy player still defers it');
    busy.sessions = [];
    busy.stop();
    await until(() => itemDone, 'the change through on both');
    through.map((t) => t.key).should.eql(['quick', 'busy']);
  });

  it('"drop" on one player leaves the change to the others, even when a failure would cancel it there', async function () {
    const a = fakePlayer('a');
    const b = fakePlayer('b');
    a.sessions = [{ kind: 'video', type: 'movie', title: 'Alien', paused: false }]; // a defers
    b.reachable = false; // b retries
    engine = new SyncEngine([a, b], options({ continueOnError: false }), openJournal(undefined, 'n'));
    const done = new Promise((resolve) => engine.on('item-done', resolve));
    engine.accept([{ path: '/m/A/', action: 'added' }], 'normal');
    await until(() => itemsOf(engine, 'a')[0]?.state === 'deferred', 'a deferring');
    const [item] = await until(() => {
      const items = itemsOf(engine, 'b');
      return items[0]?.state === 'retrying' ? items : undefined;
    }, 'b retrying');
    engine.drop('b', item.id).should.be.true();
    // Playback on a ends: a still gets the change (a failure on b would have cancelled it there).
    a.sessions = [];
    a.stop();
    const outcome = await done;
    outcome.results.a.status.should.equal('verified');
    outcome.results.b.should.containDeep({ status: 'cancelled', reason: DROPPED_REASON });
    a.applied.should.eql(['/m/A/']);
  });

  it('"drop" of one change of a batch waiting out its backoff leaves the rest waiting (no extra try)', async function () {
    const player = fakePlayer('den');
    player.reachable = false;
    let tries = 0;
    // New folders under one parent go as one unit (one scan of the parent, for a Kodi).
    player.applyUnderParent = async (parent, items) => {
      tries++;
      return Promise.all(items.map((item) => player.apply(item)));
    };
    engine = new SyncEngine(
      [player],
      options({ whilePlaying: 'ignore', parentThreshold: 2 }),
      openJournal(undefined, 'n'),
    );
    const outcomes = [];
    engine.on('item-done', (o) => outcomes.push(o));
    // Two changes in one window: one unit (Promise.all of both), retrying together.
    engine.accept(
      [
        { path: '/m/A/', action: 'added' },
        { path: '/m/B/', action: 'added' },
      ],
      'normal',
    );
    const items = await until(() => {
      const all = itemsOf(engine, 'den');
      return all.length === 2 && all.every((i) => i.state === 'retrying') ? all : undefined;
    }, 'both retrying');
    const before = tries;
    engine.drop('den', items[0].id).should.be.true();
    await until(() => outcomes.length === 1, 'the dropped one reported');
    itemsOf(engine, 'den')
      .map((i) => [i.what, i.state])
      .should.eql([[items[1].what, 'retrying']]);
    tries.should.equal(before, 'not tried again for the drop');
    engine.drop('den', items[0].id).should.be.false('already finished');
  });

  it('is not ready while the store fails to write, and ready again after a good write', function () {
    const board = new HealthBoard();
    board.addStore('s', () => ({ dir: '/x', writable: true }));
    board.snapshot().ready.should.be.true();
    board.reportStoreError('ENOSPC: no space left on device', 1000);
    board.snapshot().ready.should.be.false();
    board.reportStoreOk(2000);
    const snap = board.snapshot();
    snap.ready.should.be.true();
    snap.store.should.containDeep({ lastError: 'ENOSPC: no space left on device', lastErrorAt: 1000 });
  });

  it('words who watches what for movies and episodes', function () {
    watchingText([
      {
        kind: 'video',
        type: 'episode',
        title: 'Pilot',
        show: 'The Office',
        season: 2,
        episode: 3,
        paused: false,
      },
      { kind: 'video', type: 'movie', title: 'Alien', user: 'Anna', paused: true },
    ]).should.equal('The Office S02E03, Anna: Alien');
  });

  it('keeps the last 100 results, newest first, and files each as the list filters them', function () {
    const board = new HealthBoard();
    for (let i = 0; i < 150; i++) {
      board.addResult({
        node: 'n',
        nodeType: 'player-sync',
        nodeName: 'sync',
        player: 'den',
        playerName: 'Den',
        outcome: 'verified',
        status: 'verified',
        what: `/m/${i}/\u0000`,
      });
    }
    const { results } = board.snapshot();
    results.length.should.equal(MAX_RESULTS);
    results[0].what.should.equal('/m/149/');
    results[99].what.should.equal('/m/50/');
    outcomeOf('verified', 'scan').should.equal('verified');
    outcomeOf('verified', 'remove').should.equal('removed');
    outcomeOf('not-verified', 'scan', false).should.equal('not-verified');
    outcomeOf('timed-out', 'scan', false).should.equal('not-verified');
    outcomeOf('failed').should.equal('failed');
    outcomeOf('cancelled').should.equal('failed');
    outcomeOf('not-found', undefined, false).should.equal('failed');
  });

  it('is ready while every player answers and the store can be written; a player down says since when', function () {
    const board = new HealthBoard();
    const kodi = new PlayerTracker(() => ({ id: 'k', name: 'Den', type: 'kodi' }), board);
    const off = board.addPlayer('k', () => kodi.view());
    const removeStore = board.addStore('s', () => ({ dir: '/x', writable: true }));
    kodi.set('websocket', 1000);
    board.snapshot().ready.should.be.true();
    kodi.set('down', 2000);
    const snap = board.snapshot();
    snap.ready.should.be.false();
    snap.players.should.eql([{ id: 'k', name: 'Den', type: 'kodi', state: 'down', since: 2000 }]);
    kodi.set('polling', 3000);
    board.snapshot().ready.should.be.true();
    board.reportStoreError('ENOSPC: no space left on device');
    board
      .snapshot()
      .store.should.containDeep({ writable: true, lastError: 'ENOSPC: no space left on device' });
    removeStore();
    board.addStore('s', () => ({ dir: '/x', writable: false }));
    board.snapshot().ready.should.be.false();
    off();
    board.snapshot().players.should.eql([]);
  });

  it('lists at most 50 items of a queue, those with something to say first, and counts them all', function () {
    const items = [];
    for (let i = 0; i < 120; i++) items.push({ id: `p${i}`, what: `/m/${i}/`, state: 'pending' });
    items.push(
      { id: 'r', what: '/m/r/', state: 'retrying' },
      { id: 'w', what: '/m/w/', state: 'waiting-for-import' },
    );
    const view = queueView(
      { id: 'q', node: 'n', nodeType: 'player-sync', nodeName: 's', player: 'k', playerName: 'K' },
      items,
    );
    view.counts.should.eql({ pending: 120, running: 0, deferred: 0, retrying: 1, waitingForImport: 1 });
    view.items.length.should.equal(MAX_QUEUE_ITEMS);
    view.items[0].id.should.equal('r');
    view.items[1].id.should.equal('w');
    view.more.should.equal(122 - MAX_QUEUE_ITEMS);
  });
});
