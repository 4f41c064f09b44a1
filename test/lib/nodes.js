// Loads Node-RED's test helper once for every suite, with this package's node modules.
'use strict';
const helper = require('node-red-node-test-helper');

helper.init(require.resolve('node-red'));

const nodes = {
  kodiPlayer: require('../../nodes/kodi-player.js'),
  jellyfinServer: require('../../nodes/jellyfin-server.js'),
  plexServer: require('../../nodes/plex-server.js'),
  pathMappings: require('../../nodes/path-mappings.js'),
  activeCheck: require('../../nodes/active-check.js'),
};

/** Every log line Node-RED was given during this test, as text. */
function logText() {
  return helper
    .log()
    .getCalls()
    .map((call) => JSON.stringify(call.args))
    .join('\n');
}

/** The statuses `node` has shown, oldest first (the helper's spy is shared by every node). */
function statuses(node) {
  return node.status
    .getCalls()
    .filter((call) => call.thisValue === node)
    .map((call) => call.args[0]);
}

/** The status `node` shows now. */
function lastStatus(node) {
  const all = statuses(node);
  return all[all.length - 1];
}

module.exports = { helper, nodes, logText, statuses, lastStatus };
