// Suites that need a Debian package (a real Kodi, Chromium, mosquitto) skip where it is not installed, and fail
// instead under CI=true. Each skip is recorded here with its suite and the packages it lacks; the reporter
// (test/lib/reporter.js) lists them before its closing line, with the one command that installs them.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** The Debian packages CI installs (.ci/apt-packages, one a line), in that file's order. */
function ciPackages() {
  try {
    return fs
      .readFileSync(path.join(__dirname, '..', '..', '.ci', 'apt-packages'), 'utf8')
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

function onPath(command) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The packages of `needs` that are missing: each need is `{ pkg, file }` (a path the package installs) or
 * `{ pkg, command }` (a program it puts on the PATH).
 */
function missingPackages(needs) {
  const missing = needs
    .filter((n) => (n.file ? !fs.existsSync(n.file) : !onPath(n.command)))
    .map((n) => n.pkg);
  return [...new Set(missing)];
}

/** Packages in the order .ci/apt-packages lists them (any it does not list come last). */
function inCiOrder(packages) {
  const order = ciPackages();
  const rank = (p) => (order.includes(p) ? order.indexOf(p) : order.length);
  return [...new Set(packages)].sort((a, b) => rank(a) - rank(b));
}

const installCommand = (packages) => `sudo apt-get install -y ${inCiOrder(packages).join(' ')}`;

/** Short name of the suite a hook or test runs in: its file without ".test.js" (its title where there is no file). */
function suiteName(context) {
  let suite = context.test && context.test.parent;
  while (suite && !suite.file && suite.parent && !suite.parent.root) suite = suite.parent;
  if (suite && suite.file) return path.basename(suite.file).replace(/\.test\.js$/, '');
  return (suite && suite.title) || 'a suite';
}

const skipped = []; // { suite, packages }

/**
 * Skips the running suite (call it from its before hook) when a package it needs is missing, saying why and
 * recording it for the reporter; under CI=true it throws instead, since CI installs them all.
 */
function skipUnlessInstalled(context, packages, what) {
  const missing = inCiOrder(packages);
  if (missing.length === 0) return;
  const why = `${what}: missing ${missing.join(', ')} (${installCommand(missing)})`;
  if (process.env.CI === 'true') throw new Error(`${why}: CI must not skip them`);
  const suite = suiteName(context);
  const known = skipped.find((s) => s.suite === suite);
  if (known) known.packages = inCiOrder([...known.packages, ...missing]);
  else skipped.push({ suite, packages: missing });
  console.log(`    (skipped: ${why})`);
  context.skip();
}

module.exports = { missingPackages, skipUnlessInstalled, installCommand, inCiOrder, skipped };
