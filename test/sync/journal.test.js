'use strict';
// The journal without Node-RED: what a restart finds after work was begun or done, a change that cannot be
// journaled, a write that failed, a damaged store file, and the journal files of earlier versions.
const should = require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {
  openJournal,
  journalFile,
  readJournalLog,
  parseJournal,
  JournalError,
} = require('../../nodes/sync/journal');
const { StoreError } = require('../../nodes/sync/store');
const { until } = require('../lib/wait');

const entry = (n, over = {}) => ({
  id: `e${n}`,
  item: { path: `/movies/M${n}/`, action: 'added', ids: {} },
  priority: 'normal',
  at: 1700000000000 + n,
  targets: { kodi: 'pending', plex: 'pending' },
  results: {},
  ...over,
});
const states = (entries) => entries.map((e) => [e.id, e.targets]);
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

describe('journal (no Node-RED)', function () {
  let dir;
  let opened;
  const open = (nodeId = 'node1', userDir = dir) => {
    const j = openJournal(userDir, nodeId);
    opened.push(j);
    return j;
  };
  const legacyFile = (nodeId = 'node1') => path.join(dir, 'player-sync', `${nodeId}.json`);

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-journal-'));
    opened = [];
  });
  afterEach(async function () {
    await Promise.all(opened.map((j) => j.close().catch(() => undefined)));
    const folder = path.join(dir, 'player-sync', 'store');
    if (fs.existsSync(folder) && fs.statSync(folder).isDirectory()) fs.chmodSync(folder, 0o700);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps put, started and completed work across a reload: pending → started → done, with results', async function () {
    let j = open();
    j.file.should.equal(journalFile(dir, 'node1'));
    j.file.should.equal(path.join(dir, 'player-sync', 'store', 'player-sync-node1.log'));
    j.load().should.eql([]);
    j.putAll([entry(1), entry(2)]);
    j.put(entry(3));
    j.start('e1', 'kodi');
    j.start('e2', 'kodi');
    j.start('e2', 'plex');
    j.start('e2', 'plex'); // already started: no second record
    j.start('e9', 'kodi'); // no such entry: nothing
    j.size.should.equal(3);
    await j.close();

    j = open();
    const loaded = j.load();
    should.not.exist(j.damage);
    states(loaded).should.eql([
      ['e1', { kodi: 'started', plex: 'pending' }],
      ['e2', { kodi: 'started', plex: 'started' }],
      ['e3', { kodi: 'pending', plex: 'pending' }],
    ]);
    loaded[0].should.eql(entry(1, { targets: { kodi: 'started', plex: 'pending' } }));
    readJournalLog(fs.readFileSync(j.file, 'utf8')).should.eql(loaded);

    j.complete('e1', 'kodi', { ok: true, status: 'verified' }).targets.should.eql({
      kodi: 'done',
      plex: 'pending',
    });
    j.complete('e2', 'kodi', { ok: false, status: 'failed', reason: 'no such folder' });
    const finished = j.complete('e2', 'plex', { ok: true, status: 'verified' });
    finished.targets.should.eql({ kodi: 'done', plex: 'done' }); // done everywhere: it goes
    finished.results.kodi.should.match({ ok: false, reason: 'no such folder' });
    should(j.complete('e2', 'kodi', { ok: true })).be.undefined();
    j.size.should.equal(2);
    j.start('e1', 'kodi'); // done: not started again
    await j.close();

    j = open();
    const after = j.load();
    should.not.exist(j.damage);
    states(after).should.eql([
      ['e1', { kodi: 'done', plex: 'pending' }],
      ['e3', { kodi: 'pending', plex: 'pending' }],
    ]);
    after[0].results.should.eql({ kodi: { ok: true, status: 'verified' } });
    [...j.collection.keys()].should.eql(['e1', 'e3', 'e1|kodi']); // nothing of e2 is left

    j.complete('e1', 'plex', { ok: true });
    j.complete('e3', 'kodi', { ok: true });
    j.complete('e3', 'plex', { ok: true });
    j.size.should.equal(0);
    await j.commit();
    readJournalLog(fs.readFileSync(j.file, 'utf8')).should.eql([]);
    await j.close();

    j = open();
    j.load().should.eql([]);
    j.collection.size.should.equal(0, 'an entry done everywhere leaves no records');
    should.not.exist(j.damage);
  });

  it('without a user directory it is kept in memory only', async function () {
    const j = openJournal(undefined, 'node1');
    opened.push(j);
    should(j.file).be.undefined();
    j.load().should.eql([]);
    j.put(entry(1));
    j.start('e1', 'kodi');
    await j.commit();
    j.complete('e1', 'kodi', { ok: true }).targets.should.eql({ kodi: 'done', plex: 'pending' });
    j.size.should.equal(1);
    j.collection.report().bytesWritten.should.equal(0);
  });

  it('an entry JSON cannot hold is refused with a JournalError, and nothing of that putAll is kept', async function () {
    const j = open();
    j.load();
    j.put(entry(1));
    const bad = entry(2);
    bad.item.ids.big = 10n;
    let error;
    try {
      j.putAll([entry(3), bad]);
    } catch (err) {
      error = err;
    }
    should(error).be.instanceOf(JournalError);
    error.message.should.match(/"e2" cannot be stored: it holds a BigInt/);
    error.cause.should.be.instanceOf(StoreError);
    j.size.should.equal(1);
    [...j.collection.keys()].should.eql(['e1']);
    j.put(entry(4)); // the next one is taken
    await j.close();
    const again = open();
    again
      .load()
      .map((e) => e.id)
      .should.eql(['e1', 'e4']);
    should.not.exist(again.damage);
  });

  it('a write that fails rejects commit(), keeps the entries, and writes them once the disk can take them', async function () {
    let unblock;
    if (isRoot()) {
      // root writes through permissions: a file where the journal's folder should be
      const blocker = path.join(dir, 'player-sync');
      fs.writeFileSync(blocker, 'not a folder');
      unblock = () => fs.rmSync(blocker);
    } else {
      const folder = path.join(dir, 'player-sync', 'store');
      fs.mkdirSync(folder, { recursive: true });
      fs.chmodSync(folder, 0o500);
      unblock = () => fs.chmodSync(folder, 0o700);
    }
    const j = open();
    j.load();
    j.put(entry(1));
    const error = await j.commit().then(
      () => undefined,
      (err) => err,
    );
    should(error).be.instanceOf(StoreError);
    error.message.should.match(/cannot write .*player-sync-node1\.log/);
    j.size.should.equal(1);
    fs.existsSync(`${j.file}.tmp`).should.be.false();

    unblock();
    j.put(entry(2));
    await j.commit();
    await j.close();
    open()
      .load()
      .map((e) => e.id)
      .should.eql(['e1', 'e2']);
  });

  it('a damaged store file: the good entries kept, the damaged copy aside, states of a lost entry dropped', async function () {
    let j = open();
    j.load();
    j.putAll([entry(1), entry(2)]);
    j.start('e1', 'kodi');
    j.start('e2', 'kodi');
    await j.close();
    const file = journalFile(dir, 'node1');
    const damaged = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => (line.startsWith('{"k":"e2","v":') ? line.slice(0, 25) : line))
      .join('\n');
    fs.writeFileSync(file, damaged);

    j = open();
    let loaded;
    (() => (loaded = j.load())).should.not.throw();
    states(loaded).should.eql([['e1', { kodi: 'started', plex: 'pending' }]]);
    j.damage.should.match({ dropped: 1, reason: '1 damaged record' });
    fs.readFileSync(j.damage.movedTo, 'utf8').should.equal(damaged);
    await j.commit();
    [...j.collection.keys()].should.eql(['e1', 'e1|kodi']); // e2's started mark has nothing to resume
    await j.close();

    j = open();
    states(j.load()).should.eql([['e1', { kodi: 'started', plex: 'pending' }]]);
    should.not.exist(j.damage);
    j.collection.size.should.equal(2);
  });

  describe('journal files of earlier versions are brought into the store once, then removed', function () {
    const v2 = (...entries) =>
      [
        JSON.stringify({ format: 'player-sync-journal', version: 2 }),
        ...entries.map((e) => JSON.stringify(e)),
      ].join('\n') + '\n';
    const cases = [
      [
        'version 2 (a header line, one entry a line)',
        v2(
          entry(1),
          entry(2, { targets: { kodi: 'done', plex: 'pending' }, results: { kodi: { ok: true } } }),
          entry(3, {
            targets: { kodi: 'done', plex: 'done' },
            results: { kodi: { ok: true }, plex: { ok: true } },
          }),
        ),
      ],
      [
        'version 1 (one JSON document)',
        JSON.stringify({
          version: 1,
          entries: [
            entry(1),
            entry(2, { targets: { kodi: 'done', plex: 'pending' }, results: { kodi: { ok: true } } }),
          ],
        }),
      ],
    ];
    for (const [what, text] of cases) {
      it(what, async function () {
        fs.mkdirSync(path.dirname(legacyFile()), { recursive: true });
        fs.writeFileSync(legacyFile(), text);
        fs.writeFileSync(legacyFile('other'), text); // another node's: not this one's to take
        const expected = [
          ['e1', { kodi: 'pending', plex: 'pending' }],
          ['e2', { kodi: 'done', plex: 'pending' }],
        ];
        let j = open();
        const loaded = j.load();
        should.not.exist(j.damage);
        states(loaded).should.eql(expected);
        loaded[1].results.should.eql({ kodi: { ok: true } });
        await j.commit();
        await until(() => !fs.existsSync(legacyFile()), 'the imported legacy file to be removed');
        fs.existsSync(legacyFile('other')).should.be.true();
        await j.close();

        j = open();
        const again = j.load();
        states(again).should.eql(expected);
        again[1].results.should.eql({ kodi: { ok: true } });
        should.not.exist(j.damage);

        // Imported again (a crash before the removal): the same ids, no duplicates.
        fs.writeFileSync(legacyFile(), text);
        await j.close();
        j = open();
        states(j.load()).should.eql(expected);
        await j.commit();
        await until(() => !fs.existsSync(legacyFile()), 'the legacy file to be removed again');
      });
    }

    it('a version 1 file cut off: the whole entries are brought in, the loss reported, the file kept aside', async function () {
      fs.mkdirSync(path.dirname(legacyFile()), { recursive: true });
      const cut = JSON.stringify({ version: 1, entries: [entry(1), entry(2)] }).slice(0, -20);
      fs.writeFileSync(legacyFile(), cut);
      const j = open();
      states(j.load()).should.eql([['e1', { kodi: 'pending', plex: 'pending' }]]);
      // What was lost is said, as for the store's own damage, and the old file is kept aside.
      j.damage.should.match({ dropped: 1, reason: 'the file was cut short or damaged' });
      fs.readFileSync(j.damage.movedTo, 'utf8').should.equal(cut);
      await j.commit();
      await until(() => !fs.existsSync(legacyFile()), 'the legacy file to be removed');
      readJournalLog(fs.readFileSync(j.file, 'utf8'))
        .map((e) => e.id)
        .should.eql(['e1']);
    });
  });

  describe('parseJournal reads the legacy files', function () {
    const header = '{"format":"player-sync-journal","version":2}';
    const cases = [
      ['a clean file', [header, JSON.stringify(entry(1))].join('\n'), ['e1'], 0],
      [
        'a record cut off at the end',
        [header, JSON.stringify(entry(1)), JSON.stringify(entry(2)).slice(0, 30)].join('\n'),
        ['e1'],
        1,
      ],
      [
        'targets null',
        [header, JSON.stringify(entry(1, { targets: null })), JSON.stringify(entry(2))].join('\n'),
        ['e2'],
        1,
      ],
      [
        'an unknown target state',
        [header, JSON.stringify(entry(1, { targets: { kodi: 'maybe' } }))].join('\n'),
        [],
        1,
      ],
      ['priority "urgent"', [header, JSON.stringify(entry(1, { priority: 'urgent' }))].join('\n'), [], 1],
      [
        'an item without a path',
        [header, JSON.stringify(entry(1, { item: { action: 'added' } }))].join('\n'),
        [],
        1,
      ],
      [
        'a newer version',
        ['{"format":"player-sync-journal","version":3}', JSON.stringify(entry(1))].join('\n'),
        [],
        1,
      ],
      ['version 1, whole', JSON.stringify({ version: 1, entries: [entry(1), entry(2)] }), ['e1', 'e2'], 0],
      [
        'version 1, cut off inside the second entry',
        JSON.stringify({ version: 1, entries: [entry(1), entry(2)] }).slice(0, -20),
        ['e1'],
        1,
      ],
      [
        'version 1 with a brace inside a path',
        JSON.stringify({
          version: 1,
          entries: [entry(1, { item: { path: '/m/{x}/', action: 'added', ids: {} } })],
        }),
        ['e1'],
        0,
      ],
      ['an empty file', '', [], 0],
    ];
    for (const [what, text, ids, dropped] of cases) {
      it(`${what}: keeps ${ids.length}, drops ${dropped}`, function () {
        const parsed = parseJournal(text);
        parsed.records.map((e) => e.id).should.eql(ids);
        parsed.dropped.should.equal(dropped);
      });
    }
  });

  it('the bytes written grow linearly with the number of changes (1,000 vs 4,000, 3 players each)', async function () {
    this.timeout(60000);
    const targets = ['kodi', 'plex', 'jellyfin'];
    const result = { ok: true, status: 'verified', tookMs: 12 };
    async function churn(n) {
      const j = open(`churn${n}`);
      j.load();
      // The whole queue first, then worked through 100 at a time, each step on disk before the next.
      j.putAll(
        Array.from({ length: n }, (_, i) =>
          entry(i, { targets: Object.fromEntries(targets.map((t) => [t, 'pending'])) }),
        ),
      );
      await j.commit();
      for (let from = 0; from < n; from += 100) {
        const ids = Array.from({ length: 100 }, (_, i) => `e${from + i}`);
        for (const target of targets) {
          for (const id of ids) j.start(id, target);
          await j.commit();
          for (const id of ids) j.complete(id, target, result);
          await j.commit();
        }
      }
      j.size.should.equal(0);
      const { bytesWritten } = j.collection.report();
      await j.close();
      open(`churn${n}`).load().should.eql([]);
      return bytesWritten;
    }
    const small = await churn(1000);
    const large = await churn(4000);
    // Linear is 4×. Above the store's 1 MB compaction floor (which the 1,000 run stays under) compaction adds at
    // most about as much again as was appended (measured: 5.4×); a cost per change that grows with the queue, as
    // when each change rewrote the whole journal, gives 16×.
    (large / small).should.be.above(3).and.below(8);
    (small / 1000).should.be.below(1000); // bytes per change, all its records together (measured: 560)
    (large / 4000).should.be.below(2000); // the same, compactions included (measured: 755)
  });

  describe('what the journal takes, it reads back', function () {
    it('a target completed with a result that is not an object stays done after a reload', async function () {
      let j = open();
      j.load();
      j.put(entry(1));
      j.complete('e1', 'kodi', 'ok');
      await j.close();
      j = open();
      const loaded = j.load();
      should.not.exist(j.damage, 'a record the journal wrote must not read back as damage');
      states(loaded).should.eql([['e1', { kodi: 'done', plex: 'pending' }]]);
    });
  });
});
