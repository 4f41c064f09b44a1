'use strict';
require('should');
const { JellyfinClient } = require('../../nodes/players/jellyfin/client');
const { PlexClient } = require('../../nodes/players/plex/client');
const { PlayerError } = require('../../nodes/players/errors');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');

describe('Jellyfin client', function () {
  let sim;
  beforeEach(async function () {
    sim = await new JellyfinSim().start();
  });
  afterEach(async function () {
    await sim.stop();
  });

  const client = (over = {}) =>
    new JellyfinClient({ name: 'Den', url: sim.url, apiKey: sim.apiKey, deviceId: 'dev-1', ...over });

  it('authenticates with the MediaBrowser header only, never the legacy forms', async function () {
    const info = await client().systemInfo();
    info.should.match({ ServerName: 'Sim Jellyfin', Version: '10.10.7' });
    const req = sim.requests('/System/Info')[0];
    req.headers.authorization.should.equal(
      `MediaBrowser Token="${sim.apiKey}", Client="Node-RED player-sync", Device="Node-RED", ` +
        'DeviceId="dev-1", Version="0.1.0"',
    );
    req.headers.should.not.have.property('x-emby-token');
    req.headers.should.not.have.property('x-mediabrowser-token');
    req.query.should.not.have.property('api_key');
  });

  it('reads the public info without a key', async function () {
    (await client({ apiKey: '' }).publicInfo()).ServerName.should.equal('Sim Jellyfin');
  });

  it('a wrong key is an auth error naming the server, the call and the fix, without the key', async function () {
    const err = await client({ apiKey: 'wrong-key-999' }).systemInfo().should.be.rejectedWith(PlayerError);
    err.code.should.equal('auth');
    err.retryable.should.be.false();
    err.message.should.match(
      /^Jellyfin "Den" \(http:\/\/127\.0\.0\.1:\d+\): GET \/System\/Info failed: the API key was refused \(HTTP 401\)\. Create an API key/,
    );
    err.message.should.not.containEql('wrong-key-999');
  });

  it('a missing key is a config error, sent nowhere', async function () {
    const err = await client({ apiKey: '' }).systemInfo().should.be.rejected();
    err.code.should.equal('config');
    sim.requests().should.have.length(0);
  });

  it('a bad URL is a config error', async function () {
    for (const [url, reason] of [
      ['', /the URL is empty/],
      ['192.168.1.2:8096', /"192\.168\.1\.2:8096" has no http:\/\/ or https:\/\/ in front/],
      ['ftp://nas/jellyfin', /must start with http:\/\/ or https:\/\/, not ftp:/],
      ['http://user:pw@host:8096', /credential fields/],
      ['http://exa mple', /is not a URL/],
    ]) {
      const err = await client({ url }).systemInfo().should.be.rejected();
      err.code.should.equal('config');
      err.message.should.match(reason);
    }
  });

  it('an unreachable server is retryable and says what to check', async function () {
    await sim.stop();
    const err = await client().systemInfo().should.be.rejected();
    err.code.should.equal('unreachable');
    err.retryable.should.be.true();
    err.message.should.match(/connection refused.*Check the URL and that Jellyfin runs/);
  });
});

describe('Plex client', function () {
  let sim;
  beforeEach(async function () {
    sim = await new PlexSim().start();
  });
  afterEach(async function () {
    await sim.stop();
  });

  const client = (over = {}) =>
    new PlexClient({ name: 'Attic', url: sim.url, token: sim.token, clientId: 'client-uuid-1', ...over });

  it('sends the token, a stable client identifier and Accept: application/json', async function () {
    const info = await client().serverInfo();
    info.should.match({ friendlyName: 'Sim Plex', machineIdentifier: 'sim-plex-machine' });
    const req = sim.requests('/')[0];
    req.headers['x-plex-token'].should.equal(sim.token);
    req.headers['x-plex-client-identifier'].should.equal('client-uuid-1');
    req.headers.accept.should.equal('application/json');
    req.query.should.not.have.property('X-Plex-Token');
  });

  it('reads /identity without the token', async function () {
    (await client().identity()).machineIdentifier.should.equal('sim-plex-machine');
    sim.requests('/identity')[0].headers.should.not.have.property('x-plex-token');
  });

  it('a 401 is a dead token: reported once, never retried', async function () {
    const plex = client({ token: 'dead-token-777' });
    const first = await plex.serverInfo().should.be.rejectedWith(PlayerError);
    first.code.should.equal('auth');
    first.retryable.should.be.false();
    first.message.should.match(
      /^Plex "Attic" \(http:\/\/127\.0\.0\.1:\d+\): GET \/ failed: the token is dead \(HTTP 401\)\. The Plex token is dead or wrong/,
    );
    first.message.should.not.containEql('dead-token-777');
    const second = await plex.serverInfo().should.be.rejected();
    second.should.equal(first);
    sim.requests('/').should.have.length(1);
  });

  it('an answer that is not JSON is a protocol error', async function () {
    sim.handle = (req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>router</html>');
    const err = await client().serverInfo().should.be.rejected();
    err.code.should.equal('protocol');
    err.message.should.match(/the answer is an HTML page, not JSON/);
  });
});
