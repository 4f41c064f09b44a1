// Debian's Chromium, driven by playwright-core, for the editor tests. Where Chromium is not installed the suite
// skips and says why; with CI=true it fails instead.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const CHROMIUM = '/usr/bin/chromium';

/** Launches headless Chromium, or skips the suite (fails it under CI) when there is none. */
async function launchChromium(context) {
  if (!fs.existsSync(CHROMIUM)) {
    const why = `the editor tests need Debian's chromium (apt-get install chromium)`;
    if (process.env.CI === 'true') throw new Error(`${why}: CI must not skip them`);
    console.log(`    (skipped: ${why})`);
    context.skip();
  }
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // As root, without a sandbox; no background connections (this machine's network is closed).
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where tests keep what a person may want to look at after the run (ignored by git). */
function artifactPath(name) {
  const dir = path.join(__dirname, '..', 'artifacts');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}

module.exports = { launchChromium, artifactPath };
