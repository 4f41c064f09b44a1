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

Object.assign(nodes, {
  kodiScan: require('../../nodes/kodi-scan.js'),
  kodiRefresh: require('../../nodes/kodi-refresh.js'),
  kodiRemove: require('../../nodes/kodi-remove.js'),
  kodiClean: require('../../nodes/kodi-clean.js'),
  waitScanFinished: require('../../nodes/wait-scan-finished.js'),
  jellyfinRefresh: require('../../nodes/jellyfin-refresh.js'),
  plexRefresh: require('../../nodes/plex-refresh.js'),
  arrEvent: require('../../nodes/arr-event.js'),
  playerSync: require('../../nodes/player-sync.js'),
  watchActivity: require('../../nodes/watch-activity.js'),
  jellyfinWebhook: require('../../nodes/jellyfin-webhook.js'),
  plexWebhook: require('../../nodes/plex-webhook.js'),
  watchedSync: require('../../nodes/watched-sync.js'),
  libraryChanges: require('../../nodes/library-changes.js'),
  playerHealth: require('../../nodes/player-health.js'),
});

/**
 * Sends `msg` to node `id` and resolves with where it came out: {port: 1 | 2, msg} from helper nodes wired as
 * `${id}-1` and `${id}-2`, or {error, msg} from the Catch node `caught`.
 */
function run(id, msg, limitMs = 60000) {
  return new Promise((resolve, reject) => {
    const listeners = [];
    const finish = (outcome, error) => {
      clearTimeout(timer);
      for (const [node, fn] of listeners) node.removeListener('input', fn);
      if (error) reject(error);
      else resolve(outcome);
    };
    const listen = (node, fn) => {
      if (!node) return;
      node.on('input', fn);
      listeners.push([node, fn]);
    };
    // Several runs may be under way on one node at once: each waits for its own message.
    const msgid = `run-${++runs}`;
    for (const port of [1, 2, 3]) {
      listen(helper.getNode(`${id}-${port}`), (m) => {
        if (m._msgid === msgid) finish({ port, msg: m });
      });
    }
    listen(helper.getNode('caught'), (m) => {
      if (m._msgid === msgid && m.error && m.error.source && m.error.source.id === id) {
        finish({ error: m.error, msg: m });
      }
    });
    const timer = setTimeout(() => finish(null, new Error(`timed out waiting for ${id} to answer`)), limitMs);
    helper.getNode(id).receive({ ...msg, _msgid: msgid });
  });
}
let runs = 0;

/** Nodes of `type` with id `id`, wired to helper nodes `${id}-1` … `${id}-N`, on tab `tab`. */
function withOutputs(node, outputs = 2) {
  const helpers = [];
  const wires = [];
  for (let port = 1; port <= outputs; port++) {
    helpers.push({ id: `${node.id}-${port}`, type: 'helper', z: node.z });
    wires.push([`${node.id}-${port}`]);
  }
  return [{ ...node, wires }, ...helpers];
}

module.exports.run = run;
module.exports.withOutputs = withOutputs;
