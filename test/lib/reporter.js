// Mocha's spec reporter plus one closing line in the plain form CI reads: "tests: N passed, N failed, N skipped".
// Before that line (it stays the last one), the suites that skipped: those missing a Debian package (recorded by
// test/lib/skips.js) with the one command that installs them all, and the contract suite's real-server half when
// no real server is configured.
'use strict';
const Mocha = require('mocha');
const { skipped, installCommand } = require('./skips');

/** The contract suite against a real server ("contract: real Jellyfin"), and what it needs to run. */
const REAL_SERVER = /^contract: real (\w+)$/;
const SERVER_SETTINGS = { Jellyfin: 'JELLYFIN_URL/JELLYFIN_API_KEY', Plex: 'PLEX_URL/PLEX_TOKEN' };

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const unconfigured = [];
    runner.on(Mocha.Runner.constants.EVENT_SUITE_END, (suite) => {
      const server = REAL_SERVER.exec(suite.title);
      if (server && suite.tests.length > 0 && suite.tests.every((t) => t.isPending())) {
        unconfigured.push(server[1]);
      }
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats;
      const lines = [];
      if (skipped.length > 0) {
        const suites = skipped.map((s) => `${s.suite} (needs ${s.packages.join(' ')})`).join(', ');
        lines.push(
          `skipped suites: ${suites} — install with: ${installCommand(skipped.flatMap((s) => s.packages))}`,
        );
      }
      if (unconfigured.length > 0) {
        const names = unconfigured.map((s) => `real ${s}`).join(', ');
        const settings = unconfigured.map((s) => SERVER_SETTINGS[s] || `${s.toUpperCase()}_URL`).join(', ');
        lines.push(`skipped: contract against ${names} (set ${settings} to run it)`);
      }
      const block = lines.length > 0 ? `\n${lines.join('\n')}\n` : '';
      process.stdout.write(`${block}\ntests: ${passes} passed, ${failures} failed, ${pending} skipped\n`);
    });
  }
}

module.exports = SpecWithSummary;
