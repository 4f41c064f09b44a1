'use strict';
// The config nodes' "Test connection" endpoint, through the admin API of `npm start`: what answers, with which
// name and version, never a secret in the answer.
require('should');
const { startNodeRed } = require('../lib/start-server');
const { KodiSim } = require('../sim/kodi-sim');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');

describe('Test connection (admin endpoint)', function () {
  this.timeout(60000);
  let nr;
  let kodi;
  let jellyfin;
  let plex;

  before(async function () {
    kodi = await new KodiSim({ password: 'kodi-secret-777' }).start();
    jellyfin = await new JellyfinSim().start();
    plex = await new PlexSim().start();
    nr = await startNodeRed();
    const flows = await (await fetch(`${nr.url}/flows`)).json();
    flows.push({
      id: 'tc-kodi',
      type: 'kodi-player',
      name: 'Stored',
      host: '127.0.0.1',
      httpPort: String(kodi.httpPort),
      wsPort: String(kodi.wsPort),
      credentials: { username: 'kodi', password: 'kodi-secret-777' },
    });
    const res = await fetch(`${nr.url}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flows),
    });
    res.status.should.equal(204);
  });
  after(async function () {
    if (nr) await nr.stop();
    for (const sim of [kodi, jellyfin, plex]) if (sim) await sim.stop();
  });

  const probe = async (type, body) => {
    const res = await fetch(`${nr.url}/player-sync/test-connection/${type}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    res.status.should.equal(200);
    const text = await res.text();
    for (const secret of ['kodi-secret-777', jellyfin.apiKey, plex.token, 'wrong-one'])
      text.should.not.containEql(secret);
    return JSON.parse(text);
  };
  const kodiSettings = (over = {}) => ({
    host: '127.0.0.1',
    httpPort: kodi.httpPort,
    wsPort: kodi.wsPort,
    ...over,
  });

  it('Kodi: the stored password is used when the dialog leaves it unchanged; name, version, HTTP, auth, WebSocket', async function () {
    const r = await probe('kodi-player', {
      id: 'tc-kodi',
      settings: kodiSettings(),
      credentials: { username: 'kodi', password: '__PWRD__' },
    });
    r.should.eql({
      ok: true,
      verdict: 'ok',
      name: 'Sim Kodi',
      version: '20.1 (20.1.0)',
      http: { ok: true },
      auth: { ok: true },
      websocket: { ok: true },
    });
  });

  it('Kodi: a wrong password shows as refused credentials, the WebSocket as it is', async function () {
    const r = await probe('kodi-player', {
      settings: kodiSettings(),
      credentials: { username: 'kodi', password: 'wrong-one' },
    });
    r.should.match({
      ok: false,
      http: { ok: true },
      auth: { ok: false, error: /wrong username or password/ },
      websocket: { ok: true },
    });
  });

  it('Kodi: a WebSocket port that answers HTTP is named as such', async function () {
    const r = await probe('kodi-player', {
      id: 'tc-kodi',
      settings: kodiSettings({ wsPort: kodi.httpPort }),
      credentials: { password: '__PWRD__' },
    });
    r.should.match({
      ok: false,
      auth: { ok: true },
      websocket: { ok: false, error: /answered HTTP 404, not a WebSocket/ },
    });
  });

  it('Jellyfin: server name and version, and whether the key works', async function () {
    const good = await probe('jellyfin-server', {
      settings: { url: jellyfin.url },
      credentials: { apiKey: jellyfin.apiKey },
    });
    good.should.eql({
      ok: true,
      verdict: 'ok',
      name: 'Sim Jellyfin',
      version: '10.10.7',
      http: { ok: true },
      auth: { ok: true },
    });
    const bad = await probe('jellyfin-server', {
      settings: { url: jellyfin.url },
      credentials: { apiKey: 'wrong-one' },
    });
    bad.should.match({ ok: false, http: { ok: true }, auth: { ok: false, error: /API key was refused/ } });
  });

  it('Plex: server name and version, and whether the token works', async function () {
    const good = await probe('plex-server', {
      settings: { url: plex.url },
      credentials: { token: plex.token },
    });
    good.should.eql({
      ok: true,
      verdict: 'ok',
      name: 'Sim Plex',
      version: plex.version,
      http: { ok: true },
      auth: { ok: true },
    });
    const bad = await probe('plex-server', {
      settings: { url: plex.url },
      credentials: { token: 'wrong-one' },
    });
    bad.should.match({ ok: false, http: { ok: true }, auth: { ok: false, error: /token is dead/ } });
  });

  it('an unreachable server is said so', async function () {
    const r = await probe('jellyfin-server', {
      settings: { url: 'http://127.0.0.1:1' },
      credentials: { apiKey: 'x' },
    });
    r.should.match({ ok: false, http: { ok: false, error: /connection refused/ } });
  });
});
