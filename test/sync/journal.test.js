'use strict';
// The journal without Node-RED: what a restart finds after a crash, a damaged file, or a write that failed.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Journal, JournalError, parseJournal } = require('../../nodes/sync/journal');

const entry = (n, over = {}) => ({
  id: `e${n}`,
  item: { path: `/movies/M${n}/`, action: 'added', ids: {} },
  priority: 'normal',
  at: 1700000000000 + n,
  targets: { kodi: 'pending', plex: 'pending' },
  results: {},
  ...over,
});

describe('journal (no Node-RED)', function () {
  let dir;
  let file;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-journal-'));
    file = path.join(dir, 'player-sync', 'node.json');
  });
  afterEach(function () {
    fs.chmodSync(dir, 0o700);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps what was put and completed across a reload, one record a line', function () {
    const j = new Journal(file);
    j.putAll([entry(1), entry(2)]);
    j.complete('e1', 'kodi', { ok: true });
    j.complete('e2', 'kodi', { ok: true });
    j.complete('e2', 'plex', { ok: true }); // e2 is done everywhere: gone
    const text = fs.readFileSync(file, 'utf8');
    text.split('\n').filter(Boolean).should.have.length(2); // the header and e1
    const again = new Journal(file).load();
    again.map((e) => [e.id, e.targets]).should.eql([['e1', { kodi: 'done', plex: 'pending' }]]);
  });

  it('an entry JSON cannot hold is refused with a JournalError, and the journal is as it was', function () {
    const j = new Journal(file);
    j.put(entry(1));
    const bad = entry(2);
    bad.item.ids.big = 10n;
    (() => j.putAll([entry(3), bad])).should.throw(JournalError, {
      message: /"\/movies\/M2\/" cannot be stored/,
    });
    j.size.should.equal(1);
    new Journal(file)
      .load()
      .map((e) => e.id)
      .should.eql(['e1']);
  });

  it('a write that fails keeps nothing of the refused entries in memory and leaves no temp file', function () {
    if (process.getuid && process.getuid() === 0) {
      // root writes through permissions: make the journal path a folder instead, which no one can write over
      const j = new Journal(file);
      fs.mkdirSync(file, { recursive: true });
      (() => j.put(entry(1))).should.throw(JournalError, { message: /cannot write/ });
      j.size.should.equal(0);
      fs.existsSync(`${file}.tmp`).should.be.false();
      return;
    }
    const j = new Journal(file);
    j.put(entry(1));
    fs.chmodSync(path.dirname(file), 0o500);
    (() => j.put(entry(2))).should.throw(JournalError);
    j.size.should.equal(1);
  });

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
    it(`reads ${what}: keeps ${ids.length}, drops ${dropped}`, function () {
      const parsed = parseJournal(text);
      parsed.records.map((e) => e.id).should.eql(ids);
      parsed.dropped.should.equal(dropped);
    });
  }

  it('a damaged file is moved aside, the good records kept in a clean file, and `damage` says so', function () {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const damaged = [header, JSON.stringify(entry(1)), '{"id":"broken"', JSON.stringify(entry(2))].join('\n');
    fs.writeFileSync(file, damaged);
    const j = new Journal(file);
    j.load()
      .map((e) => e.id)
      .should.eql(['e1', 'e2']);
    j.damage.should.match({ dropped: 1, kept: 2, reason: '1 damaged record' });
    fs.readFileSync(j.damage.movedTo, 'utf8').should.equal(damaged);
    parseJournal(fs.readFileSync(file, 'utf8')).should.match({
      dropped: 0,
      records: [{ id: 'e1' }, { id: 'e2' }],
    });
    new Journal(file).load();
  });
});
