#!/usr/bin/env node
// `npm start`'s Node-RED (scripts/start.js) with the editor's login switched on, for the permission tests: users
// come from PLAYER_SYNC_TEST_USERS (JSON: {name: {password, permissions}}). No examples are imported.
'use strict';
const { serve, settings } = require('../../scripts/start');

const users = JSON.parse(process.env.PLAYER_SYNC_TEST_USERS || '{}');
const user = (username) => ({ username, permissions: users[username].permissions });

serve({
  ...settings,
  credentialSecret: 'player-sync-test',
  adminAuth: {
    type: 'credentials',
    users: (username) => Promise.resolve(users[username] ? user(username) : null),
    authenticate: (username, password) =>
      Promise.resolve(users[username] && users[username].password === password ? user(username) : null),
  },
});
