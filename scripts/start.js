#!/usr/bin/env node
// `npm start`: Node-RED 4 (from devDependencies) on 127.0.0.1 only, with its user directory inside the repo
// (.node-red/, ignored by git), this package loaded from the working tree and every example imported as a tab.
//
// Environment: PORT (1880; 0 picks a free one), NODE_RED_USER_DIR (.node-red), and players for the examples'
// config nodes: KODI_HOST, KODI_HTTP_PORT, KODI_WS_PORT, KODI_USERNAME, KODI_PASSWORD, JELLYFIN_URL,
// JELLYFIN_API_KEY, PLEX_URL, PLEX_TOKEN. They are applied when an example is first imported. PLAYER_SYNC_SETTINGS
// (JSON) becomes settings.js `playerSync` (see the README).
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const RED = require('node-red');

const root = path.resolve(__dirname, '..');
const host = '127.0.0.1';
const port = Number(process.env.PORT ?? 1880);
const userDir = path.resolve(root, process.env.NODE_RED_USER_DIR || '.node-red');
fs.mkdirSync(userDir, { recursive: true });

const settings = {
  uiHost: host,
  uiPort: port,
  userDir,
  nodesDir: [root],
  flowFile: 'flows.json',
  httpAdminRoot: '/',
  httpNodeRoot: '/',
  functionGlobalContext: {},
  logging: { console: { level: process.env.NODE_RED_LOG_LEVEL || 'info', metrics: false, audit: false } },
  editorTheme: { tours: false, projects: { enabled: false } },
  // No "Enable update notifications?" prompt: this Node-RED is for trying the package, offline.
  telemetry: { enabled: false, updateNotification: false },
  externalModules: { palette: { allowInstall: false } },
  // The package's own settings (plex.tv's addresses, discovery targets), as JSON: the tests point them at loopback.
  playerSync: process.env.PLAYER_SYNC_SETTINGS ? JSON.parse(process.env.PLAYER_SYNC_SETTINGS) : {},
};

/** Config node settings (and credentials) taken from the environment, by config node type. */
function fromEnvironment(type) {
  const env = process.env;
  const pick = (pairs) => Object.fromEntries(pairs.filter(([, v]) => v !== undefined && v !== ''));
  switch (type) {
    case 'kodi-player':
      return {
        props: pick([
          ['host', env.KODI_HOST],
          ['httpPort', env.KODI_HTTP_PORT],
          ['wsPort', env.KODI_WS_PORT],
        ]),
        credentials: pick([
          ['username', env.KODI_USERNAME],
          ['password', env.KODI_PASSWORD],
        ]),
      };
    case 'jellyfin-server':
      return {
        props: pick([['url', env.JELLYFIN_URL]]),
        credentials: pick([['apiKey', env.JELLYFIN_API_KEY]]),
      };
    case 'plex-server':
      return { props: pick([['url', env.PLEX_URL]]), credentials: pick([['token', env.PLEX_TOKEN]]) };
    default:
      return { props: {}, credentials: {} };
  }
}

/** Each examples/<name>.json as a tab of its own, with ids made stable so a later start can tell it is there. */
function exampleTabs() {
  const dir = path.join(root, 'examples');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const label = file.replace(/\.json$/, '');
      const tabId = 'example-' + label.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
      const nodes = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      const tabs = new Set(nodes.filter((n) => n.type === 'tab').map((n) => n.id));
      const body = nodes
        .filter((n) => n.type !== 'tab')
        .map((n) => {
          const copy = { ...n };
          if (copy.z !== undefined && (tabs.has(copy.z) || copy.z === '')) copy.z = tabId;
          else if (copy.z === undefined && !isConfigNode(copy)) copy.z = tabId;
          return copy;
        });
      return {
        tab: { id: tabId, type: 'tab', label: `Example: ${label}`, disabled: false, info: '' },
        nodes: body,
      };
    });
}

function isConfigNode(n) {
  return n.x === undefined && n.y === undefined && n.wires === undefined;
}

async function adminRequest(method, url, body) {
  const res = await fetch(`http://${host}:${server.address().port}${url}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

/** Adds the example tabs the flows do not have yet (user edits to earlier imports are kept). */
async function importExamples() {
  const flows = await adminRequest('GET', '/flows');
  const present = new Set(flows.map((n) => n.id));
  const added = [];
  for (const { tab, nodes } of exampleTabs()) {
    if (present.has(tab.id)) continue;
    added.push(tab.label);
    flows.push(tab);
    for (const node of nodes) {
      if (present.has(node.id)) continue; // a config node shared with an earlier example
      const { props, credentials } = fromEnvironment(node.type);
      const copy = { ...node, ...props };
      if (Object.keys(credentials).length > 0) copy.credentials = credentials;
      flows.push(copy);
      present.add(node.id);
    }
  }
  if (added.length > 0) {
    await adminRequest('POST', '/flows', flows);
    RED.log.info(`player-sync: imported ${added.join(', ')}`);
  }
}

const server = http.createServer((req, res) => {
  RED.httpAdmin(req, res, () => {
    RED.httpNode(req, res, () => {
      res.statusCode = 404;
      res.end('Not found');
    });
  });
});

/**
 * Runs Node-RED with `runSettings` on 127.0.0.1, then `afterStart` (for npm start: the examples), and prints the line
 * tests and scripts wait for; stops cleanly on SIGINT and SIGTERM. test/lib/secure-red.js runs it with the editor's
 * login on.
 */
function serve(runSettings, afterStart = async () => undefined) {
  const main = async () => {
    RED.init(server, runSettings);
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(runSettings.uiPort, host, resolve);
    });
    const flowsStarted = new Promise((resolve) => RED.events.once('flows:started', resolve));
    await RED.start();
    await flowsStarted;
    await afterStart();
    // Tests and scripts wait for this line.
    console.log(`player-sync: Node-RED is ready at http://${host}:${server.address().port}/`);
  };
  const stop = () => {
    RED.stop().finally(() => {
      server.close();
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  main().catch((err) => {
    console.error(`player-sync: could not start Node-RED: ${err.message}`);
    process.exit(1);
  });
}

if (require.main === module) serve(settings, importExamples);

module.exports = { serve, settings };
