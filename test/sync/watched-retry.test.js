'use strict';
// Watched-sync's retries without Node-RED: the policy by library-path prefix (longest wins), tries counted and
// planned, given up when the policy says, settled by a newer change, kept in the store and checked when read back.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { RetryQueue, policyFor, checkRetry, DEFAULT_POLICY } = require('../../nodes/sync/watched-retry');
const { Store } = require('../../nodes/sync/store');

const change = (over) => ({
  user: 'anna',
  item: { libraryPath: '/movies/A/A.mkv' },
  played: true,
  at: 5,
  ...over,
});

describe('watched-sync retries (no Node-RED)', function () {
  let dir;
  let store;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-retry-'));
    store = new Store(dir).collection('watched-test', checkRetry);
    store.load();
  });
  afterEach(async function () {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the policy of the longest prefix that holds the path; the default otherwise', function () {
    const policies = [
      { prefix: '/movies', retries: 3, delayS: 60 },
      { prefix: '/movies/4K', retries: -1, delayS: 600 },
      { prefix: '/tv', retries: 0, delayS: 1 },
    ];
    policyFor(policies, '/movies/4K/A/A.mkv').retries.should.equal(-1);
    policyFor(policies, '/movies/A/A.mkv').retries.should.equal(3);
    policyFor(policies, '/movies4K/A.mkv').should.equal(DEFAULT_POLICY, 'whole segments only');
    policyFor(policies, undefined).should.equal(DEFAULT_POLICY);
    policyFor([...policies, { prefix: '', retries: 1, delayS: 5 }], '/music/x').retries.should.equal(1);
  });

  it('tries counted and planned; given up after n; never with 0; forever with −1', function () {
    const q = new RetryQueue(
      store,
      [{ prefix: '/movies', retries: 2, delayS: 10 }],
      async () => ({ ok: false }),
      () => {},
    );
    const first = q.failed('plex', change(), 'not found', undefined, 1000);
    first.should.match({ kind: 'scheduled', record: { attempts: 0, nextAt: 11000, reason: 'not found' } });
    const second = q.failed('plex', change(), 'not found', first.record, 11000);
    second.should.match({ kind: 'scheduled', record: { attempts: 1 } });
    q.failed('plex', change(), 'not found', second.record, 21000).kind.should.equal('given-up');
    q.size.should.equal(0);
    const never = new RetryQueue(
      store,
      [{ prefix: '', retries: 0, delayS: 1 }],
      async () => ({ ok: true }),
      () => {},
    );
    never.failed('plex', change(), 'x').kind.should.equal('given-up');
    const forever = new RetryQueue(
      store,
      [{ prefix: '', retries: -1, delayS: 1 }],
      async () => ({ ok: true }),
      () => {},
    );
    let r = forever.failed('plex', change(), 'x');
    for (let i = 0; i < 50; i++) r = forever.failed('plex', change(), 'x', r.record);
    r.kind.should.equal('scheduled');
    forever.close();
    q.close();
  });

  it('due retries are tried; one that takes leaves the store; one replaced meanwhile is not touched', async function () {
    const tried = [];
    const q = new RetryQueue(
      store,
      [],
      async (record) => {
        tried.push(record.target);
        return { ok: record.target === 'kodi' };
      },
      () => {},
    );
    q.failed('kodi', change(), 'down', undefined, 0);
    q.failed('plex', change(), 'not found', undefined, 0);
    await q.runDue(10 ** 13);
    tried.sort().should.eql(['kodi', 'plex']);
    q.list()
      .map((r) => [r.target, r.attempts])
      .should.eql([['plex', 1]]);
    q.settled('plex', change({ played: false }));
    q.size.should.equal(0, 'a newer change of the same item took: the retry is not wanted');
    q.close();
  });

  it('retry now and drop: refused for the retry being tried now (its outcome is on its way), kept for the others', async function () {
    let release;
    const tried = [];
    const q = new RetryQueue(
      store,
      [{ prefix: '', retries: -1, delayS: 3600 }],
      (record) => {
        tried.push(record.target);
        return record.target === 'kodi' ? new Promise((resolve) => (release = resolve)) : { ok: false };
      },
      () => {},
    );
    q.failed('kodi', change(), 'down');
    q.failed('plex', change(), 'not found', undefined, Date.now(), true);
    const [[kodiKey], [plexKey]] = q.entries();
    q.list()[1].importing.should.be.true();
    q.retryNow(kodiKey).should.be.true();
    await new Promise((resolve) => setImmediate(resolve));
    q.attempting.should.equal(kodiKey);
    (q.drop(kodiKey) === undefined).should.be.true('being tried: not dropped');
    q.retryNow(kodiKey).should.be.false('being tried: not tried twice');
    q.drop(plexKey).target.should.equal('plex');
    (q.drop(plexKey) === undefined).should.be.true('gone already');
    release({ ok: true });
    await new Promise((resolve) => setImmediate(resolve));
    (q.attempting === undefined).should.be.true();
    q.size.should.equal(0);
    tried.should.eql(['kodi']);
    q.close();
  });

  it('kept in the store as plain data and read back checked: a damaged record is dropped, not used', async function () {
    const q = new RetryQueue(
      store,
      [],
      async () => ({ ok: false }),
      () => {},
    );
    q.failed(
      'plex',
      { ...change(), item: { libraryPath: '/movies/A/A.mkv', ids: { imdb: 'tt1', tmdb: undefined } } },
      'x',
    );
    q.close();
    await store.close();
    const again = new Store(dir).collection('watched-test', checkRetry);
    const [[, record]] = again.load();
    record.should.eql({
      target: 'plex',
      change: {
        user: 'anna',
        item: { libraryPath: '/movies/A/A.mkv', ids: { imdb: 'tt1' } },
        played: true,
        at: 5,
      },
      attempts: 0,
      nextAt: record.nextAt,
      reason: 'x',
    });
    await again.close();
    for (const bad of [
      null,
      { target: 1 },
      { target: 'p', change: { item: {}, at: 1 }, attempts: 0, nextAt: 1 },
      { target: 'p', change: { item: { title: 7 }, at: 1 }, attempts: 0, nextAt: 1, reason: '' },
      { target: 'p', change: { item: {}, at: 1, played: 'yes' }, attempts: 0, nextAt: 1, reason: '' },
    ]) {
      (checkRetry(bad) === undefined).should.be.true(JSON.stringify(bad));
    }
  });

  it('kept per field set: a position that took does not settle a played still waiting; one pass at a time', async function () {
    let running = 0;
    let most = 0;
    const q = new RetryQueue(
      store,
      [],
      async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setImmediate(resolve));
        running--;
        return { ok: false };
      },
      () => {},
    );
    q.failed('plex', change({ played: true }), 'down', undefined, 0);
    q.failed('plex', change({ played: undefined, positionS: 300 }), 'down', undefined, 0);
    q.size.should.equal(2, 'played and the position kept apart');
    q.settled('plex', change({ played: undefined, positionS: 600 }));
    q.list()
      .map((r) => r.change.played)
      .should.eql([true], 'the played retry is still there');
    await Promise.all([q.runDue(10 ** 13), q.runDue(10 ** 13), q.runDue(10 ** 13)]);
    most.should.equal(1, 'one try at a time');
    q.list()[0].attempts.should.equal(1, 'one try counted, and made');
    q.close();
  });
});
