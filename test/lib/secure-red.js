#!/usr/bin/env node
// Node-RED with this package and the editor's login switched on, for the permission tests: users come from
// PLAYER_SYNC_TEST_USERS (JSON: {name: {password, permissions}}). Prints the same ready line as `npm start`.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const RED = require('node-red');

const root = path.resolve(__dirname, '..', '..');
const host = '127.0.0.1';
const users = JSON.parse(process.env.PLAYER_SYNC_TEST_USERS || '{}');
const userDir = process.env.NODE_RED_USER_DIR;
fs.mkdirSync(userDir, { recursive: true });

const settings = {
  uiHost: host,
  uiPort: 0,
  userDir,
  nodesDir: [root],
  flowFile: 'flows.json',
  httpAdminRoot: '/',
  httpNodeRoot: '/',
  credentialSecret: 'player-sync-test',
  logging: { console: { level: process.env.NODE_RED_LOG_LEVEL || 'warn', metrics: false, audit: false } },
  editorTheme: { tours: false, projects: { enabled: false } },
  telemetry: { enabled: false, updateNotification: false },
  externalModules: { palette: { allowInstall: false } },
  adminAuth: {
    type: 'credentials',
    users: (username) =>
      Promise.resolve(users[username] ? { username, permissions: users[username].permissions } : null),
    authenticate: (username, password) =>
      Promise.resolve(
        users[username] && users[username].password === password
          ? { username, permissions: users[username].permissions }
          : null,
      ),
  },
};

const server = http.createServer((req, res) => {
  RED.httpAdmin(req, res, () => {
    RED.httpNode(req, res, () => {
      res.statusCode = 404;
      res.end('Not found');
    });
  });
});

async function main() {
  RED.init(server, settings);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const flowsStarted = new Promise((resolve) => RED.events.once('flows:started', resolve));
  await RED.start();
  await flowsStarted;
  console.log(`player-sync: Node-RED is ready at http://${host}:${server.address().port}/`);
}

function stop() {
  RED.stop().finally(() => {
    server.close();
    process.exit(0);
  });
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

main().catch((err) => {
  console.error(`player-sync: could not start Node-RED: ${err.message}`);
  process.exit(1);
});
