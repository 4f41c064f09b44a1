'use strict';
// The editor as a user meets it, in Debian's Chromium against `npm start`: the palette, every edit dialog
// (validation in red, then a good save), config nodes made from a flow node's "+" button with Test connection, a
// deploy that connects to the real Kodi and runs, the help sidebar, no errors in the browser console, and a
// screenshot of an example flow kept in test/artifacts/.
// Every step waits for what a user would wait for (the dialog open, the field red, the deploy done), never for a
// fixed time: LIMIT_MS only bounds a step that never comes, so a busy machine makes a run slower, not red.
// The functions given to page.evaluate() run in the editor's page, where these are defined.
/* global RED, $, document, window, getComputedStyle */
require('should');
const fs = require('node:fs');
const path = require('node:path');
const { startNodeRed, playersEnv } = require('../lib/start-server');
const { launchChromium, missingChromiumPackages, artifactPath } = require('../lib/browser');
const { sharedKodi, missingKodiPackages } = require('../kodi-real/kodi-harness');
const { skipUnlessInstalled } = require('../lib/skips');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');
const { PlexTvSim } = require('../sim/plextv-sim');
const {
  gdmAnswer,
  gdmResponder,
  serverAnswer,
  jellyfinResponder,
  kodiAnswer,
  mdnsResponder,
} = require('../sim/discovery-sim');

const pkg = require('../../package.json');
const bodies = require('../fixtures/arr-bodies.json');

const TYPES = Object.keys(pkg['node-red'].nodes);
const CONFIG_TYPES = ['kodi-player', 'jellyfin-server', 'plex-server', 'path-mappings'];
const FLOW_TYPES = TYPES.filter((t) => !CONFIG_TYPES.includes(t));

/** The longest one step may take (a dialog to open, a deploy, a scan to show): a limit for a fault, not a pause. */
const LIMIT_MS = 120000;

