// Debian's Chromium, driven by playwright-core, for the editor tests. Where Chromium is not installed the suite
// skips and says why; with CI=true it fails instead.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { missingPackages, skipUnlessInstalled } = require('./skips');

const CHROMIUM = '/usr/bin/chromium';

/** The Debian packages the browser tests' Chromium needs that are not installed. */
const missingChromiumPackages = () => missingPackages([{ pkg: 'chromium', file: CHROMIUM }]);

/** Launches headless Chromium, or skips the suite (fails it under CI) when there is none. */
async function launchChromium(context) {
  skipUnlessInstalled(context, missingChromiumPackages(), 'the editor tests');
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

module.exports = { launchChromium, missingChromiumPackages, artifactPath };
