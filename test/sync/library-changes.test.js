'use strict';
// The library-changes domain without Node-RED: a feed of sections and pages (as the players' feeds give them) is
// compared with the fingerprints the last run kept; first run, incremental runs, removals, a filter the server
// ignores, tries again after failures, a stopped run, file states, and the store across a restart.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  LibraryChanges,
  RunStopped,
  checkFingerprint,
  checkMark,
} = require('../../nodes/sync/library-changes');
const { Store } = require('../../nodes/sync/store');
const { PlayerError } = require('../../nodes/players/errors');

/** A server with sections of items {id, title, file, rev, stamp}; counts its requests by kind. */
class FakeFeed {
  constructor({ incremental = true, honoursSince = true } = {}) {
    this.label = 'Fake "Den" (127.0.0.1:1)';
    this.incremental = incremental;
    this.honoursSince = honoursSince;
    this.sectionsHeld = new Map([
      ['1', { key: '1', title: 'Movies', items: new Map() }],
      ['2', { key: '2', title: 'Shows', items: new Map() }],
    ]);
    this.clock = 1000;
    this.requests = { sections: 0, count: 0, page: 0 };
    this.failures = []; // errors the next requests throw, in order
  }
  add(sectionKey, n, prefix = 'Item') {
    const s = this.sectionsHeld.get(sectionKey);
    for (let k = 0; k < n; k++) {
      const id = `${sectionKey}-${s.items.size + 1}`;
      s.items.set(id, {
        id,
        title: `${prefix} ${id}`,
        file: `/srv/media/${id}.mkv`,
        rev: 0,
        stamp: ++this.clock,
      });
    }
  }
  touch(sectionKey, id) {
    const item = this.sectionsHeld.get(sectionKey).items.get(id);
    item.rev++;
    item.stamp = ++this.clock;
  }
  remove(sectionKey, id) {
    this.sectionsHeld.get(sectionKey).items.delete(id);
  }
  failNext(...errors) {
    this.failures.push(...errors);
  }
  maybeFail() {
    const err = this.failures.shift();
    if (err) throw err;
  }
  async sections() {
    this.requests.sections++;
    this.maybeFail();
    return [...this.sectionsHeld.values()].map(({ key, title }) => ({ key, title }));
  }
  async count(section) {
    this.requests.count++;
    this.maybeFail();
    return this.sectionsHeld.get(section.key).items.size;
  }
  async page(section, start, size, since) {
    this.requests.page++;
    this.maybeFail();
    let all = [...this.sectionsHeld.get(section.key).items.values()];
    if (since !== undefined && this.honoursSince) all = all.filter((i) => i.stamp > Number(since));
    const rows = all.slice(start, start + size);
    return {
      entries: rows.map((i) => ({
        id: i.id,
        type: 'movie',
        title: i.title,
        file: i.file,
        fingerprint: `${i.rev}|${i.file}`,
        stamp: i.stamp,
      })),
      rows: rows.length,
      total: all.length,
    };
  }
  watermark(_startedAt, largest) {
    return this.incremental && largest !== undefined ? String(largest - 1) : undefined;
  }
  call() {
    return 'GET /fake';
  }
}

const unreachable = () =>
  new PlayerError({ player: 'Fake', call: 'GET /fake', code: 'unreachable', reason: 'connection refused' });

function setUp(feed, { dir, exists, backoff = { firstMs: 1, maxMs: 4, attempts: 4 }, onRetry } = {}) {
  const store = new Store(dir);
  const items = store.collection('library-test-items', checkFingerprint);
  const marks = store.collection('library-test-marks', checkMark);
  items.load();
  marks.load();
  const lc = new LibraryChanges(feed, items, marks, {
    toLibrary: (p) => p.replace('/srv/media/', '/mnt/nas/'),
    exists,
    backoff,
    onRetry,
  });
  return { lc, items, marks };
}

async function runAll(lc, options = {}) {
  const changes = [];
  const progress = [];
  const summary = await lc.run({
    pageSize: 50,
    ...options,
    onChanges: (page) => {
      changes.push(...page);
    },
    onProgress: (p) => progress.push(p),
  });
  return { changes, summary, progress };
}

