// Mocha root hooks: the shared real Kodi stops when the whole run ends, on failure too.
'use strict';
const { stopSharedKodi } = require('./kodi-real/kodi-harness');

exports.mochaHooks = {
  async afterAll() {
    this.timeout(30000);
    await stopSharedKodi();
  },
};
