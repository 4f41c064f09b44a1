'use strict';
// Status texts: from the "status" section of nodes/locales/<lang>/player-sync.json, in the runtime's language.
require('should');
const fs = require('node:fs');
const path = require('node:path');
const status = require('../../nodes/node-red/status.js');

const root = path.join(__dirname, '..', '..');
const english = JSON.parse(
  fs.readFileSync(path.join(root, 'nodes', 'locales', 'en-US', 'player-sync.json'), 'utf8'),
)['player-sync'].status;

describe('status texts', function () {
  afterEach(function () {
    status.useCatalog(undefined); // the next node module loaded hands its own RED over again
  });

  it('come from the runtime in its language, asked under the package catalog the editor also loads', function () {
    const asked = [];
    const german = {
      'player-sync.status.connected': 'verbunden',
      'player-sync.status.active': 'aktiv: __title__',
    };
    status.useCatalog({
      _: (id, vars = {}) => {
        asked.push(id);
        const [ns, key] = id.split(':');
        if (ns !== status.CATALOG || !german[key]) return key;
        return german[key].replace(/__(\w+)__/g, (_all, name) => vars[name]);
      },
    });
    status.linkStatus('connected').should.eql({ fill: 'green', shape: 'dot', text: 'verbunden' });
    status.statusText('active', { title: 'Film' }).should.equal('aktiv: Film');
    asked[0].should.equal(`${status.CATALOG}:player-sync.status.connected`);
    // A text the language lacks: the English one.
    status.statusText('idle').should.equal('idle');
  });

  it("are English where nothing translates (Node-RED's test helper answers every key with itself)", function () {
    status.useCatalog({ _: (id) => id });
    status.statusText('active', { title: 'Film' }).should.equal('active: Film');
    status.statusText('deferred', { done: 3, total: 10 }).should.equal('3/10 deferred: playing');
    status
      .linkStatus('auth-failed')
      .should.match({ fill: 'red', shape: 'ring', text: 'credentials refused' });
  });

  it('has an English text for every key the code uses', function () {
    const source = fs.readFileSync(path.join(root, 'src', 'node-red', 'status.ts'), 'utf8');
    const union = /export type StatusKey =([^;]+);/.exec(source)[1];
    const keys = [...union.matchAll(/'([^']+)'/g)].map((m) => m[1]);
    keys.length.should.be.above(20);
    for (const key of keys) (typeof english[key]).should.equal('string', key);
  });
});