describe('library changes (domain)', function () {
  it('reports every item as added on the first run, nothing on the next, then exactly what changed', async function () {
    const feed = new FakeFeed();
    feed.add('1', 120);
    feed.add('2', 30);
    const { lc } = setUp(feed);
    const first = await runAll(lc);
    first.changes.length.should.equal(150);
    first.changes.every((c) => c.change === 'added').should.be.true();
    first.summary.should.containDeep({ added: 150, updated: 0, removed: 0 });
    first.summary.sections.map((s) => s.mode).should.eql(['first', 'first']);
    // Progress by section, with the server's total.
    first.progress
      .filter((p) => p.section === 'Movies')
      .map((p) => p.done)
      .should.eql([50, 100, 120]);
    first.progress[0].total.should.equal(120);
    const c = first.changes.find((x) => x.id === '1-7');
    c.should.eql({
      change: 'added',
      section: 'Movies',
      id: '1-7',
      type: 'movie',
      title: 'Item 1-7',
      playerPath: '/srv/media/1-7.mkv',
      libraryPath: '/mnt/nas/1-7.mkv',
      file: 'unchecked',
    });

    const quiet = await runAll(lc);
    quiet.changes.should.eql([]);
    quiet.summary.sections.map((s) => s.mode).should.eql(['incremental', 'incremental']);

    feed.touch('1', '1-3');
    feed.touch('2', '2-9');
    feed.add('1', 1, 'New');
    const third = await runAll(lc);
    third.changes
      .map((x) => `${x.change} ${x.id}`)
      .sort()
      .should.eql(['added 1-121', 'updated 1-3', 'updated 2-9']);
    third.summary.should.containDeep({ added: 1, updated: 2, removed: 0 });
  });

  it('lists only what changed when the server can, and the whole section only when the count says a removal', async function () {
    const feed = new FakeFeed();
    feed.add('1', 1000);
    const { lc } = setUp(feed);
    await runAll(lc);
    const firstPages = feed.requests.page;
    firstPages.should.equal(20 + 1); // 1,000 movies at 50 a page, and the empty Shows section

    feed.touch('1', '1-500');
    feed.requests.page = 0;
    feed.requests.count = 0;
    const inc = await runAll(lc);
    inc.changes.map((x) => x.id).should.eql(['1-500']);
    // Movies: one page of changes (since one second before the newest stamp) and a count, no full listing; the
    // empty Shows section, with no stamp to go by, one (empty) page.
    feed.requests.page.should.equal(2);
    feed.requests.count.should.equal(1);

    feed.remove('1', '1-42');
    feed.requests.page = 0;
    const removal = await runAll(lc);
    removal.changes.should.eql([
      {
        change: 'removed',
        section: 'Movies',
        id: '1-42',
        type: 'movie',
        title: 'Item 1-42',
        playerPath: '/srv/media/1-42.mkv',
        libraryPath: '/mnt/nas/1-42.mkv',
        file: 'gone',
      },
    ]);
    removal.summary.sections[0].mode.should.equal('full');
    feed.requests.page.should.be.above(20);
    // Once removed, it is not reported again.
    (await runAll(lc)).changes.should.eql([]);
  });

  it('finds the same changes when the server ignores the "changed since" filter, and on a deep scan', async function () {
    const feed = new FakeFeed({ honoursSince: false });
    feed.add('1', 200);
    const { lc } = setUp(feed);
    await runAll(lc);
    feed.touch('1', '1-10');
    feed.touch('1', '1-20');
    feed.remove('1', '1-30');
    const next = await runAll(lc);
    next.changes
      .map((x) => `${x.change} ${x.id}`)
      .should.eql(['updated 1-10', 'updated 1-20', 'removed 1-30']);

    feed.honoursSince = true;
    feed.touch('1', '1-11');
    const deep = await runAll(lc, { deep: true });
    deep.summary.deep.should.be.true();
    deep.summary.sections.map((s) => s.mode).should.eql(['deep', 'deep']);
    deep.changes.map((x) => `${x.change} ${x.id}`).should.eql(['updated 1-11']);
  });

  it('flags a file that the library path does not find on this machine', async function () {
    const feed = new FakeFeed();
    feed.add('1', 3);
    const { lc } = setUp(feed, { exists: async (p) => p !== '/mnt/nas/1-2.mkv' });
    const { changes } = await runAll(lc);
    changes.map((c) => `${c.id} ${c.file}`).should.eql(['1-1 present', '1-2 missing-locally', '1-3 present']);
  });

  it('tries a failing request again after a growing wait, and stops at once on a refused token', async function () {
    const feed = new FakeFeed();
    feed.add('1', 10);
    const waits = [];
    const { lc } = setUp(feed, { onRetry: (_err, ms) => waits.push(ms) });
    feed.failNext(unreachable(), unreachable(), unreachable());
    const { changes, summary } = await runAll(lc);
    changes.length.should.equal(10);
    waits.should.eql([1, 2, 4]);
    summary.requests.should.equal(3 + 1 + 2); // three failed tries of the section list, then the list and a page each

    feed.failNext(unreachable(), unreachable(), unreachable(), unreachable());
    const err = await runAll(lc).then(
      () => undefined,
      (e) => e,
    );
    err.should.be.instanceOf(PlayerError);
    err.code.should.equal('unreachable');

    const refused = new PlayerError({
      player: 'Fake',
      call: 'GET /fake',
      code: 'auth',
      reason: 'the token is dead (HTTP 401)',
      status: 401,
      retryable: false,
    });
    feed.failNext(refused);
    waits.length = 0;
    const auth = await runAll(lc).then(
      () => undefined,
      (e) => e,
    );
    auth.should.equal(refused);
    waits.should.eql([]);
  });

  it('refuses a page size out of range before asking anything', async function () {
    const feed = new FakeFeed();
    const { lc } = setUp(feed);
    for (const pageSize of [0, -1, 1.5, 5001, NaN]) {
      const err = await runAll(lc, { pageSize }).then(
        () => undefined,
        (e) => e,
      );
      err.code.should.equal('config');
      err.message.should.match(/page size/);
    }
    feed.requests.sections.should.equal(0);
  });

  it('a stopped run keeps what it handed on: the next run reports the rest, nothing twice', async function () {
    const feed = new FakeFeed({ incremental: false });
    feed.add('1', 100);
    const { lc } = setUp(feed);
    const aborter = new AbortController();
    const seen = [];
    const err = await lc
      .run({
        pageSize: 25,
        signal: aborter.signal,
        onChanges: (page) => {
          seen.push(...page.map((c) => c.id));
          if (seen.length >= 50) aborter.abort();
        },
      })
      .then(
        () => undefined,
        (e) => e,
      );
    err.should.be.instanceOf(RunStopped);
    seen.length.should.equal(50);
    const rest = await runAll(lc, { pageSize: 25 });
    rest.changes.length.should.equal(50);
    new Set([...seen, ...rest.changes.map((c) => c.id)]).size.should.equal(100);
  });

  it('keeps its fingerprints in the store across a restart, and drops damaged records', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'library-changes-'));
    try {
      const feed = new FakeFeed();
      feed.add('1', 40);
      const one = setUp(feed, { dir });
      (await runAll(one.lc)).changes.length.should.equal(40);
      await Promise.all([one.items.close(), one.marks.close()]);
      // A hostile line in the file: dropped on load, the rest kept.
      const file = path.join(dir, 'player-sync', 'store', 'library-test-items.log');
      fs.appendFileSync(file, '{"k":"1\\n1-1","v":{"s":1,"f":[]}}\n');
      feed.touch('1', '1-5');
      const two = setUp(feed, { dir });
      const again = await runAll(two.lc);
      again.changes.map((c) => `${c.change} ${c.id}`).should.eql(['updated 1-5']);
      await Promise.all([two.items.close(), two.marks.close()]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
