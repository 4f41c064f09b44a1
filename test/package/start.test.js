'use strict';
require('should');
const fs = require('node:fs');
const path = require('node:path');
const { startNodeRed } = require('../lib/start-server');

const pkg = require('../../package.json');

describe('npm start', function () {
  this.timeout(60000);
  let nr;

  before(async function () {
    nr = await startNodeRed();
  });
  after(async function () {
    if (nr) await nr.stop();
  });

  async function api(method, url, body, headers = {}) {
    const res = await fetch(nr.url + url, {
      method,
      headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    res.ok.should.be.true(`${method} ${url} answered ${res.status}`);
    return res.status === 204 ? undefined : res.json();
  }

  it('listens on 127.0.0.1 only', function () {
    nr.url.should.match(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('lists every type of the package in the palette', async function () {
    const sets = await api('GET', '/nodes');
    const ours = sets.filter((s) => s.module === pkg.name);
    ours.should.not.be.empty();
    ours.forEach((s) => s.enabled.should.be.true());
    ours.forEach((s) => (s.err === undefined).should.be.true(`${s.id}: ${s.err}`));
    const types = ours.flatMap((s) => s.types).sort();
    types.should.eql(Object.keys(pkg['node-red'].nodes).sort());
  });

  it('imports every example as a tab', async function () {
    const flows = await api('GET', '/flows');
    const tabs = flows.filter((n) => n.type === 'tab').map((n) => n.label);
    const examples = fs
      .readdirSync(path.join(__dirname, '..', '..', 'examples'))
      .filter((f) => f.endsWith('.json'));
    examples.should.not.be.empty();
    for (const file of examples) tabs.should.containEql(`Example: ${file.replace(/\.json$/, '')}`);
  });

  it('keeps kodi-player credentials as credentials and never sends the password back', async function () {
    const flows = await api('GET', '/flows');
    flows.push({
      id: 'cred-test-kodi',
      type: 'kodi-player',
      name: 'Cred test',
      host: '127.0.0.1',
      httpPort: '1',
      wsPort: '2',
      credentials: { username: 'kodi', password: 'pa55-word-never-echoed' },
    });
    await api('POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'full' });
    const after = await api('GET', '/flows');
    const saved = after.find((n) => n.id === 'cred-test-kodi');
    saved.should.not.have.properties('password', 'username', 'credentials');
    JSON.stringify(after).should.not.containEql('pa55-word-never-echoed');
    const creds = await api('GET', '/credentials/kodi-player/cred-test-kodi');
    creds.should.eql({ username: 'kodi', has_password: true });
    const files = fs.readdirSync(nr.userDir).map((f) => path.join(nr.userDir, f));
    for (const file of files.filter((f) => fs.statSync(f).isFile())) {
      fs.readFileSync(file, 'utf8').should.not.containEql('pa55-word-never-echoed');
    }
  });

  it("serves the path-mappings dialog's live test box", async function () {
    const rules = [{ from: '/data/movies', to: 'smb://nas/movies' }];
    const mapped = await api('POST', '/player-sync/path-mappings/preview', {
      rules,
      path: '/data/movies/Film/',
    });
    mapped.should.match({ ok: true, path: 'smb://nas/movies/Film/', matched: true, rule: 0 });
    const back = await api('POST', '/player-sync/path-mappings/preview', {
      rules,
      path: 'smb://NAS/movies/Film/',
      direction: 'reverse',
    });
    back.path.should.equal('/data/movies/Film/');
    const bad = await api('POST', '/player-sync/path-mappings/preview', { rules, path: 'relative/x' });
    bad.should.match({ ok: false, error: /relative/ });
  });

  it("serves each type's texts, and the status texts under the catalog the runtime asks", async function () {
    const { CATALOG } = require('../../nodes/node-red/status.js');
    const statusTexts = (await api('GET', `/locales/${CATALOG}?lng=en-US`))['player-sync'].status;
    statusTexts.should.match({ connected: 'connected', active: 'active: __title__' });
    for (const type of Object.keys(pkg['node-red'].nodes)) {
      const catalog = await api('GET', `/locales/${pkg.name}/${type}?lng=en-US`);
      Object.keys(catalog).should.eql([type]);
    }
  });

  it('serves the editor page', async function () {
    const res = await fetch(nr.url + '/');
    res.status.should.equal(200);
    (await res.text()).should.match(/Node-RED/);
  });
});
