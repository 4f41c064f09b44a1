'use strict';
// The Flow Library scorecard's checks (node-red-dev validate cannot reach its catalogue from here): package
// metadata, node types, examples, dependencies.
require('should');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const pkg = require('../../package.json');
const lock = require('../../package-lock.json');

describe('Flow Library scorecard', function () {
  it('P01 has a licence', function () {
    pkg.license.should.equal('MIT');
    fs.existsSync(path.join(root, 'LICENSE')).should.be.true();
  });

  it('P03 has a repository and a bugs link', function () {
    pkg.repository.url.should.match(/^git\+https:\/\//);
    pkg.bugs.url.should.match(/^https:\/\//);
  });

  it('P04 has a scoped name', function () {
    pkg.name.should.equal('@player-sync/node-red-player-sync');
  });

  it('P05 has the node-red keyword', function () {
    pkg.keywords.should.containEql('node-red');
  });

  it('P06 says which Node-RED it needs', function () {
    pkg['node-red'].version.should.equal('>=4.0.0');
  });

  it('P07 says which Node.js it needs', function () {
    pkg.engines.node.should.equal('>=20');
  });

  it('N01 registers each type once, by the literal name package.json lists, clashing with no core node', function () {
    const core = new Set([
      'inject',
      'debug',
      'function',
      'change',
      'switch',
      'http in',
      'http response',
      'mqtt in',
      'catch',
      'status',
      'comment',
      'split',
      'join',
      'delay',
    ]);
    const types = Object.keys(pkg['node-red'].nodes);
    new Set(types).size.should.equal(types.length);
    for (const type of types) {
      core.has(type).should.be.false();
      const html = fs.readFileSync(path.join(root, 'nodes', `${type}.html`), 'utf8');
      const registered = [...html.matchAll(/RED\.nodes\.registerType\(\s*'([^']+)'/g)].map((m) => m[1]);
      registered.should.eql([type]);
      html.should.match(new RegExp(`data-template-name="${type}"`));
      html.should.not.match(/data-help-name/, `${type}: its help lives in nodes/locales/en-US/`);
      const help = fs.readFileSync(path.join(root, 'nodes', 'locales', 'en-US', `${type}.html`), 'utf8');
      help.should.match(new RegExp(`data-help-name="${type}"`));
    }
  });

  it('has its English texts in nodes/locales/en-US: every key a dialog uses is there', function () {
    for (const type of Object.keys(pkg['node-red'].nodes)) {
      const html = fs.readFileSync(path.join(root, 'nodes', `${type}.html`), 'utf8');
      const file = path.join(root, 'nodes', 'locales', 'en-US', `${type}.json`);
      const catalog = JSON.parse(fs.readFileSync(file, 'utf8'));
      Object.keys(catalog).should.eql([type], `${type}.json holds the ${type} texts`);
      const keys = [
        ...[...html.matchAll(/data-i18n="([^"]+)"/g)].flatMap((m) => m[1].split(';')),
        ...[...html.matchAll(/\b_\('([^':]+)'/g)].map((m) => m[1]),
        ...[...html.matchAll(/\bt\('([^']+)'/g)].map((m) => `${type}.${m[1]}`),
      ]
        .map((k) => k.replace(/^\[[a-z]+\]/, ''))
        .filter((k) => !k.startsWith('node-red:') && !/\.$/.test(k));
      keys.should.not.be.empty();
      for (const key of keys) {
        const value = key.split('.').reduce((o, part) => (o === undefined ? o : o[part]), catalog);
        (typeof value).should.equal('string', `${type}: "${key}" in ${path.relative(root, file)}`);
      }
    }
  });

  it('D01 has at most 6 runtime dependencies, node-red not among them', function () {
    const deps = Object.keys(pkg.dependencies);
    deps.length.should.be.belowOrEqual(6);
    deps.should.not.containEql('node-red');
  });

  // D02/D03 need the registry, which tests do not reach: `npm run registry-snapshot` records what it said about
  // every package the lockfile installs at run time, in test/fixtures/registry-snapshot.json.
  const snapshot = require('../fixtures/registry-snapshot.json');
  const { runtimeClosure: runtime } = require('../../scripts/registry-snapshot');

  it('the registry snapshot covers exactly the packages the lockfile installs at run time', function () {
    const locked = Object.fromEntries([...runtime()].sort());
    const recorded = Object.fromEntries(
      Object.entries(snapshot.packages)
        .map(([name, p]) => [name, p.locked])
        .sort(),
    );
    recorded.should.eql(locked, 'package-lock.json changed: run npm run registry-snapshot');
  });

  it('D02 depends on no deprecated package at run time (lockfile and registry snapshot)', function () {
    const deprecated = [...runtime().keys()].filter(
      (name) => lock.packages[`node_modules/${name}`].deprecated || snapshot.packages[name].deprecated,
    );
    deprecated.should.eql([]);
  });

  it('D03 no outdated dependency: each declared range takes the latest version, and the lockfile has it', function () {
    const parse = (v) =>
      v
        .replace(/^[^\d]*/, '')
        .split('.')
        .map(Number);
    // A caret range ^a.b.c (a > 0) takes every x.y.z with x = a and y.z >= b.c.
    const caretTakes = (range, version) => {
      const [a, b, c] = parse(range);
      const [x, y, z] = parse(version);
      return range.startsWith('^') && a > 0 && x === a && (y > b || (y === b && z >= c));
    };
    for (const [name, range] of Object.entries(pkg.dependencies)) {
      const { latest } = snapshot.packages[name];
      caretTakes(range, latest).should.be.true(`${name}: "${range}" does not take the latest, ${latest}`);
      lock.packages[`node_modules/${name}`].version.should.equal(latest, `${name} locked below ${latest}`);
    }
  });

  it('ships only what a user needs', function () {
    pkg.files.should.eql([
      'nodes/**/*.js',
      'nodes/**/*.html',
      'nodes/icons/',
      'nodes/locales/',
      'resources/',
      'examples/',
      'README.md',
      'LICENSE',
    ]);
    pkg.scripts.prepare.should.equal('npm run build');
  });
});
