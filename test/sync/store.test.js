'use strict';
// The store without Node-RED: what its users rely on. What was set (and committed) is there after a restart, even
// after kill -9; many changes cost few writes; the log stays near the size of its live records; a value that is
// not plain data is refused whole; and a damaged file never stops a load: the good records are kept, the file is
// copied aside and rewritten clean.
const should = require('should');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const {
  Store,
  Collection,
  StoreError,
  replayLog,
  STORE_FORMAT,
  STORE_VERSION,
  MAX_RECORD_CHARS,
} = require('../../nodes/sync/store');

const STORE_JS = path.join(__dirname, '..', '..', 'nodes', 'sync', 'store.js');
const keepAll = (value) => value;
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const header = (name) => JSON.stringify({ format: STORE_FORMAT, version: STORE_VERSION, collection: name });
/** Settles when the store's background writer has had a turn (not a pause: the next macrotask). */
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('store (no Node-RED)', function () {
  let dir;
  let opened;
  /** A collection of the store under `dir`, closed after the test. */
  const open = (name = 'c', check = keepAll, userDir = dir) => {
    const c = new Store(userDir).collection(name, check);
    opened.push(c);
    return c;
  };
  const logOf = (name = 'c') => path.join(dir, 'player-sync', 'store', `${name}.log`);

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-store-'));
    opened = [];
  });
  afterEach(async function () {
    await Promise.all(opened.map((c) => c.close().catch(() => undefined)));
    for (const p of [dir, path.join(dir, 'player-sync', 'store')]) {
      if (fs.existsSync(p) && fs.statSync(p).isDirectory()) fs.chmodSync(p, 0o700);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps sets and deletes across a reload: the last write wins, keys in the order first written', async function () {
    const c = open();
    c.should.be.instanceOf(Collection);
    c.file.should.equal(logOf());
    c.load().should.eql([]);
    should(c.damage).be.undefined();
    c.set('a', 1);
    c.set('b', { x: [1, 'two', null, true], nested: { deep: -2.5 } });
    c.set('c', 'three');
    c.set('a', 10); // overwritten: stays first
    c.delete('b');
    c.delete('never-set'); // nothing to delete: no record
    c.setMany([
      ['d', { n: 4 }],
      ['c', 'THREE'],
    ]);
    c.deleteMany(['d']);
    c.set('d', { n: 40 }); // deleted and set again: now last
    c.set('b', 'back'); // the same
    c.size.should.equal(4);
    c.get('a').should.equal(10);
    should(c.get('never-set')).be.undefined();
    c.has('b').should.be.true();
    [...c.keys()].should.eql(['a', 'c', 'd', 'b']);
    await c.commit();

    const lines = fs.readFileSync(logOf(), 'utf8').split('\n');
    JSON.parse(lines[0]).should.eql({ format: STORE_FORMAT, version: STORE_VERSION, collection: 'c' });
    lines.some((l) => l.includes('never-set')).should.be.false();

    const again = open();
    again.load().should.eql([
      ['a', 10],
      ['c', 'THREE'],
      ['d', { n: 40 }],
      ['b', 'back'],
    ]);
    should(again.damage).be.undefined();
    again.get('d').should.eql({ n: 40 });
    again.size.should.equal(4);
  });

  it('refuses a collection name that is not a plain file name', function () {
    for (const bad of ['../escape', 'a/b', '', '.hidden', 'x'.repeat(121)]) {
      (() => new Store(dir).collection(bad, keepAll)).should.throw(StoreError, { message: /not a valid/ });
    }
    new Store(dir)
      .collection('player-sync-node_1.v2', keepAll)
      .file.should.endWith('player-sync-node_1.v2.log');
  });

  it('group commit: 10,000 sets in one turn take one write, and all 10,000 are there after a reload', async function () {
    const c = open();
    c.load();
    for (let i = 0; i < 10000; i++) c.set(`k${i}`, { i, path: `/movies/M${i}/` });
    await c.commit();
    const { commits, bytesWritten, fileBytes } = c.report();
    commits.should.be.within(1, 3);
    fileBytes.should.equal(fs.statSync(logOf()).size);
    bytesWritten.should.equal(fileBytes);
    await c.commit(); // nothing new: no write
    c.report().commits.should.equal(commits);

    const again = open();
    const records = again.load();
    should(again.damage).be.undefined();
    records.should.have.length(10000);
    records.forEach(([key, value], i) => {
      key.should.equal(`k${i}`);
      value.should.eql({ i, path: `/movies/M${i}/` });
    });
  });

  it('compaction keeps the log near its live records while changes go on, and a reload gives exactly them', async function () {
    this.timeout(60000);
    const c = open();
    c.load();
    const model = new Map();
    const pad = 'x'.repeat(2000);
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 100; i++) {
        const key = `key${i}`;
        if ((i + round) % 7 === 0) {
          c.delete(key);
          model.delete(key);
        } else {
          const value = { round, i, pad };
          c.set(key, value);
          model.set(key, value); // an overwrite keeps its place; a key deleted and set again goes last
        }
      }
      // Changes go on while the writer appends or compacts; every third round waits for the disk.
      if (round % 3 === 0) await c.commit();
      else await turn();
    }
    await c.commit();
    const report = c.report();
    report.compactions.should.be.aboveOrEqual(1);
    report.bytesWritten.should.be.above(5 * 1024 * 1024); // ~8 MB set over the run
    const onDisk = fs.statSync(logOf()).size;
    onDisk.should.equal(report.fileBytes);
    onDisk.should.be.below(3 * report.liveBytes + 1024 * 1024);
    report.peakFileBytes.should.be.below(2 * 1024 * 1024);
    fs.existsSync(`${logOf()}.tmp`).should.be.false();

    const again = open();
    again.load().should.eql([...model]);
    should(again.damage).be.undefined();
    again.report().liveBytes.should.equal(report.liveBytes);
  });

  describe('refuses what it cannot keep, all or nothing, with a StoreError naming the key and why', function () {
    const circular = { a: 1 };
    circular.self = circular;
    let deep = {};
    for (let i = 0; i < 40; i++) deep = { deep };
    const cases = [
      ['a circular reference', { ids: circular }, /a circular reference/],
      ['a BigInt', { n: 10n }, /a BigInt/],
      ['a Buffer', { data: Buffer.from('bytes') }, /a Buffer/],
      ['a Date', { when: new Date(0) }, /an object of class Date/],
      ['a Map', new Map([['a', 1]]), /an object of class Map/],
      ['NaN', { n: NaN }, /the number NaN/],
      ['a function', { f: () => 1 }, /a function/],
      ['data nested too deep', deep, /nested more than 32 levels/],
      [
        'a record over MAX_RECORD_CHARS',
        'y'.repeat(1024 * 1024),
        new RegExp(`its record is \\d+ characters, more than ${MAX_RECORD_CHARS}`),
      ],
    ];
    for (const [what, value, why] of cases) {
      it(what, async function () {
        const c = open();
        c.load();
        c.set('before', 'kept');
        await c.commit();
        const live = c.report().liveBytes;
        let error;
        try {
          c.setMany([
            ['good', { fine: true }],
            ['bad-key', value],
          ]);
        } catch (err) {
          error = err;
        }
        should(error).be.instanceOf(StoreError);
        error.name.should.equal('StoreError');
        error.message.should.startWith('c: "bad-key" cannot be stored: ');
        error.message.should.match(why);
        c.has('good').should.be.false();
        c.has('bad-key').should.be.false();
        c.size.should.equal(1);
        c.report().liveBytes.should.equal(live);
        c.set('after', 2); // the next change works
        await c.commit();

        const again = open();
        again.load().should.eql([
          ['before', 'kept'],
          ['after', 2],
        ]);
        should(again.damage).be.undefined();
      });
    }
  });

  describe('a damaged file never throws from load(): the good records kept, the file copied aside and rewritten clean', function () {
    const value = (n) => ({ n, text: `record ${n}` });
    const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);
    /** A clean log of r0..r9, written by the store itself. */
    async function cleanLog() {
      const c = new Store(dir).collection('c', keepAll);
      c.load();
      c.setMany(range(0, 10).map((n) => [`r${n}`, value(n)]));
      await c.close();
      return fs.readFileSync(logOf());
    }
    const noisy = (length) => {
      const bytes = crypto.randomBytes(length);
      for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) bytes[i] = 0x20;
      bytes[0] = 0xff; // never the start of a JSON text
      return bytes;
    };
    const cases = [
      {
        what: 'a log cut off mid-record',
        damage: (clean) => clean.subarray(0, clean.length - 9),
        kept: range(0, 9),
        dropped: 1,
        reason: '1 damaged record',
      },
      {
        what: 'garbage bytes between records',
        damage: (clean) => {
          const lines = clean.toString('utf8').split('\n');
          const before = Buffer.from(`${lines.slice(0, 4).join('\n')}\n`);
          const after = Buffer.from(`\n${lines.slice(4).join('\n')}`);
          return Buffer.concat([before, noisy(300), after]);
        },
        kept: range(0, 10),
        dropped: 1,
        reason: '1 damaged record',
      },
      {
        what: 'a file of random bytes',
        damage: () => {
          const bytes = crypto.randomBytes(4096);
          bytes[0] = 0xff;
          return bytes;
        },
        kept: [],
        reason: 'the file is not a player-sync store',
      },
      {
        what: 'a header of a newer version',
        damage: (clean) => {
          const lines = clean.toString('utf8').split('\n');
          lines[0] = '{"format":"player-sync-store","version":99,"collection":"c"}';
          return Buffer.from(lines.join('\n'));
        },
        kept: [],
        dropped: 10,
        reason: 'written by a newer version of player-sync',
      },
      {
        what: 'records the owner refuses',
        check: (v) => (v && typeof v.n === 'number' && v.n % 3 !== 0 ? v : undefined),
        damage: (clean) => clean,
        kept: [1, 2, 4, 5, 7, 8],
        dropped: 4,
        reason: '4 damaged records',
      },
      {
        what: 'a log without its header line',
        damage: (clean) => Buffer.from(clean.toString('utf8').split('\n').slice(1).join('\n')),
        kept: range(0, 10),
        dropped: 0,
        reason: 'the header line is missing',
      },
    ];
    for (const { what, damage, kept, dropped, reason, check = keepAll } of cases) {
      it(what, async function () {
        const bad = damage(await cleanLog());
        fs.writeFileSync(logOf(), bad);
        const expected = kept.map((n) => [`r${n}`, value(n)]);

        const c = open('c', check);
        let records;
        (() => (records = c.load())).should.not.throw();
        records.should.eql(expected);
        c.damage.should.match({ kept: kept.length, reason });
        if (dropped === undefined) c.damage.dropped.should.be.above(0);
        else c.damage.dropped.should.equal(dropped);
        should.exist(c.damage.movedTo);
        c.damage.movedTo.should.not.equal(logOf());
        path.dirname(c.damage.movedTo).should.equal(path.dirname(logOf()));
        fs.readFileSync(c.damage.movedTo).equals(bad).should.be.true('the copy holds the original bytes');

        // The log itself is clean now: a header and the kept records, nothing dropped.
        const text = fs.readFileSync(logOf(), 'utf8');
        text.split('\n')[0].should.equal(header('c'));
        const replayed = replayLog(text, 'c', check);
        replayed.dropped.should.equal(0);
        should(replayed.reason).be.undefined();
        [...replayed.records.keys()].should.eql(expected.map(([k]) => k));

        const again = open('c', check);
        again.load().should.eql(expected);
        should(again.damage).be.undefined();
        // And it takes changes as any log does.
        again.set('new', value(100));
        await again.close();
        open('c', check)
          .load()
          .should.eql([...expected, ['new', value(100)]]);
      });
    }
  });

  it('a write that fails rejects commit() with a StoreError; the changes are written once the disk can take them', async function () {
    let unblock;
    if (isRoot()) {
      // root writes through permissions: the log's folder cannot be made because a file is in its way
      const blocker = path.join(dir, 'player-sync');
      fs.writeFileSync(blocker, 'not a folder');
      unblock = () => fs.rmSync(blocker);
    } else {
      const folder = path.dirname(logOf());
      fs.mkdirSync(folder, { recursive: true });
      fs.chmodSync(folder, 0o500);
      unblock = () => fs.chmodSync(folder, 0o700);
    }
    const c = open();
    c.load().should.eql([]);
    c.set('a', { n: 1 });
    const error = await c.commit().then(
      () => undefined,
      (err) => err,
    );
    should(error).be.instanceOf(StoreError);
    error.message.should.match(/^cannot write .*c\.log: /);
    c.get('a').should.eql({ n: 1 }); // kept in memory; the process goes on
    c.report().commits.should.equal(0);

    unblock();
    c.set('b', { n: 2 });
    await c.commit();
    fs.existsSync(`${logOf()}.tmp`).should.be.false();
    open()
      .load()
      .should.eql([
        ['a', { n: 1 }],
        ['b', { n: 2 }],
      ]);
  });

  it('a memory-only store (no user directory) commits at once and writes nothing', async function () {
    const strayDir = path.join(process.cwd(), 'player-sync');
    const strayBefore = fs.existsSync(strayDir);
    const store = new Store(undefined);
    should(store.dir).be.undefined();
    should(store.fileOf('mem')).be.undefined();
    const c = store.collection('mem', keepAll);
    opened.push(c);
    should(c.file).be.undefined();
    c.load().should.eql([]);
    c.set('a', { n: 1 });
    c.setMany([['b', 2]]);
    c.delete('a');
    let settled = false;
    const committed = c.commit().then(() => (settled = true));
    await Promise.resolve();
    await Promise.resolve();
    settled.should.be.true('resolved before any I/O could have happened');
    await committed;
    c.get('b').should.equal(2);
    c.size.should.equal(1);
    c.report().should.match({ bytesWritten: 0, fileBytes: 0, commits: 0, compactions: 0 });
    (() => c.set('big', { n: 1n })).should.throw(StoreError, { message: /a BigInt/ }); // refused in memory too
    await c.close();
    (() => c.set('late', 1)).should.throw(StoreError, { message: /closed/ });
    fs.existsSync(strayDir).should.equal(strayBefore);

    // In contrast, a store on disk does not resolve before its write.
    const disk = open();
    disk.load();
    disk.set('a', 1);
    let diskSettled = false;
    const diskCommitted = disk.commit().then(() => (diskSettled = true));
    await Promise.resolve();
    await Promise.resolve();
    diskSettled.should.be.false();
    await diskCommitted;
    fs.readFileSync(logOf(), 'utf8').should.containEql('{"k":"a","v":1}');
  });

  describe('kill -9: nothing acknowledged is lost', function () {
    const CHILD = `'use strict';
const [storeJs, dir, prefix] = process.argv.slice(2);
const { Store } = require(storeJs);
const c = new Store(dir).collection('crash', (v) => v);
c.load();
(async () => {
  for (let i = 0, batch = 0; ; batch++) {
    for (let j = 0; j < 50; j++, i++) c.set(prefix + 'k' + i, { i, text: 'value ' + i });
    // One large record rewritten every batch: the log passes 1 MB and is compacted while it runs.
    c.set('scratch', { batch, fill: 'x'.repeat(100000) });
    await c.commit();
    process.stdout.write(String(i - 1) + '\\n');
  }
})();
`;
    let child;
    afterEach(function () {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      child = undefined;
    });

    /** Runs the writer until it has printed `lines` commits, kills it, and returns the last index it printed. */
    function runAndKill(script, prefix, lines) {
      return new Promise((resolve, reject) => {
        const proc = spawn(process.execPath, [script, STORE_JS, dir, prefix], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child = proc;
        let out = '';
        let err = '';
        let printed = 0;
        let last = -1;
        proc.stdout.setEncoding('utf8');
        proc.stdout.on('data', (chunk) => {
          out += chunk;
          const complete = out.split('\n');
          out = complete.pop();
          for (const line of complete) {
            last = Math.max(last, Number(line));
            printed++;
          }
          if (printed >= lines) proc.kill('SIGKILL');
        });
        proc.stderr.on('data', (chunk) => (err += chunk));
        proc.on('error', reject);
        proc.on('close', (code, signal) => resolve({ code, signal, err, last, printed }));
      });
    }

    it('a writer killed after 1, 3, 7, 12 and 20 commits: every acknowledged key is there, exactly as set', async function () {
      this.timeout(60000);
      const script = path.join(dir, 'writer.js');
      fs.writeFileSync(script, CHILD);
      const acknowledged = [];
      for (const [round, lines] of [1, 3, 7, 12, 20].entries()) {
        const run = await runAndKill(script, `r${round}-`, lines);
        run.err.should.equal('');
        should(run.signal).equal('SIGKILL', `the writer ended by itself (code ${run.code})`);
        run.printed.should.be.aboveOrEqual(lines);
        acknowledged.push(run.last);

        const c = new Store(dir).collection('crash', keepAll);
        let records;
        (() => (records = c.load())).should.not.throw();
        const got = new Map(records);
        acknowledged.forEach((last, r) => {
          for (let i = 0; i <= last; i++) {
            const key = `r${r}-k${i}`;
            got.has(key).should.be.true(`${key} was acknowledged (round ${r}, up to ${last}) but is lost`);
          }
        });
        for (const [key, value] of got) {
          if (key === 'scratch') {
            value.fill.should.equal('x'.repeat(100000));
            value.batch.should.be.aboveOrEqual(Math.floor((run.last + 1) / 50) - 1);
            continue;
          }
          const m = /^r(\d+)-k(\d+)$/.exec(key);
          should.exist(m, `an unexpected key ${key}`);
          value.should.eql({ i: Number(m[2]), text: `value ${m[2]}` });
        }
        await c.close();
      }
    });
  });

  it('replayLog reads a log text without touching any file', function () {
    const text = [
      header('x'),
      '{"k":"a","v":1}',
      '{"k":"b","v":{"x":2}}',
      '{"k":"a","d":1}',
      '{"k":"c","v":3}',
      'not json',
      '{"k":"a","v":4}',
      '{"k":"refused","v":5}',
      '',
    ].join('\n');
    const file = path.join(dir, 'x.log');
    fs.writeFileSync(file, text);
    const before = fs.statSync(file);
    const seen = [];
    const check = (value, key) => {
      seen.push(key);
      return key === 'refused' ? undefined : value;
    };
    const { records, dropped, reason } = replayLog(fs.readFileSync(file, 'utf8'), 'x', check);
    [...records.keys()].should.eql(['b', 'c', 'a']);
    records.get('b').should.eql({ line: '{"k":"b","v":{"x":2}}', value: { x: 2 } });
    records.get('a').value.should.equal(4);
    dropped.should.equal(2); // "not json" and the refused record
    should(reason).be.undefined();
    seen.should.eql(['a', 'b', 'c', 'a', 'refused']);
    fs.readdirSync(dir).should.eql(['x.log']);
    fs.readFileSync(file, 'utf8').should.equal(text);
    fs.statSync(file).mtimeMs.should.equal(before.mtimeMs);
    const empty = replayLog('', 'x', check);
    empty.records.size.should.equal(0);
    empty.dropped.should.equal(0);
    should(empty.reason).be.undefined();
  });

  describe('what the store takes, it reads back', function () {
    it('a value of undefined is refused with a StoreError, and the next value works', async function () {
      const c = open();
      c.load();
      (() => c.set('u', undefined)).should.throw(StoreError, {
        message: /"u" cannot be stored: it holds nothing/,
      });
      c.has('u').should.be.false();
      c.set('after', 1);
      await c.commit();
      const again = open();
      again.load().should.eql([['after', 1]]);
      should.not.exist(again.damage);
    });

    it('an empty key is refused with a StoreError', async function () {
      const c = open();
      c.load();
      (() => c.set('', 'empty')).should.throw(StoreError, { message: /needs a key/ });
      c.set('k', 'v');
      await c.commit();
      const again = open();
      again.load().should.eql([['k', 'v']]);
      should.not.exist(again.damage);
    });

    it('after a failed write, commit() writes what the failure left out once the disk takes it', async function () {
      const blocker = path.join(dir, 'player-sync');
      fs.writeFileSync(blocker, 'not a folder');
      const c = open();
      c.load();
      c.set('a', 1);
      await c.commit().should.be.rejectedWith(StoreError);
      fs.rmSync(blocker);
      await c.commit();
      fs.existsSync(logOf()).should.be.true('the change the failed write held is on disk');
      await c.close();
      open()
        .load()
        .should.eql([['a', 1]]);
    });
  });
});
