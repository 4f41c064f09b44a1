#!/usr/bin/env node
// `npm run registry-snapshot`: asks the npm registry, for every package the lockfile installs at run time, for
// its latest version and whether the locked version is deprecated, and writes test/fixtures/registry-snapshot.json.
// The scorecard test (D02/D03) reads that file, so the tests stay offline; run this after changing dependencies.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));
const lock = require(path.join(root, 'package-lock.json'));

/** The packages installed for the runtime dependencies, with their locked versions. */
function runtimeClosure() {
  const found = new Map();
  const visit = (name) => {
    if (found.has(name)) return;
    const entry = lock.packages[`node_modules/${name}`];
    if (!entry) throw new Error(`${name} is not in package-lock.json: run npm install`);
    found.set(name, entry.version);
    Object.keys(entry.dependencies || {}).forEach(visit);
  };
  Object.keys(pkg.dependencies).forEach(visit);
  return found;
}

async function main() {
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' })
    .trim()
    .replace(/\/?$/, '/');
  const packages = {};
  for (const [name, locked] of [...runtimeClosure()].sort()) {
    const url = registry + name.replace('/', '%2f');
    // The abbreviated metadata: dist-tags and, per version, a deprecation message when there is one.
    const res = await fetch(url, { headers: { Accept: 'application/vnd.npm.install-v1+json' } });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    const doc = await res.json();
    const version = doc.versions[locked];
    if (!version) throw new Error(`${name}@${locked} is not in the registry`);
    packages[name] = {
      locked,
      latest: doc['dist-tags'].latest,
      deprecated: version.deprecated || false,
    };
  }
  const out = path.join(root, 'test', 'fixtures', 'registry-snapshot.json');
  const snapshot = { takenAt: new Date().toISOString().slice(0, 10), registry, packages };
  fs.writeFileSync(out, JSON.stringify(snapshot, null, 2) + '\n');
  console.log(`registry-snapshot: ${Object.keys(packages).length} packages → ${path.relative(root, out)}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`registry-snapshot: ${err.message}`);
    process.exit(1);
  });
}

module.exports = { runtimeClosure };