describe('the editor in Chromium', function () {
  this.timeout(5 * LIMIT_MS);
  let kodi;
  let jellyfin;
  let plex;
  let tv;
  const responders = [];
  let nr;
  let browser;
  let page;
  const consoleErrors = [];

  before(async function () {
    skipUnlessInstalled(this, [...missingChromiumPackages(), ...missingKodiPackages()], 'the editor tests');
    browser = await launchChromium(this);
    kodi = await sharedKodi(this);
    jellyfin = await new JellyfinSim().start();
    jellyfin.addLibrary('Movies', 'movies', ['/media/movies']); // as the examples' mappings write it
    plex = await new PlexSim().start();
    plex.addSection('Movies', 'movie', ['/media/movies']);
    // plex.tv (sign-in) and the LAN (discovery) on loopback: what they hand out points at the simulators.
    tv = await new PlexTvSim({ machines: ['sim-plex-machine'] }).start();
    Object.assign(tv.machines.get('sim-plex-machine'), {
      name: 'Sim Plex',
      token: plex.token,
      connections: [
        {
          protocol: 'https',
          address: '5.6.7.8',
          port: 443,
          uri: 'https://5-6-7-8.x.plex.direct',
          relay: true,
        },
        { protocol: 'http', address: '127.0.0.1', port: plex.port, uri: plex.url, local: true, relay: false },
      ],
    });
    responders.push(
      await gdmResponder([gdmAnswer({ Name: 'Sim Plex', Port: String(plex.port) })]),
      await jellyfinResponder([serverAnswer({ Address: jellyfin.url, Name: 'Sim Jellyfin' })]),
      await mdnsResponder((id) => [
        kodiAnswer(id, { instance: 'Kodi (test)', address: '127.0.0.1', port: kodi.httpPort }),
      ]),
    );
    // The examples' config nodes point at the real Kodi and the simulators, as a user's would at theirs.
    nr = await startNodeRed({
      ...playersEnv({ kodi, jellyfin, plex }),
      PLAYER_SYNC_SETTINGS: JSON.stringify({
        plexTvUrl: tv.url,
        plexClientsUrl: tv.url,
        discovery: { plex: responders[0].target, jellyfin: responders[1].target, kodi: responders[2].target },
      }),
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    page.setDefaultTimeout(LIMIT_MS);
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
    await page.goto(nr.url);
    await page.locator('.red-ui-palette-node[data-palette-type="kodi-scan"]').waitFor();
  });
  afterEach(async function () {
    // A test that failed half-way leaves no dialog open for the next one.
    if (!page) return;
    if (this.currentTest.state === 'failed') {
      const name = this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await page.screenshot({ path: artifactPath(`failed-${name}.png`) });
    }
    await page.evaluate(() => {
      for (const n of document.querySelectorAll('.red-ui-notification')) n.close?.(); // a question left open
      for (let i = 0; i < 5 && document.querySelector('.red-ui-tray'); i++) RED.tray.close();
    });
    await page.waitForFunction(() => !document.querySelector('.red-ui-tray'));
  });
  after(async function () {
    this.timeout(30000);
    if (browser) await browser.close();
    if (nr) await nr.stop();
    if (jellyfin) await jellyfin.stop();
    if (plex) await plex.stop();
    if (tv) await tv.stop();
    for (const r of responders) await r.close();
  });

  /** Drags a node of `type` from the palette onto the canvas of the active tab; resolves with its id. */
  async function dragFromPalette(type, x, y) {
    const before = await nodeIds(type);
    const item = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
    await item.scrollIntoViewIfNeeded();
    const from = await item.boundingBox();
    const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
    const start = { x: from.x + from.width / 2, y: from.y + from.height / 2 };
    const end = { x: chart.x + x, y: chart.y + y };
    await page.mouse.move(start.x, start.y);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) {
      await page.mouse.move(start.x + ((end.x - start.x) * i) / 10, start.y + ((end.y - start.y) * i) / 10);
    }
    await page.mouse.up();
    await page.waitForFunction(
      ({ t, known }) => {
        let added = false;
        RED.nodes.eachNode((n) => {
          if (n.type === t && !known.includes(n.id)) added = true;
        });
        return added;
      },
      { t: type, known: before },
    );
    const added = (await nodeIds(type)).filter((id) => !before.includes(id));
    added.should.have.length(1, `one ${type} dropped on the canvas`);
    return added[0];
  }

  function nodeIds(type) {
    return page.evaluate((t) => {
      const ids = [];
      RED.nodes.eachNode((n) => {
        if (n.type === t) ids.push(n.id);
      });
      return ids;
    }, type);
  }

  const node = (id) =>
    page.evaluate((i) => {
      const n = RED.nodes.node(i);
      const copy = {};
      for (const key of Object.keys(n._def.defaults)) copy[key] = n[key];
      return { ...copy, valid: n.valid, type: n.type };
    }, id);

  const isRed = async (selector) =>
    /\binput-error\b/.test((await page.locator(selector).getAttribute('class')) || '');

  /** Waits for the field's red mark to come or go (Node-RED re-checks a field when a config dialog closes). */
  async function becomes(selector, red) {
    await page.waitForFunction(
      ({ sel, want }) => /\binput-error\b/.test(document.querySelector(sel)?.className || '') === want,
      { sel: selector, want: red },
    );
  }

  async function typeInto(selector, value) {
    await page.fill(selector, String(value));
    await page.press(selector, 'Tab');
  }

  let openings = 0;
  /**
   * Does `action` and waits until the dialog it opens is open: Node-RED puts a tray with its buttons on the page
   * first, builds and validates the form (oneditprepare) next, and only then slides the tray in (right: 0). The
   * trays on the page before `action` do not count. `form` is what the dialog holds: '#dialog-form' for a flow
   * node, '#node-config-dialog-edit-form' for a config node.
   */
  async function dialogOpenedBy(action, form) {
    // Marked with this opening's number (a tray keeps its mark while a dialog above it is open).
    const mark = String(++openings);
    await page.evaluate((m) => {
      for (const tray of document.querySelectorAll('#red-ui-editor-stack > .red-ui-tray'))
        tray.setAttribute('data-before', m);
    }, mark);
    await action();
    await page.waitForFunction(
      ({ sel, m }) => {
        const top = [...document.querySelectorAll('#red-ui-editor-stack > .red-ui-tray')].pop();
        return (
          !!top &&
          top.getAttribute('data-before') !== m &&
          top.style.right === '0px' &&
          !!top.querySelector(sel)
        );
      },
      { sel: form, m: mark },
    );
  }

  async function openDialog(id) {
    await dialogOpenedBy(() => page.locator(`[id="${id}"] .red-ui-flow-node`).dblclick(), '#dialog-form');
  }

  /** What a user would notice in the open dialog: a text shown as its message key, an empty label, a text field
   * with no placeholder. */
  function dialogProblems() {
    return page.evaluate(() => {
      const top = [...document.querySelectorAll('#red-ui-editor-stack > .red-ui-tray')].pop();
      const form = top?.querySelector('#dialog-form, #node-config-dialog-edit-form');
      if (!form) return ['no edit form in the open dialog'];
      const problems = [];
      const raw = /\b[a-z-]+\.(label|option|placeholder|tip|unit|test|outputs|name)\.[A-Za-z_.]+/;
      if (raw.test(form.innerText)) problems.push(`raw key in the text: ${raw.exec(form.innerText)[0]}`);
      for (const label of form.querySelectorAll('label[for]')) {
        if (!label.innerText.trim()) problems.push(`empty label for #${label.htmlFor}`);
      }
      for (const input of form.querySelectorAll('input[type=text], input[type=password]')) {
        if (input.offsetParent === null || input.closest('.red-ui-typedInput-container')) continue;
        if (input.id.startsWith('red-ui-')) continue; // Node-RED's own (its trap for browsers' autofill)
        const placeholder = input.getAttribute('placeholder') || '';
        if (!placeholder.trim()) problems.push(`no placeholder: #${input.id || input.className}`);
        if (raw.test(placeholder)) problems.push(`raw key as placeholder: ${placeholder}`);
      }
      return problems;
    });
  }

  async function done() {
    await page.click('#node-dialog-ok');
    await page.locator('#node-dialog-ok').waitFor({ state: 'detached' });
  }

  /** Clicks the "+" beside a config field (of a flow node's dialog, or of a config dialog with `prefix`). */
  async function addConfigFrom(field, prefix = 'node-input') {
    await dialogOpenedBy(() => page.click(`#${prefix}-btn-${field}-add`), '#node-config-dialog-edit-form');
  }

  /** Clicks the open config dialog's Add/Update; resolves when it has gone and the dialog below it is open again. */
  async function saveConfig() {
    // Node-RED keeps the trays below the top one off the page, and slides the one below back in after it.
    const below = await page.evaluate(() => {
      const top = [...document.querySelectorAll('#red-ui-editor-stack > .red-ui-tray')].pop();
      top.setAttribute('data-closing', '');
      return top.querySelectorAll('.red-ui-tray-breadcrumbs > li').length > 1;
    });
    const click = async () => {
      await page.locator('[data-closing] #node-config-dialog-ok').click();
      await page.locator('[data-closing]').waitFor({ state: 'detached' });
    };
    if (below) await dialogOpenedBy(click, '#dialog-form, #node-config-dialog-edit-form');
    else await click();
  }

  /**
   * Clicks Deploy and waits until the new flows run: the editor's "deploy" event (the runtime has taken the flows:
   * "Successfully deployed") and then the runtime's own word that it has started that revision (it answers the
   * deploy before its nodes start, e.g. before an http in route exists). A deploy that fails, or stops at a
   * question, fails at once, saying so.
   */
  async function deploy() {
    const before = await page.evaluate(() => {
      if (!window.psDeploys) {
        window.psDeploys = { done: 0, failed: '', running: undefined };
        RED.events.on('deploy', () => window.psDeploys.done++);
        RED.comms.subscribe('notification/runtime-deploy', (topic, msg) => {
          window.psDeploys.running = msg.revision;
        });
        $(document).on('ajaxError', (event, xhr, settings) => {
          if (settings.type === 'POST' && /(^|\/)flows$/.test(settings.url))
            window.psDeploys.failed = `HTTP ${xhr.status} ${xhr.responseText}`;
        });
      }
      window.psDeploys.failed = '';
      return window.psDeploys.done;
    });
    await page.click('#red-ui-header-button-deploy');
    const outcome = await page.waitForFunction((n) => {
      if (window.psDeploys.done > n && window.psDeploys.running === RED.nodes.version()) return 'deployed';
      if (window.psDeploys.failed) return `deploy failed: ${window.psDeploys.failed}`;
      // A question (invalid nodes, a conflict) is a modal notification over a full-page shade.
      const shade = document.querySelector('#red-ui-full-shade');
      if (shade && getComputedStyle(shade).display !== 'none') {
        const asked = [...document.querySelectorAll('.red-ui-notification')].map((e) => e.innerText);
        return `deploy stopped at a question: ${asked.join(' | ')}`;
      }
      return false;
    }, before);
    (await outcome.jsonValue()).should.equal('deployed');
    (await page.evaluate(() => RED.nodes.dirty())).should.be.false('nothing left to deploy');
  }

  /** Clicks Test connection in an open config dialog; resolves with the line it shows. */
  async function testConnection() {
    await page.click('#ps-test-connection');
    const result = page.locator('#ps-test-connection-result');
    await page.waitForFunction(
      () => !/testing/.test(document.querySelector('#ps-test-connection-result').textContent),
    );
    return (await result.textContent()).trim();
  }

  it('shows every flow node of the package in the palette under "player sync", with a readable label', async function () {
    const category = page.locator('#red-ui-palette-player_sync, [id="red-ui-palette-player sync"]');
    (await category.count()).should.be.above(0, 'a "player sync" palette category');
    for (const type of FLOW_TYPES) {
      const item = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
      (await item.count()).should.equal(1, `${type} in the palette`);
      const label = (await item.locator('.red-ui-palette-label').textContent()).trim();
      label.should.not.match(/\.|^$/, `${type}'s palette label "${label}"`);
      const style = await item.locator('.red-ui-palette-icon').getAttribute('style');
      const icon = /url\("?([^")]+\.svg)"?\)/.exec(style);
      (icon !== null).should.be.true(`${type}: an SVG icon (${style})`);
      const res = await page.request.get(new URL(icon[1], nr.url + '/').href);
      res.status().should.equal(200, `${type}'s icon ${icon[1]}`);
      (await res.text()).should.match(/^<svg /);
    }
    const palette = page.locator(
      '#red-ui-palette-container-player_sync, [id="red-ui-palette-container-player sync"]',
    );
    await palette.first().screenshot({ path: artifactPath('palette.png') });
  });

  it('kodi-scan from the palette: red until a Kodi is added with "+", Test connection names the real Kodi, Done saves', async function () {
    await page.evaluate(() => RED.actions.invoke('core:add-flow'));
    const scan = await dragFromPalette('kodi-scan', 320, 160);
    await openDialog(scan);
    (await dialogProblems()).should.eql([], "kodi-scan's dialog");
    (await isRed('#node-input-kodi')).should.be.true('no Kodi chosen yet: the Kodi field is red');
    await typeInto('#node-input-timeout', 'soon');
    (await isRed('#node-input-timeout')).should.be.true('a timeout that is not a number is red');
    await typeInto('#node-input-timeout', '45');
    (await isRed('#node-input-timeout')).should.be.false();

    await addConfigFrom('kodi');
    (await dialogProblems()).should.eql([], "kodi-player's dialog");
    await typeInto('#node-config-input-name', 'Living room');
    await typeInto('#node-config-input-host', 'kodi box');
    (await isRed('#node-config-input-host')).should.be.true('a host with a space is red');
    await typeInto('#node-config-input-host', '127.0.0.1');
    (await isRed('#node-config-input-host')).should.be.false();
    await typeInto('#node-config-input-httpPort', 'eighty');
    (await isRed('#node-config-input-httpPort')).should.be.true();
    await typeInto('#node-config-input-httpPort', '${KODI_HTTP_PORT}');
    (await isRed('#node-config-input-httpPort')).should.be.false('an environment variable is fine');
    await typeInto('#node-config-input-httpPort', kodi.httpPort);
    await typeInto('#node-config-input-wsPort', kodi.wsPort);
    await typeInto('#node-config-input-username', kodi.username);
    await typeInto('#node-config-input-password', 'wrong');
    (await testConnection()).should.match(/^✗ .*auth failed/);
    await typeInto('#node-config-input-password', kodi.password);
    const line = await testConnection();
    line.should.match(/^✓ .*HTTP ok, auth ok, WebSocket ok/);
    line.should.not.containEql(kodi.password);

    // path-mappings, from the kodi-player dialog's own "+": a rule without its other half is red.
    await addConfigFrom('mappings', 'node-config-input');
    await page.click('.red-ui-editableList-addButton');
    (await dialogProblems()).should.eql([], "path-mappings' dialog");
    await page.locator('.ps-rule-from').last().fill('/library/movies');
    await page.locator('.ps-rule-from').last().press('Tab');
    (await page.locator('.ps-rule-to').last().getAttribute('class')).should.match(/input-error/);
    await page.locator('.ps-rule-to').last().fill(kodi.movies);
    await page.locator('.ps-rule-to').last().press('Tab');
    (await page.locator('.ps-rule-to').last().getAttribute('class')).should.not.match(/input-error/);
    await page.fill('#ps-mapping-test', '/library/movies/Film (2020)/Film (2020).mkv');
    await page.waitForFunction(
      (want) => (document.querySelector('#ps-mapping-result')?.textContent || '').includes(want),
      path.join(kodi.movies, 'Film (2020)'),
    );
    await saveConfig();
    await saveConfig();

    await becomes('#node-input-kodi', false); // the new Kodi is chosen
    await done();
    const saved = await node(scan);
    saved.should.match({ valid: true, timeout: '45' });
    const kodiConfig = await page.evaluate((id) => {
      const k = RED.nodes.node(RED.nodes.node(id).kodi);
      return { name: k.name, host: k.host, valid: k.valid, mappings: RED.nodes.node(k.mappings).rules };
    }, scan);
    kodiConfig.should.match({ name: 'Living room', host: '127.0.0.1', valid: true });
    kodiConfig.mappings.should.eql([{ from: '/library/movies', to: kodi.movies }]);
  });

  // Each dialog: red where it must be, then a good value, Done, and the node is valid with what was typed.
  const dialogs = [
    { type: 'kodi-refresh', config: 'kodi', bad: { timeout: 'x' }, good: { timeout: '30' } },
    { type: 'kodi-remove', config: 'kodi', bad: { timeout: '-' }, good: { timeout: '15' } },
    { type: 'kodi-clean', config: 'kodi', bad: { maxShare: '150' }, good: { maxShare: '10' } },
    { type: 'active-check', config: 'kodi', good: { name: 'Anyone watching?' } },
    { type: 'watch-activity', config: 'kodi', bad: { threshold: '150' }, good: { threshold: '90' } },
    { type: 'wait-scan-finished', config: 'kodi', bad: { timeout: 'long' }, good: { timeout: '120' } },
    {
      type: 'jellyfin-refresh',
      config: 'jellyfin',
      bad: { timeout: 'x' },
      good: { timeout: '60' },
      newConfig: {
        bad: { url: 'jellyfin.local:8096' },
        good: () => ({ name: 'Jellyfin', url: jellyfin.url, apiKey: jellyfin.apiKey }),
        works: /^✓ .*HTTP ok, auth ok/,
      },
    },
    {
      type: 'plex-refresh',
      config: 'plex',
      bad: { pollInterval: 'often' },
      good: { pollInterval: '3' },
      newConfig: {
        bad: { url: 'plex:32400' },
        good: () => ({ name: 'Plex', url: plex.url, token: plex.token }),
        works: /^✓ .*HTTP ok, auth ok/,
      },
    },
    { type: 'arr-event', good: { name: 'Radarr or Sonarr' } },
    // The server is optional (only to look up paths): nothing red until a bad value is typed.
    { type: 'jellyfin-webhook', bad: { threshold: '0' }, good: { threshold: '90' } },
    { type: 'plex-webhook', bad: { minimum: 'soon' }, good: { minimum: '60' } },
    // A new watched-sync lists every Kodi, Jellyfin and Plex config node at once: valid as it stands.
    { type: 'watched-sync', bad: { debounce: '-5', cooldown: 'x' }, good: { debounce: '0', cooldown: '45' } },
    { type: 'player-health', bad: { alertAfter: 'soon' }, good: { alertAfter: '15' } },
    // Plex by default: the Plex made from plex-refresh's dialog above.
    {
      type: 'library-changes',
      config: 'plex',
      bad: { pageSize: '0', interval: 'often' },
      good: { pageSize: '200', interval: '15' },
    },
  ];

  for (const d of dialogs) {
    it(`${d.type}: the dialog opens, marks what is wrong in red and saves`, async function () {
      // In columns of eight, so that every one lands on the visible canvas.
      const at = dialogs.indexOf(d);
      const id = await dragFromPalette(d.type, 320 + 240 * Math.floor(at / 8), 240 + 60 * (at % 8));
      await openDialog(id);
      (await dialogProblems()).should.eql([], `${d.type}'s dialog`);
      if (d.config) {
        const field = `#node-input-${d.config}`;
        (await isRed(field)).should.be.true(`a new ${d.type} has no ${d.config} yet: red`);
        if (d.newConfig) {
          await addConfigFrom(d.config);
          (await dialogProblems()).should.eql([], `the ${d.config} config dialog`);
          for (const [name, value] of Object.entries(d.newConfig.bad)) {
            await typeInto(`#node-config-input-${name}`, value);
            (await isRed(`#node-config-input-${name}`)).should.be.true(`${name} "${value}" is red`);
          }
          for (const [name, value] of Object.entries(d.newConfig.good())) {
            await typeInto(`#node-config-input-${name}`, value);
          }
          (await testConnection()).should.match(d.newConfig.works);
          await saveConfig(); // and Node-RED chooses it
        } else {
          // The Kodi made from kodi-scan's dialog above (not the examples' one).
          const made = await page.$eval(field, (select) =>
            [...select.options].map((o) => o.value).find((v) => !v.startsWith('ex-') && v !== '_ADD_'),
          );
          await page.selectOption(field, made);
        }
        await becomes(field, false);
      }
      for (const [field, value] of Object.entries(d.bad || {})) {
        await typeInto(`#node-input-${field}`, value);
        (await isRed(`#node-input-${field}`)).should.be.true(`${field} "${value}" is red`);
      }
      for (const [field, value] of Object.entries(d.good)) {
        await typeInto(`#node-input-${field}`, value);
        (await isRed(`#node-input-${field}`)).should.be.false();
      }
      await done();
      (await node(id)).should.match({ valid: true, ...d.good });
    });
  }

  it('player-sync: a player list left empty is red; with the players chosen it saves', async function () {
    const id = await dragFromPalette('player-sync', 620, 160);
    await openDialog(id);
    (await dialogProblems()).should.eql([], "player-sync's dialog");
    (await isRed('#node-input-players-container')).should.be.true('no players: red');
    for (let i = 0; i < 3; i++) {
      await page.click('.red-ui-editableList-addButton');
      await page
        .locator('.ps-player-id')
        .nth(i)
        .selectOption({ index: i + 1 }); // 0: "pick a player"
    }
    (await isRed('#node-input-players-container')).should.be.false();
    await done();
    const saved = await node(id);
    saved.valid.should.be.true();
    saved.players.should.have.length(3);
  });

  it('deploys a flow with the Kodi config: the node connects to the real Kodi and an inject runs a verified scan', async function () {
    kodi.addMovie('Editor Test', 2021);
    // An inject and a debug around the kodi-scan made above, imported as a user pastes a flow.
    const scan = await page.evaluate(() => {
      let id;
      RED.nodes.eachNode((n) => {
        if (n.type === 'kodi-scan' && n.z === RED.workspaces.active()) id = n.id;
      });
      return id;
    });
    await page.evaluate(
      ({ scanId, payload }) => {
        RED.view.importNodes(
          [
            {
              id: 'browser-inject',
              type: 'inject',
              name: 'new movie',
              props: [{ p: 'payload' }],
              repeat: '',
              crontab: '',
              once: false,
              onceDelay: 0.1,
              topic: '',
              payload,
              payloadType: 'str',
              x: 120,
              y: 160,
              wires: [[scanId]],
            },
            {
              id: 'browser-debug',
              type: 'debug',
              name: 'scan result',
              active: true,
              tosidebar: true,
              complete: 'payload',
              targetType: 'msg',
              x: 560,
              y: 160,
              wires: [],
            },
          ],
          { generateIds: false, addFlow: false, touchImport: true },
        );
        const node = RED.nodes.node(scanId);
        const inject = RED.nodes.node('browser-inject');
        if (!RED.nodes.filterLinks({ source: inject, target: node }).length) {
          RED.nodes.addLink({ source: inject, sourcePort: 0, target: node });
        }
        RED.nodes.addLink({ source: node, sourcePort: 0, target: RED.nodes.node('browser-debug') });
        RED.nodes.dirty(true);
        RED.view.redraw(true);
      },
      { scanId: scan, payload: '/library/movies/Editor Test (2021)/' },
    );
    await deploy();
    const status = page.locator(`[id="${scan}"] .red-ui-flow-node-status-label`);
    await page.waitForFunction(
      (id) =>
        (document.querySelector(`[id="${id}"] .red-ui-flow-node-status-label`)?.textContent || '') ===
        'connected',
      scan,
    );
    (await status.textContent()).should.equal('connected');

    await page.evaluate(() => RED.sidebar.show('debug'));
    await page.locator('[id="browser-inject"] .red-ui-flow-node-button').click();
    const entry = page.locator('.red-ui-debug-msg', { hasText: 'scan result' }).first();
    await entry.waitFor();
    await page.waitForFunction(
      (id) =>
        document.querySelector(`[id="${id}"] .red-ui-flow-node-status-label`)?.textContent === 'verified',
      scan,
    );
    // Opened as a user opens it: a click on the message's object.
    await entry.locator('.red-ui-debug-msg-object-header').first().click();
    await entry.locator('text=status').first().waitFor();
    const text = await entry.innerText();
    text.should.match(/status\s*:\s*"verified"/);
    text.should.containEql('Editor Test (2021)');
    text.should.not.containEql(kodi.password);
  });

  /** Clicks the open config dialog's Cancel; resolves when the dialog below it is open again. */
  async function cancelConfig() {
    await page.evaluate(() => {
      [...document.querySelectorAll('#red-ui-editor-stack > .red-ui-tray')]
        .pop()
        .setAttribute('data-closing', '');
    });
    await dialogOpenedBy(async () => {
      await page.locator('[data-closing] #node-config-dialog-cancel').click();
      await page.locator('[data-closing]').waitFor({ state: 'detached' });
    }, '#dialog-form');
  }

  /** Clicks "Find on the network" in the open config dialog and picks what it found; resolves with its text. */
  async function findOnNetwork() {
    await page.click('#ps-discover');
    const found = page.locator('#ps-discover-result .ps-discovered').first();
    await found.waitFor();
    const text = (await found.textContent()).trim();
    await found.click();
    return text;
  }

  it('plex-server: found on the network, signed in with a PIN, token checked; no token reaches the page', async function () {
    const answers = [];
    const onResponse = async (res) => {
      if (res.url().includes('/player-sync/')) answers.push(await res.text().catch(() => ''));
    };
    page.on('response', onResponse);
    await page.evaluate(() => RED.actions.invoke('core:add-flow'));
    const id = await dragFromPalette('library-changes', 320, 160);
    await openDialog(id);
    await addConfigFrom('plex');
    (await dialogProblems()).should.eql([], 'the plex-server dialog with its sign-in');

    (await findOnNetwork()).should.equal(`Sim Plex (${plex.url})`);
    (await page.inputValue('#node-config-input-url')).should.equal(plex.url);
    (await page.inputValue('#node-config-input-name')).should.equal('Sim Plex');

    await page.click('#ps-plex-signin');
    const link = page.locator('#ps-plex-signin-link');
    await link.waitFor();
    const pin = tv.pins.at(-1);
    const href = await link.getAttribute('href');
    href.should.startWith('https://app.plex.tv/auth#?');
    href.should.containEql(`code=${pin.code}`);
    (await link.getAttribute('target')).should.equal('_blank');
    tv.approve(pin.code); // the user approves it at plex.tv
    const pick = page.locator('#ps-plex-server-pick');
    await pick.waitFor();
    // Local first, relay last.
    (await pick.locator('option').allTextContents()).should.eql([
      `Sim Plex — ${plex.url} (local)`,
      'Sim Plex — https://5-6-7-8.x.plex.direct (relay)',
    ]);
    await page.click('#ps-plex-server-use');
    await page.waitForFunction(() =>
      /Using Sim Plex/.test(document.querySelector('#ps-plex-signin-result').textContent),
    );
    (await page.inputValue('#node-config-input-token')).should.equal('__PWRD__');

    // The token the sign-in stored works with the server before any deploy, and names the account at plex.tv.
    (await testConnection()).should.match(/^✓ .*HTTP ok, auth ok/);
    await page.click('#ps-plex-check');
    await page.waitForFunction(
      () => !/checking/.test(document.querySelector('#ps-plex-check-result').textContent),
    );
    (await page.textContent('#ps-plex-check-result')).should.equal(`✓ plex.tv account: ${tv.owner.title}`);
    await page.screenshot({ path: artifactPath('plex-sign-in.png') });

    const html = await page.content();
    for (const secret of [plex.token, tv.ownerToken]) {
      html.should.not.containEql(secret);
      for (const a of answers) a.should.not.containEql(secret);
    }
    page.off('response', onResponse);

    // Kept at deploy: the runtime says the node has a token (never what it is).
    await saveConfig();
    const configId = await page.inputValue('#node-input-plex');
    await done();
    await deploy();
    const creds = await (await page.request.get(`${nr.url}/credentials/plex-server/${configId}`)).json();
    creds.should.eql({ has_token: true });
  });

  it('jellyfin-server and kodi-player: "Find on the network" fills in the address', async function () {
    const id = await dragFromPalette('library-changes', 320, 260);
    await openDialog(id);
    await page.selectOption('#node-input-playerType', 'jellyfin');
    await addConfigFrom('jellyfin');
    (await findOnNetwork()).should.equal(`Sim Jellyfin (${jellyfin.url})`);
    (await page.inputValue('#node-config-input-url')).should.equal(jellyfin.url);
    (await page.inputValue('#node-config-input-server')).should.equal('jellyfin');
    await cancelConfig();
    await page.selectOption('#node-input-playerType', 'kodi');
    await addConfigFrom('kodi');
    (await findOnNetwork()).should.equal(`Kodi (test) (http://127.0.0.1:${kodi.httpPort})`);
    (await page.inputValue('#node-config-input-host')).should.equal('127.0.0.1');
    (await page.inputValue('#node-config-input-httpPort')).should.equal(String(kodi.httpPort));
    await cancelConfig();
    // The node has no player now: cancelled and deleted, so that later deploys have nothing left half-set.
    await page.click('#node-dialog-cancel');
    await page.locator('#node-dialog-cancel').waitFor({ state: 'detached' });
    await page.evaluate((i) => {
      RED.view.select(i);
      RED.actions.invoke('core:delete-selection');
    }, id);
    (await nodeIds('library-changes')).should.not.containEql(id);
  });

  it("renders each help page in the sidebar in Node-RED's style", async function () {
    await page.evaluate(() => RED.sidebar.show('help'));
    for (const type of TYPES) {
      await page.evaluate((t) => RED.sidebar.help.show(t, true), type);
      const help = page.locator('.red-ui-sidebar-help-stack .red-ui-help').first(); // the help tab's page
      // The summary of nodes/locales/en-US/<type>.html, shown once the sidebar has this type's page.
      const file = fs.readFileSync(
        path.join(__dirname, '..', '..', 'nodes', 'locales', 'en-US', `${type}.html`),
        'utf8',
      );
      const summary = /<p>([\s\S]*?)<\/p>/
        .exec(file)[1]
        .replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 40);
      await page.waitForFunction(
        (want) =>
          (document.querySelector('.red-ui-sidebar-help-stack .red-ui-help')?.innerText || '')
            .replace(/\s+/g, ' ')
            .includes(want),
        summary,
      );
      const text = await help.innerText();
      const headings = await help.locator('h3').allInnerTexts();
      const firstPara = (await help.locator('p').first().innerText()).trim();
      firstPara.length.should.be.within(20, 300, `${type}: a one-line summary first`);
      if (FLOW_TYPES.includes(type)) {
        // Node-RED's style: an Inputs section for a node that has an input.
        const inputs = await page.evaluate((t) => RED.nodes.getType(t).inputs, type);
        if (inputs > 0) headings.should.containEql('Inputs', `${type} help: Inputs`);
        headings.should.containEql('Outputs', `${type} help: Outputs`);
        const outputs = await page.evaluate((t) => RED.nodes.getType(t).outputs, type);
        if (outputs > 1) {
          (await help.locator('ol.node-ports > li').count()).should.equal(
            outputs,
            `${type}: one entry per port`,
          );
        }
      }
      headings.should.containEql('Details', `${type} help: Details`);
      headings.should.containEql('References', `${type} help: References`);
      (await help.locator('a[href^="http"]').count()).should.be.above(0, `${type}: links to the player APIs`);
      text.should.not.match(
        /\b[a-z-]+\.(label|help|status|placeholder)\.[a-zA-Z]+/,
        `${type}: no raw message keys`,
      );
    }
  });

  it('runs the Radarr example once its Kodi mapping is edited in the dialog, and keeps a screenshot of it', async function () {
    const tab = 'example-radarr-sonarr-webhook';
    await page.evaluate((t) => RED.workspaces.show(t), tab);
    const expected = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'radarr-sonarr-webhook.json'), 'utf8'),
    ).filter((n) => n.x !== undefined).length;
    // The canvas is drawn on an animation frame: wait for the example's nodes, all of them and no others.
    const onCanvas = '#red-ui-workspace-chart .red-ui-flow-node-group';
    await page
      .waitForFunction(({ sel, want }) => document.querySelectorAll(sel).length === want, {
        sel: onCanvas,
        want: expected,
      })
      .catch(() => undefined); // said by the check below, with the count shown
    const shown = await page.locator(onCanvas).count();
    shown.should.equal(expected, 'every node of the example is on the canvas');

    // The example maps /data/media/movies to smb://nas/movies; this Kodi has its movies elsewhere.
    await dialogOpenedBy(
      () => page.evaluate(() => RED.editor.editConfig('', 'path-mappings', 'ex-mappings')),
      '#node-config-dialog-edit-form',
    );
    await page.locator('.ps-rule-to').first().fill(kodi.movies);
    await saveConfig();
    await deploy();

    const rel = 'Webhook Movie (2023)/Webhook Movie (2023).mkv';
    const movie = kodi.addMovie('Webhook Movie', 2023);
    jellyfin.addFile(`/media/movies/${rel}`, 'Webhook Movie');
    plex.addFile(`/media/movies/${rel}`, 'Webhook Movie');
    const body = JSON.parse(JSON.stringify(bodies['radarr-download']));
    Object.assign(body.movie, {
      title: 'Webhook Movie',
      year: 2023,
      folderPath: '/data/media/movies/Webhook Movie (2023)',
    });
    body.movieFile.path = `/data/media/movies/${rel}`;
    await page.evaluate(() => {
      RED.sidebar.show('debug');
      RED.actions.invoke('core:clear-debug-messages');
    });
    // What Radarr's webhook does: a POST to the http in node; the http response answers with the results.
    const res = await fetch(`${nr.url}/player-sync/arr`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    res.status.should.equal(200);
    const answer = await res.json();
    answer.ok.should.be.true(JSON.stringify(answer));
    answer.results
      .map((r) => [r.player, r.status])
      .should.eql([
        ['Living room', 'verified'],
        ['Jellyfin', 'verified'],
        ['Plex', 'verified'],
      ]);
    answer.results[0].items[0].file.should.equal(movie.file);
    const synced = page.locator('.red-ui-debug-msg', { hasText: 'synced' }).first();
    await synced.waitFor();
    await synced.locator('.red-ui-debug-msg-object-header').first().click();
    await synced.locator('.red-ui-debug-msg-object-key:visible', { hasText: 'results' }).first().waitFor();
    // player-sync's status, as the editor shows it once the runtime's status message has come.
    const syncStatus = page.locator('[id="ex-arr-sync"] .red-ui-flow-node-status-label');
    await page
      .waitForFunction(
        () =>
          document.querySelector('[id="ex-arr-sync"] .red-ui-flow-node-status-label')?.textContent === '1/1',
      )
      .catch(() => undefined); // said by the check below, with the text shown
    (await syncStatus.textContent()).should.equal('1/1', 'one item, done');
    (await page.locator('[id="ex-arr-sync"] .red-ui-flow-node-status-dot-green').count()).should.equal(1);

    // The picture for the README: no notifications over the flow (they go by themselves).
    await page.waitForFunction(() => !document.querySelector('.red-ui-notification'));
    const file = artifactPath('example-flow.png');
    await page.screenshot({ path: file });
    const png = fs.readFileSync(file);
    png.subarray(1, 4).toString().should.equal('PNG');
    png.readUInt32BE(16).should.equal(1400);
  });

  it('logged no error in the browser console', function () {
    consoleErrors.should.eql([]);
  });
});
