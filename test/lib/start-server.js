// Runs `npm start`'s script (scripts/start.js) on a free loopback port with a throw-away user directory.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

async function startNodeRed(
  env = {},
  {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-nr-')),
    script = path.join(__dirname, '..', '..', 'scripts', 'start.js'),
  } = {},
) {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, PORT: '0', NODE_RED_USER_DIR: userDir, NODE_RED_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const m = /Node-RED is ready at (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`start.js exited with ${code}:\n${output}`)));
  });
  return {
    url,
    userDir,
    output: () => output,
    /** Whether the process still runs (nothing sent to it has ended it). */
    running: () => child.exitCode === null && child.signalCode === null,
    /** kill -9: no close handlers, no flushing; the user directory stays for a restart. */
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.on('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

/** The environment that points `npm start`'s example config nodes at a real Kodi and the two simulators. */
function playersEnv({ kodi, jellyfin, plex }) {
  return {
    KODI_HOST: '127.0.0.1',
    KODI_HTTP_PORT: String(kodi.httpPort),
    KODI_WS_PORT: String(kodi.wsPort),
    KODI_USERNAME: kodi.username,
    KODI_PASSWORD: kodi.password,
    JELLYFIN_URL: jellyfin.url,
    JELLYFIN_API_KEY: jellyfin.apiKey,
    PLEX_URL: plex.url,
    PLEX_TOKEN: plex.token,
  };
}

module.exports = { startNodeRed, playersEnv };
