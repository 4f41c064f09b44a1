// Deploying a test's flows to the Node-RED of `npm start` (test/lib/start-server.js), as a user deploys from the
// editor, and reading what its flows wrote: shared by the end-to-end suites.
'use strict';
const fs = require('node:fs');
const { until } = require('./wait');

/**
 * Adds `flows` to what runs (the example tabs `npm start` imported) with a full deploy. Deploying the test's flows
 * alone would drop the examples, and `npm start` would import them again at a restart, redeploying everything.
 */
async function addFlows(url, flows) {
  const current = await (await fetch(`${url}/flows`)).json();
  if (!current.some((n) => n.type === 'tab' && n.id.startsWith('example-'))) {
    throw new Error('the example tabs of npm start are not there');
  }
  const res = await fetch(`${url}/flows`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
    body: JSON.stringify([...current, ...flows]),
  });
  if (res.status !== 204) throw new Error(`deploying the test's flows answered HTTP ${res.status}`);
}

/** POSTs to an `http in` route once the deployed flow has started (until then the route answers 404). */
function postWhenRouted(url, init, limitMs) {
  return until(
    async () => {
      const r = await fetch(url, { method: 'POST', ...init });
      return r.status === 404 ? false : r;
    },
    `the http in route ${new URL(url).pathname}`,
    limitMs,
  );
}

/** The JSON lines a `file` node wrote (one message per line); a line still being written is not one yet. */
function jsonLines(file) {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.endsWith('}'))
    .map((line) => JSON.parse(line));
}

/** A `file` node writing each message's payload as a JSON line. */
function jsonLinesNode(id, z, filename) {
  return {
    id,
    type: 'file',
    z,
    filename,
    filenameType: 'str',
    appendNewline: true,
    createDir: false,
    overwriteFile: 'false',
    encoding: 'utf8',
    wires: [],
  };
}

module.exports = { addFlows, postWhenRouted, jsonLines, jsonLinesNode };
