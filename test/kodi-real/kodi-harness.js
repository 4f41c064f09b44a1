// One real Kodi per test run, shared by the end-to-end suites: started on first use (scripts/real-kodi.js), skipped
// with the command that installs what is missing, never skipped under CI=true.
'use strict';
const { RealKodi, freePort, KODI_NEEDS } = require('../../scripts/real-kodi');
const { missingPackages, skipUnlessInstalled } = require('../lib/skips');

/** The Debian packages the real Kodi needs that are not installed. */
const missingKodiPackages = () => missingPackages(KODI_NEEDS);

let shared;

/**
 * The one real Kodi of this test run, started on first use. Where a package it needs is not installed the suites
 * skip, say which, and are listed by the reporter with the command that installs it; with CI=true they never skip.
 */
async function sharedKodi(context) {
  skipUnlessInstalled(context, missingKodiPackages(), 'the real Kodi tests');
  if (!shared) {
    const kodi = new RealKodi();
    shared = kodi.start();
    process.once('exit', () => kodi.killNow()); // mocha --exit, a crash: leave no Kodi behind
  }
  const kodi = await shared;
  if (kodi.death) {
    // One test saw it die and failed saying so; the suites after it get a Kodi again.
    console.log(`    (the real Kodi died earlier in this run: ${kodi.death}; starting it again)`);
    await kodi.startKodi();
  }
  return kodi;
}

async function stopSharedKodi() {
  if (!shared) return;
  const kodi = await shared.catch(() => undefined);
  shared = undefined;
  if (kodi) await kodi.stop();
}

module.exports = { RealKodi, sharedKodi, stopSharedKodi, freePort, missingKodiPackages };
