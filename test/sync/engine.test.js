'use strict';
// The sync engine without Node-RED: fake players, an in-memory journal. What a user relies on: a player that
// comes back is served at once (the backoff is for a player that is down), only a player that cannot be reached is
// asked again, and a message that cannot be journaled is refused whole, with nothing of it queued.
require('should');
const { EventEmitter } = require('node:events');
const { SyncEngine } = require('../../nodes/sync/engine');
const { openJournal, JournalError, journalFile, readJournalLog } = require('../../nodes/sync/journal');
const { PlayerError } = require('../../nodes/players/errors');
const { until } = require('../lib/wait');

const down = () =>
  new PlayerError({ player: 'Fake', call: 'Scan', code: 'unreachable', reason: 'connection refused' });

/** A player whose answers the test decides: `fail` is called before each apply and may throw. */
function fakePlayer(key, fail = () => undefined) {
  const events = new EventEmitter();
  const target = {
    key,
    name: key,
    applied: [],
    calls: 0,
    async apply(item) {
      target.calls++;
      fail(target.calls);
      target.applied.push(item.path);
      return { status: 'verified', ok: true, player: key, libraryPath: item.path, items: [], sent: [] };
    },
    playing: async () => [],
    onBack(callback) {
      events.on('back', callback);
      return () => events.off('back', callback);
    },
    back: () => events.emit('back'),
    listeners: () => events.listenerCount('back'),
  };
  return target;
}

const options = (over = {}) => ({
  batchWindowMs: 1,
  whilePlaying: 'ignore',
  parallel: true,
  continueOnError: true,
  retryMinMs: 60000, // a backoff no test waits out
  ...over,
});

describe('sync engine (no Node-RED)', function () {
  let engine;
  afterEach(function () {
    if (engine) engine.close();
    engine = undefined;
  });

  it('a player that comes back is asked again at once, not after its backoff', async function () {
    let reachable = false;
    const player = fakePlayer('kodi', () => {
      if (!reachable) throw down();
    });
    engine = new SyncEngine([player], options(), openJournal(undefined, 'n'));
    const done = new Promise((resolve) => engine.on('item-done', resolve));
    engine.accept([{ path: '/m/A/', action: 'added', ids: {} }], 'normal');
    await until(() => player.calls === 1 && player.listeners() === 1, 'the first attempt and its wait');
    reachable = true;
    player.back();
    const outcome = await done; // well inside the 60 s backoff, or the test's own limit fails it
    outcome.ok.should.be.true();
    player.applied.should.eql(['/m/A/']);
    player.listeners().should.equal(0, 'the wait let go of its listener');
  });

  it('an error that asking again cannot mend fails the item at once, asked once', async function () {
    const player = fakePlayer('kodi', () => {
      throw new PlayerError({ player: 'Fake', call: 'Scan', code: 'auth', reason: 'wrong password' });
    });
    engine = new SyncEngine([player], options(), openJournal(undefined, 'n'));
    const done = new Promise((resolve) => engine.on('item-done', resolve));
    engine.accept([{ path: '/m/A/', action: 'added', ids: {} }], 'normal');
    const outcome = await done;
    outcome.ok.should.be.false();
    outcome.results.kodi.should.match({ status: 'failed', reason: /wrong password/ });
    player.calls.should.equal(1);
  });

  it('closing the engine ends a wait for a player that is down, and leaves no listener', async function () {
    const player = fakePlayer('kodi', () => {
      throw down();
    });
    engine = new SyncEngine([player], options(), openJournal(undefined, 'n'));
    engine.accept([{ path: '/m/A/', action: 'added', ids: {} }], 'normal');
    await until(() => player.listeners() === 1, 'the wait');
    engine.close();
    await until(() => player.listeners() === 0, 'the listener to go');
  });

  it('work cut short by close (a redeploy) stays in the journal and is done by the next engine, once', async function () {
    const fs = require('node:fs');
    const os = require('node:os');
    const path = require('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-engine-'));
    try {
      // The first player's apply ends only when the engine aborts it, and then answers as a timed-out scan does.
      let started;
      const startedP = new Promise((resolve) => (started = resolve));
      const slow = fakePlayer('kodi');
      slow.apply = (item, signal) =>
        new Promise((resolve) => {
          started();
          signal.addEventListener('abort', () =>
            resolve({
              status: 'timed-out',
              ok: false,
              player: 'kodi',
              libraryPath: item.path,
              items: [],
              sent: [],
            }),
          );
        });
      engine = new SyncEngine([slow], options(), openJournal(dir, 'n'));
      engine.accept([{ path: '/m/A/', action: 'added', ids: {} }], 'normal');
      await startedP;
      await engine.close(); // the redeploy
      // Begun (its scan may have been sent): after the restart it is checked first where the player can.
      readJournalLog(fs.readFileSync(journalFile(dir, 'n'), 'utf8'))
        .map((e) => [e.item.path, e.targets])
        .should.eql([['/m/A/', { kodi: 'started' }]]);
      const next = fakePlayer('kodi');
      engine = new SyncEngine([next], options(), openJournal(dir, 'n'));
      const done = new Promise((resolve) => engine.on('item-done', resolve));
      engine.restore().should.have.length(1);
      (await done).ok.should.be.true();
      next.applied.should.eql(['/m/A/']);
      await engine.journal.commit();
      readJournalLog(fs.readFileSync(journalFile(dir, 'n'), 'utf8')).should.be.empty();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a message that cannot be journaled is refused whole: nothing of it is queued, the next one works', async function () {
    const player = fakePlayer('kodi');
    engine = new SyncEngine([player], options(), openJournal(undefined, 'n'));
    const circular = { path: '/m/B/', action: 'added', ids: {} };
    circular.ids.self = circular;
    (() =>
      engine.accept(
        [
          { path: '/m/A/', action: 'added', ids: {} },
          circular, // not an item plainItem would build, but the engine must not trust its callers
        ],
        'normal',
      )).should.throw(JournalError, { message: /cannot be stored/ });
    engine.journal.size.should.equal(0);
    const done = new Promise((resolve) => engine.on('item-done', resolve));
    engine.accept([{ path: '/m/C/', action: 'added', ids: {} }], 'normal');
    await done;
    player.applied.should.eql(['/m/C/']);
  });
});
