'use strict';
// The package's admin endpoints over HTTP, against `npm start`'s Node-RED with the editor's login on: every route
// refuses anyone without the config node type's write permission; Plex sign-in goes PIN → approval → the account's
// servers → the picked server's token stored as the config node's credential, with no token in any answer; the
// token check names the account or says the token was refused; discovery answers from loopback responders within
// 3 s. plex.tv is the loopback simulator (settings.js playerSync.plexTvUrl / plexClientsUrl).
require('should');
const path = require('node:path');
const { startNodeRed } = require('../lib/start-server');
const { PlexTvSim } = require('../sim/plextv-sim');
const { PlexSim } = require('../sim/plex-sim');
const { gdmResponder, jellyfinResponder, mdnsResponder } = require('../sim/discovery-sim');

const users = {
  admin: { password: 'admin-pw', permissions: '*' },
  plexwriter: { password: 'pw-pw', permissions: ['read', 'plex-server.write'] },
  reader: { password: 'r-pw', permissions: ['read'] },
};

describe('admin endpoints (sign-in, token check, discovery) with the editor login on', function () {
  this.timeout(60000);
  let nr;
  let tv;
  let plex;
  const responders = [];
  const tokens = {};
  /** Every answer body seen, to search for secrets. */
  const bodies = [];

  const call = async (who, method, route, body) => {
    const res = await fetch(`${nr.url}${route}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(who ? { Authorization: `Bearer ${tokens[who]}` } : {}),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    bodies.push(text);
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  };

  before(async function () {
    tv = await new PlexTvSim({ machines: ['machine-a', 'machine-b'] }).start();
    tv.machines.get('machine-a').connections = [
      {
        protocol: 'https',
        address: '5.6.7.8',
        port: 443,
        uri: 'https://5-6-7-8.abc.plex.direct:443',
        local: false,
        relay: true,
      },
      {
        protocol: 'https',
        address: '1.2.3.4',
        port: 32400,
        uri: 'https://1-2-3-4.abc.plex.direct:32400',
        local: false,
        relay: false,
      },
      {
        protocol: 'http',
        address: '192.168.1.10',
        port: 32400,
        uri: 'http://192.168.1.10:32400',
        local: true,
        relay: false,
      },
      { protocol: 'file', address: 'x', port: 1, uri: 'file:///etc/passwd', local: true, relay: false },
    ];
    plex = await new PlexSim().start();
    responders.push(await gdmResponder(), await jellyfinResponder(), await mdnsResponder());
    const [gdm, jf, mdns] = responders;
    nr = await startNodeRed(
      {
        PLAYER_SYNC_TEST_USERS: JSON.stringify(users),
        PLAYER_SYNC_SETTINGS: JSON.stringify({
          plexTvUrl: tv.url,
          plexClientsUrl: tv.url,
          discovery: { plex: gdm.target, jellyfin: jf.target, kodi: mdns.target },
        }),
      },
      { script: path.join(__dirname, '..', 'lib', 'secure-red.js') },
    );
    for (const [username, { password, permissions }] of Object.entries(users)) {
      const res = await fetch(`${nr.url}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          client_id: 'node-red-admin',
          grant_type: 'password',
          scope: [].concat(permissions).join(' '),
          username,
          password,
        }),
      });
      tokens[username] = (await res.json()).access_token;
    }
    const deployed = await call('admin', 'POST', '/flows', [
      { id: 'tab', type: 'tab' },
      {
        id: 'stored-plex',
        type: 'plex-server',
        url: plex.url,
        clientId: 'c',
        credentials: { token: plex.token },
      },
      {
        id: 'other-jf',
        type: 'jellyfin-server',
        url: 'http://127.0.0.1:1',
        credentials: { apiKey: 'jf-secret-key' },
      },
    ]);
    deployed.status.should.equal(204);
  });
  after(async function () {
    if (nr) await nr.stop();
    for (const r of responders) await r.close();
    if (tv) await tv.stop();
    if (plex) await plex.stop();
  });

  const ROUTES = [
    ['POST', '/player-sync/plex/sign-in', 'plex-server'],
    ['GET', `/player-sync/plex/sign-in/${'a'.repeat(48)}`, 'plex-server'],
    ['POST', `/player-sync/plex/sign-in/${'a'.repeat(48)}/use`, 'plex-server'],
    ['POST', '/player-sync/plex/check-token', 'plex-server'],
    ['GET', '/player-sync/discover/plex', 'plex-server'],
    ['GET', '/player-sync/discover/jellyfin', 'jellyfin-server'],
    ['GET', '/player-sync/discover/kodi', 'kodi-player'],
    ['POST', '/player-sync/test-connection/plex-server', 'plex-server'],
    ['POST', '/player-sync/test-connection/jellyfin-server', 'jellyfin-server'],
    ['POST', '/player-sync/test-connection/kodi-player', 'kodi-player'],
  ];

  it('every route refuses anyone without the write permission of its config node type', async function () {
    for (const [method, route, type] of ROUTES) {
      const body = method === 'POST' ? {} : undefined;
      (await call(undefined, method, route, body)).status.should.equal(401, `${method} ${route} anonymous`);
      (await call('reader', method, route, body)).status.should.equal(401, `${method} ${route} reader`);
      const plexOnly = await call('plexwriter', method, route, body);
      if (type === 'plex-server') plexOnly.status.should.not.equal(401, `${method} ${route} plex writer`);
      else plexOnly.status.should.equal(401, `${method} ${route} plex writer`);
    }
  });

  it('the Players board: health needs the read permission, retry and drop the write one; no secret in it', async function () {
    const BOARD = [
      ['GET', '/player-sync/health', 'read'],
      ['POST', '/player-sync/queues/retry', 'write'],
      ['POST', '/player-sync/queues/drop', 'write'],
    ];
    for (const [method, route, needs] of BOARD) {
      const body = method === 'POST' ? { queue: 'nothing/here', item: 'none' } : undefined;
      (await call(undefined, method, route, body)).status.should.equal(401, `${method} ${route} anonymous`);
      const reader = await call('reader', method, route, body);
      if (needs === 'read') reader.status.should.not.equal(401, `${method} ${route} reader`);
      else reader.status.should.equal(401, `${method} ${route} reader`);
      (await call('plexwriter', method, route, body)).status.should.equal(
        needs === 'read' ? 200 : 401,
        `${method} ${route} with another type's write permission`,
      );
    }
    // An admin may; there is nothing by those ids to retry or drop.
    (
      await call('admin', 'POST', '/player-sync/queues/retry', { queue: 'x/y', item: 'z' })
    ).status.should.equal(409);
    (await call('admin', 'POST', '/player-sync/queues/drop', { queue: 5, item: [] })).status.should.equal(
      400,
    );
    const health = await call('reader', 'GET', '/player-sync/health');
    health.status.should.equal(200);
    health.json.players
      .map((p) => [p.id, p.type])
      .should.containDeep([
        ['stored-plex', 'plex'],
        ['other-jf', 'jellyfin'],
      ]);
    health.text.should.not.containEql(plex.token);
    health.text.should.not.containEql('jf-secret-key');
  });

  it("signs in with a PIN and stores the picked server's token, never showing a token", async function () {
    const start = await call('plexwriter', 'POST', '/player-sync/plex/sign-in', {
      clientId: 'editor-client-1',
    });
    start.status.should.equal(200);
    start.json.should.have.properties(['session', 'code', 'link', 'expiresAt']);
    start.json.link.should.startWith('https://app.plex.tv/auth#?');
    start.json.link.should.containEql(`code=${start.json.code}`);
    start.json.link.should.containEql('clientID=editor-client-1');
    // plex.tv got a strong PIN request with our client id and product, and no token.
    const made = tv.log.find((r) => r.path === '/api/v2/pins' && r.method === 'POST');
    made.query.strong.should.equal('true');
    made.headers['x-plex-client-identifier'].should.equal('editor-client-1');
    made.headers.should.not.have.property('x-plex-token');

    const session = `/player-sync/plex/sign-in/${start.json.session}`;
    (await call('plexwriter', 'GET', session)).json.state.should.equal('waiting');
    tv.approve(start.json.code);
    let state;
    for (let i = 0; i < 100 && (!state || state.state === 'waiting'); i++) {
      // plex.tv is asked at most once a second: poll until the approval is seen.
      state = (await call('plexwriter', 'GET', session)).json;
      if (state.state === 'waiting') await new Promise((r) => setTimeout(r, 200));
    }
    state.state.should.equal('signed-in');
    state.account.should.equal(tv.owner.title);
    state.servers.map((s) => s.id).should.eql(['machine-a', 'machine-b']);
    // Local first, relay last; an address that is not http(s) left out.
    state.servers[0].connections
      .map((c) => c.uri)
      .should.eql([
        'http://192.168.1.10:32400',
        'https://1-2-3-4.abc.plex.direct:32400',
        'https://5-6-7-8.abc.plex.direct',
      ]);

    // Only a listed server and address, for a plex-server node.
    (
      await call('plexwriter', 'POST', `${session}/use`, {
        node: 'stored-plex',
        server: 'machine-a',
        uri: 'file:///etc/passwd',
      })
    ).status.should.equal(400);
    (
      await call('plexwriter', 'POST', `${session}/use`, {
        node: 'other-jf',
        server: 'machine-a',
        uri: 'http://192.168.1.10:32400',
      })
    ).status.should.equal(400);
    const used = await call('plexwriter', 'POST', `${session}/use`, {
      node: 'new-plex-node',
      server: 'machine-a',
      uri: 'http://192.168.1.10:32400',
    });
    used.status.should.equal(200);
    used.json.should.eql({
      ok: true,
      url: 'http://192.168.1.10:32400',
      name: 'Server 1',
      account: tv.owner.title,
    });
    // A sign-in is used once.
    (await call('plexwriter', 'GET', session)).status.should.equal(404);

    // The stored token is the server's: the token check of that node (not deployed yet) names the account.
    const checked = await call('plexwriter', 'POST', '/player-sync/plex/check-token', {
      id: 'new-plex-node',
    });
    checked.json.should.eql({ ok: true, account: tv.owner.title });
    const asked = tv.log.filter((r) => r.path === '/api/v2/user').at(-1);
    asked.headers['x-plex-token'].should.equal(tv.machines.get('machine-a').token);

    // A deploy keeps it: the editor sends the unchanged password field as "__PWRD__".
    const flows = (await call('admin', 'GET', '/flows')).json;
    const deploy = await call('admin', 'POST', '/flows', [
      ...flows,
      {
        id: 'new-plex-node',
        type: 'plex-server',
        url: used.json.url,
        clientId: 'editor-client-1',
        credentials: { token: '__PWRD__' },
      },
    ]);
    deploy.status.should.equal(204);
    (
      await call('plexwriter', 'POST', '/player-sync/plex/check-token', { id: 'new-plex-node' })
    ).json.ok.should.be.true();

    for (const body of bodies) {
      body.should.not.containEql(tv.ownerToken);
      for (const { token } of tv.machines.values()) body.should.not.containEql(token);
    }
  });

  it("a PIN that runs out says so; a refused token says so; another node's secret is never sent", async function () {
    const start = await call('admin', 'POST', '/player-sync/plex/sign-in', { clientId: 'editor-client-2' });
    tv.expire(start.json.code);
    const session = `/player-sync/plex/sign-in/${start.json.session}`;
    let state;
    for (let i = 0; i < 100 && (!state || state.state === 'waiting'); i++) {
      state = (await call('admin', 'GET', session)).json;
      if (state.state === 'waiting') await new Promise((r) => setTimeout(r, 200));
    }
    state.state.should.equal('expired');

    const wrong = await call('admin', 'POST', '/player-sync/plex/check-token', {
      token: 'not-a-valid-token',
    });
    wrong.json.ok.should.be.false();
    wrong.json.error.should.match(/refused this token \(HTTP 401\)/);
    // The Jellyfin node's key is not a Plex token: nothing is sent.
    const before = tv.log.length;
    const other = await call('admin', 'POST', '/player-sync/plex/check-token', { id: 'other-jf' });
    other.json.ok.should.be.false();
    tv.log.length.should.equal(before);
    for (const body of bodies) body.should.not.containEql('jf-secret-key');
  });

  it('discovery answers from the LAN within 3 s, for each kind', async function () {
    for (const [kind, name] of [
      ['plex', 'Sim Plex'],
      ['jellyfin', 'Sim Jellyfin'],
      ['kodi', 'Kodi (livingroom)'],
    ]) {
      const t0 = Date.now();
      const res = await call('admin', 'GET', `/player-sync/discover/${kind}`);
      (Date.now() - t0).should.be.below(3500, kind);
      res.json.ok.should.be.true();
      res.json.found.map((f) => f.name).should.eql([name], kind);
    }
  });

  it('hostile request bodies are answered, not a crash', async function () {
    for (const body of [
      '[]',
      '"x"',
      'null',
      '{"clientId":{}}',
      '{"clientId":"a b\\u0000"}',
      '{"node":{},"server":[]}',
    ]) {
      for (const route of [
        '/player-sync/plex/sign-in',
        `/player-sync/plex/sign-in/${'b'.repeat(48)}/use`,
        '/player-sync/plex/check-token',
      ]) {
        const res = await call('admin', 'POST', route, body);
        res.status.should.be.below(500, `${route} ${body}`);
      }
    }
    (await call('admin', 'GET', '/player-sync/plex/sign-in/..%2F..%2Fetc')).status.should.equal(404);
    nr.running().should.be.true('Node-RED still runs');
  });
});
