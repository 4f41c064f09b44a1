'use strict';
// The "Players" tab of the editor's sidebar, in Debian's Chromium against `npm start`, with a real Kodi and the
// Jellyfin and Plex simulators: every player with its state, Kodi turning red when it is switched off and green
// when it is back, a change deferred while Kodi plays (with what plays) and done after the stop, "retry now" and
// "drop" on a queue, a burst filling the result list, the filters, a result revealing its node, a screenshot for the
// README (docs/images/players-sidebar.png), and no error in the browser console.
// What is checked is what the tab shows, as a user reads it; every wait is for that to show (LIMIT_MS and the
// other limits bound a step that never comes, they are not pauses).
// The functions given to page.evaluate() run in the editor's page, where these are defined.
/* global RED, document, getComputedStyle */
require('should');
const fs = require('node:fs');
const path = require('node:path');
const { startNodeRed, playersEnv } = require('../lib/start-server');
const { launchChromium, missingChromiumPackages, artifactPath } = require('../lib/browser');
const { sharedKodi, missingKodiPackages } = require('../kodi-real/kodi-harness');
const { skipUnlessInstalled } = require('../lib/skips');
const { postWhenRouted } = require('../lib/deploy');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');
const { until } = require('../lib/wait');

/** The longest one step may take (a row to turn, a result to show): a limit for a fault, not a pause. */
const LIMIT_MS = 60000;
/** A kodi-player reconnects with a backoff capped at 30 s: Kodi back is seen within that, with room to spare. */
const RECONNECT_LIMIT_MS = 60000;
/** "Sync Jellyfin" waits this long before its next try (retryMin, s; the backoff is capped at 300 s). */
const RETRY_MIN_S = 600;
/** How many changes wait behind the retried one: more than the 50 a queue lists. */
const BEHIND = 58;

const TAB = 'player-sync-players';
const Z = 'ps-tab';
const ALL = 'ps-sync-all';
const JF = 'ps-sync-jf';
const MOVIES = '/library/movies';

describe('the Players sidebar in Chromium', function () {
  this.timeout(10 * LIMIT_MS);
  let kodi;
  let jellyfin;
  let plex;
  let nr;
  let browser;
  let page;
  let kodiStopped = false;
  let jellyfinStopped = false;
  const consoleErrors = [];
  /** Kodi folders this suite put in Kodi's library (taken out again at the end). */
  const kodiFolders = [];

  /** The test's flows: the three players, each used by a player-sync node fed by an http in. */
  function flows() {
    const httpIn = (id, url, sync, y) => [
      {
        id,
        type: 'http in',
        z: Z,
        name: '',
        url,
        method: 'post',
        upload: false,
        x: 140,
        y,
        wires: [[sync, `${id}-ok`]],
      },
      {
        id: `${id}-ok`,
        type: 'http response',
        z: Z,
        name: '',
        statusCode: '204',
        headers: {},
        x: 440,
        y: y + 60,
        wires: [],
      },
    ];
    return [
      { id: Z, type: 'tab', label: 'Players sidebar', disabled: false, info: '' },
      { id: 'ps-tab-other', type: 'tab', label: 'Another flow', disabled: false, info: '' },
      {
        id: 'ps-other-note',
        type: 'comment',
        z: 'ps-tab-other',
        name: 'another flow',
        info: '',
        x: 160,
        y: 80,
        wires: [],
      },
      {
        id: 'ps-kodi-maps',
        type: 'path-mappings',
        name: 'Kodi paths',
        rules: [{ from: MOVIES, to: kodi.movies }],
      },
      {
        id: 'ps-kodi',
        type: 'kodi-player',
        name: 'Living room',
        host: '127.0.0.1',
        httpPort: String(kodi.httpPort),
        wsPort: String(kodi.wsPort),
        mappings: 'ps-kodi-maps',
        credentials: { username: kodi.username, password: kodi.password },
      },
      {
        id: 'ps-jellyfin',
        type: 'jellyfin-server',
        name: 'Jellyfin',
        url: jellyfin.url,
        server: 'jellyfin',
        credentials: { apiKey: jellyfin.apiKey },
      },
      {
        id: 'ps-plex',
        type: 'plex-server',
        name: 'Plex',
        url: plex.url,
        clientId: 'players-sidebar-test',
        credentials: { token: plex.token },
      },
      ...httpIn('ps-in-all', '/ps-sidebar/all', ALL, 80),
      {
        id: ALL,
        type: 'player-sync',
        z: Z,
        name: 'Sync all players',
        players: [
          { id: 'ps-kodi', group: '' },
          { id: 'ps-jellyfin', group: '' },
          { id: 'ps-plex', group: '' },
        ],
        parallel: true,
        continueOnError: true,
        whilePlaying: 'defer',
        batchWindow: 0.2,
        timeout: 60,
        deferPoll: 30,
        journal: true,
        x: 440,
        y: 80,
        wires: [[], []],
      },
      ...httpIn('ps-in-jf', '/ps-sidebar/jellyfin', JF, 240),
      {
        id: JF,
        type: 'player-sync',
        z: Z,
        name: 'Sync Jellyfin',
        players: [{ id: 'ps-jellyfin', group: '' }],
        parallel: true,
        continueOnError: true,
        whilePlaying: 'defer',
        batchWindow: 0.2,
        timeout: 30,
        deferPoll: 30,
        retryMin: RETRY_MIN_S,
        journal: true,
        x: 440,
        y: 240,
        wires: [[], []],
      },
    ];
  }

  before(async function () {
    skipUnlessInstalled(
      this,
      [...missingChromiumPackages(), ...missingKodiPackages()],
      'the Players sidebar tests',
    );
    browser = await launchChromium(this);
    kodi = await sharedKodi(this);
    jellyfin = await new JellyfinSim().start();
    jellyfin.addLibrary('Movies', 'movies', [MOVIES]);
    plex = await new PlexSim().start();
    plex.addSection('Movies', 'movie', [MOVIES]);
    // The examples' config nodes point at the real Kodi and the simulators until the test's flows replace them.
    nr = await startNodeRed({
      ...playersEnv({ kodi, jellyfin, plex }),
    });
    // The test's flows are all the flows (a full deploy, as the editor's): the board then holds just its players.
    const res = await fetch(`${nr.url}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flows()),
    });
    res.status.should.equal(204, 'the test flows deployed');
    page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    page.setDefaultTimeout(LIMIT_MS);
    page.on('console', (m) => {
      // An error, or one thrown by the tab's code in a comms callback (Node-RED logs those as warnings).
      if (m.type() === 'error' || /Uncaught error from RED\.comms/.test(m.text()))
        consoleErrors.push(m.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
    await page.goto(nr.url);
    await page.locator(`[id="${ALL}"] .red-ui-flow-node`).waitFor();
    // Opened as a user opens it: from the sidebar's menu of tabs.
    await page.click('#red-ui-sidebar .red-ui-tab-link-button-menu');
    const option = page.locator(`#red-ui-tabs-menu-option-${TAB}`);
    (await option.innerText()).trim().should.equal('Players');
    (await option.locator('i.fa-television').count()).should.equal(1);
    await option.click();
    await page.locator('.ps-players-sections').waitFor();
  });
  afterEach(async function () {
    if (!page) return;
    if (this.currentTest.state === 'failed') {
      const name = this.currentTest.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await page.screenshot({ path: artifactPath(`failed-players-sidebar-${name}.png`) });
    }
    // A question left open (a test that failed half-way) is closed for the next one.
    await page.evaluate(() => {
      for (const n of document.querySelectorAll('.red-ui-notification')) n.close?.();
    });
  });
  after(async function () {
    this.timeout(3 * LIMIT_MS);
    // The shared Kodi is left running and idle, for the suites after this one.
    if (kodi && kodiStopped) await kodi.startKodi();
    if (kodi) {
      await kodi.rpc('Player.Stop', { playerid: 1 }).catch(() => undefined);
      for (const folder of kodiFolders) {
        const { movies } = await kodi
          .rpc('VideoLibrary.GetMovies', { filter: { field: 'path', operator: 'is', value: folder } })
          .catch(() => ({}));
        for (const m of movies || []) await kodi.rpc('VideoLibrary.RemoveMovie', { movieid: m.movieid });
      }
    }
    if (browser) await browser.close();
    if (nr) await nr.stop();
    if (jellyfin && !jellyfinStopped) await jellyfin.stop();
    if (plex) await plex.stop();
  });

  // ---- what the tab shows ----

  const playerRow = (id) => page.locator(`.ps-players-player[data-player-id="${id}"]`);
  const queueOf = (node, player) => page.locator(`.ps-players-queue[data-queue-id="${node}/${player}"]`);
  const itemIn = (queue, what) =>
    queue.locator('.ps-players-item', { has: page.locator('.ps-players-what', { hasText: what }) });

  /** Waits until the player's row shows `state` (its data-state, set from the pushed board). */
  async function rowTurns(id, state, limitMs = LIMIT_MS) {
    await page
      .waitForFunction(
        ({ i, s }) =>
          document.querySelector(`.ps-players-player[data-player-id="${i}"]`)?.dataset.state === s,
        { i: id, s: state },
        { timeout: limitMs },
      )
      .catch(() => undefined); // said by the check below, with what the row shows
    const row = playerRow(id);
    const shows = (await row.count()) > 0 ? await row.innerText() : 'no row';
    (await row.getAttribute('data-state')).should.equal(state, `${id}: ${shows}`);
  }

  /** Waits until the queue lists `what` in `state`. */
  async function itemTurns(queueId, what, state, limitMs = LIMIT_MS) {
    await page
      .waitForFunction(
        ({ q, w, s }) =>
          [...document.querySelectorAll(`.ps-players-queue[data-queue-id="${q}"] .ps-players-item`)].some(
            (i) => i.querySelector('.ps-players-what')?.textContent === w && i.dataset.state === s,
          ),
        { q: queueId, w: what, s: state },
        { timeout: limitMs },
      )
      .catch(() => undefined); // said by the check below, with what the queue shows
    const queue = page.locator(`.ps-players-queue[data-queue-id="${queueId}"]`);
    const shows = (await queue.count()) > 0 ? await queue.innerText() : 'no such queue';
    (await itemIn(queue, what).getAttribute('data-state')).should.equal(state, shows);
  }

  /** What a player's row says, as a user reads it. */
  async function rowOf(id) {
    const row = playerRow(id);
    return {
      name: (await row.locator('.ps-players-name').innerText()).trim(),
      type: (await row.locator('.ps-players-type').innerText()).trim(),
      version: (await row.locator('.ps-players-version').count())
        ? (await row.locator('.ps-players-version').innerText()).trim()
        : '',
      state: (await row.locator('.ps-players-state').innerText()).trim(),
      since: (await row.locator('.ps-players-since').count())
        ? (await row.locator('.ps-players-since').innerText()).trim()
        : '',
      text: await row.innerText(),
      dot: await row.locator('.ps-players-dot').evaluate((el) => {
        const s = getComputedStyle(el);
        return { fill: s.backgroundColor, ring: s.borderTopColor };
      }),
    };
  }

  /** Node-RED's status colours, as the editor's stylesheet has them (CSS variables, resolved). */
  const colours = () =>
    page.evaluate(() => {
      const probe = document.createElement('span');
      document.body.appendChild(probe);
      const of = (name, fallback) => {
        probe.style.color = `var(--red-ui-node-status-colors-${name}, ${fallback})`;
        return getComputedStyle(probe).color;
      };
      probe.style.color = 'var(--red-ui-secondary-background, #fff)';
      const background = getComputedStyle(probe).color;
      const c = {
        green: of('green', '#5a8'),
        yellow: of('yellow', '#F9DF31'),
        red: of('red', '#c00'),
        grey: of('grey', '#d3d3d3'),
        background,
      };
      probe.remove();
      return c;
    });

  /** The results the tab lists now: seq, outcome, player, what and reason, top to bottom. */
  const listedResults = () =>
    // Read in one go in the page (a list pushed meanwhile would otherwise be half old, half new).
    page.evaluate(() =>
      [...document.querySelectorAll('.ps-players-results .ps-players-result')].map((r) => ({
        seq: Number(r.dataset.seq),
        outcome: r.dataset.outcome,
        player: r.dataset.player,
        node: r.dataset.node,
        word: r.querySelector('.ps-players-outcome').textContent,
        what: r.querySelector('.ps-players-what').textContent,
        reason: r.querySelector('.ps-players-reason')?.textContent || '',
      })),
    );

  /** Waits until the result list shows a result of `node` for `what` (on `player` where given); resolves with it. */
  async function resultShown(node, what, player, limitMs = LIMIT_MS) {
    let found;
    await until(
      async () => {
        found = (await listedResults()).find(
          (r) => r.node === node && r.what === what && (!player || r.player === player),
        );
        return found;
      },
      `a result for ${what} in the list`,
      limitMs,
    );
    return found;
  }

  /** The board as the health endpoint gives it (the same the tab is pushed). */
  const health = async () => {
    const res = await fetch(`${nr.url}/player-sync/health`);
    return { status: res.status, body: await res.json() };
  };

  const send = (route, payload) =>
    postWhenRouted(
      `${nr.url}${route}`,
      { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload) },
      LIMIT_MS,
    );

  async function setFilters(player, outcome) {
    await page.selectOption('.ps-players-filter-player', player);
    await page.selectOption('.ps-players-filter-outcome', outcome);
  }

  // ---- the tests ----

  it('lists every configured player, with its type, version and state', async function () {
    (await page.locator(`#red-ui-tab-${TAB} .red-ui-tab-label`).textContent()).trim().should.equal('Players');
    (await page.locator('.ps-players-help').innerText()).should.match(/Kodi, Jellyfin and Plex/);

    for (const id of ['ps-kodi', 'ps-jellyfin', 'ps-plex']) await rowTurns(id, 'websocket');
    // Every player config node of the flows has its row, and no other row is there.
    const configured = await page.evaluate(() => {
      const ids = [];
      RED.nodes.eachConfig((n) => {
        if (['kodi-player', 'jellyfin-server', 'plex-server'].includes(n.type)) ids.push(n.id);
      });
      return ids.sort();
    });
    const rows = await page.evaluate(() =>
      [...document.querySelectorAll('.ps-players-player')].map((e) => e.dataset.playerId).sort(),
    );
    rows.should.eql(configured);
    rows.should.eql(['ps-jellyfin', 'ps-kodi', 'ps-plex']);

    const c = await colours();
    const kodiRow = await rowOf('ps-kodi');
    kodiRow.should.match({ name: 'Living room', type: 'Kodi', state: 'WebSocket' });
    kodiRow.version.should.match(/^\d+\.\d+/, 'Kodi says its version');
    kodiRow.dot.should.eql({ fill: c.green, ring: c.green }, 'a green dot');
    kodiRow.text.should.match(/last good call (just now|\d+ (s|min) ago)/);
    const jf = await rowOf('ps-jellyfin');
    jf.should.match({ name: 'Jellyfin', type: 'Jellyfin', version: jellyfin.version, state: 'WebSocket' });
    jf.dot.should.eql({ fill: c.green, ring: c.green });
    const px = await rowOf('ps-plex');
    px.should.match({ name: 'Plex', type: 'Plex', state: 'WebSocket' });
    px.dot.should.eql({ fill: c.green, ring: c.green });
    for (const row of [kodiRow, jf, px]) row.since.should.match(/^for \d+ (s|min)/);

    // The tab and the health endpoint say the same.
    const { status, body } = await health();
    status.should.equal(200, 'ready: every player answers');
    body.players
      .map((p) => [p.id, p.state])
      .should.eql([
        ['ps-jellyfin', 'websocket'],
        ['ps-kodi', 'websocket'],
        ['ps-plex', 'websocket'],
      ]);
    // The queues of both player-sync nodes, one per player, empty.
    const queues = await page.evaluate(() =>
      [...document.querySelectorAll('.ps-players-queue')].map((e) => e.dataset.queueId).sort(),
    );
    queues.should.eql([`${ALL}/ps-jellyfin`, `${ALL}/ps-kodi`, `${ALL}/ps-plex`, `${JF}/ps-jellyfin`]);
    (await queueOf(ALL, 'ps-kodi').locator('.ps-players-queue-head').innerText()).should.match(
      /^Sync all players\s*→\s*Living room\s*nothing waiting$/,
    );
  });

  it('turns Kodi red ("down") when it is switched off, and green again when it is back', async function () {
    const c = await colours();
    const stoppedAt = Date.now();
    kodiStopped = true;
    try {
      await kodi.stopKodi();
      await rowTurns('ps-kodi', 'down', RECONNECT_LIMIT_MS);
      const downIn = Date.now() - stoppedAt;
      const down = await rowOf('ps-kodi');
      down.state.should.equal('down');
      down.dot.should.eql({ fill: c.background, ring: c.red }, 'a red ring');
      // The others are not touched.
      (await playerRow('ps-jellyfin').getAttribute('data-state')).should.equal('websocket');
      (await health()).status.should.equal(503, 'not ready while Kodi is down');
      await kodi.startKodi();
      kodiStopped = false;
      const backAt = Date.now();
      await rowTurns('ps-kodi', 'websocket', RECONNECT_LIMIT_MS);
      console.log(
        `      (down shown ${downIn} ms after the stop, green ${Date.now() - backAt} ms after Kodi answered)`,
      );
      const back = await rowOf('ps-kodi');
      back.dot.should.eql({ fill: c.green, ring: c.green });
      back.since.should.match(/^for \d+ s$/, 'since it came back');
      // What went wrong is still said, with when.
      back.text.should.match(/failed (just now|\d+ (s|min) ago):/);
    } finally {
      if (kodiStopped) {
        await kodi.startKodi();
        kodiStopped = false;
      }
    }
  });

  it('"retry now" runs a retrying change at once; "drop" asks, then takes a change out as failed', async function () {
    const retried = `${MOVIES}/Sidebar Retry (2024)/`;
    const dropped = `${MOVIES}/Sidebar Drop (2024)/`;
    jellyfin.addFile(`${retried}Sidebar Retry (2024).mkv`, 'Sidebar Retry');
    jellyfin.addFile(`${dropped}Sidebar Drop (2024).mkv`, 'Sidebar Drop');
    const queue = queueOf(JF, 'ps-jellyfin');
    jellyfinStopped = true;
    try {
      await jellyfin.stop(); // Jellyfin is switched off
      await rowTurns('ps-jellyfin', 'down');
      // Two changes, and more behind them than the queue lists.
      const behind = Array.from({ length: BEHIND }, (_, i) => ({
        path: `${MOVIES}/Sidebar Behind ${String(i + 1).padStart(2, '0')} (2021)/`,
        action: 'removed',
      }));
      (
        await send('/ps-sidebar/jellyfin', [
          { path: retried, action: 'added' },
          { path: dropped, action: 'added' },
          ...behind,
        ])
      ).status.should.equal(204);

      // The first is retried, and waits minutes for its next try; the second waits its turn.
      const retrying = itemIn(queue, retried);
      await itemTurns(`${JF}/ps-jellyfin`, retried, 'retrying');
      const retryText = await retrying.innerText();
      retryText.should.match(/next attempt in [45] min( \d+ s)?, attempt 1: \S/);
      const pending = itemIn(queue, dropped);
      await pending.waitFor();
      (await pending.getAttribute('data-state')).should.equal('pending');
      (await queue.locator('[data-count="retrying"]').innerText()).should.equal('1 retrying');
      (await queue.locator('[data-count="pending"]').innerText()).should.equal(`${BEHIND + 1} pending`);
      // 50 listed, the one retrying first; the rest counted.
      (await queue.locator('.ps-players-item').count()).should.equal(50);
      (await queue.locator('.ps-players-more').innerText()).should.equal(`+ ${BEHIND + 2 - 50} more`);
      (await pending.locator('.ps-players-retry-now').count()).should.equal(
        0,
        'nothing to retry in a pending one',
      );

      // Drop: asked first; Cancel keeps it.
      await pending.locator('.ps-players-drop').click();
      const question = page.locator('.red-ui-notification', {
        has: page.locator('#ps-players-drop-confirm'),
      });
      await question.waitFor();
      (await question.innerText()).should.containEql(dropped);
      await page.click('#ps-players-drop-cancel');
      await question.waitFor({ state: 'detached' });
      (await pending.count()).should.equal(1, 'still queued after Cancel');
      await pending.locator('.ps-players-drop').click();
      await question.waitFor();
      await page.click('#ps-players-drop-confirm');
      await pending.waitFor({ state: 'detached' });
      const gone = await resultShown(JF, dropped, 'ps-jellyfin');
      gone.should.match({ outcome: 'failed', word: 'failed' });
      gone.reason.should.match(/^dropped/);
      (await retrying.getAttribute('data-state')).should.equal('retrying', 'the other one is left as it was');

      // Jellyfin is back: "retry now" runs it, minutes before its next try was due.
      await jellyfin.start();
      jellyfinStopped = false;
      const nextAttemptAt = Number(await retrying.getAttribute('data-next-attempt-at'));
      const now = Date.now();
      (nextAttemptAt - now).should.be.above(200000, 'the next try is minutes away');
      const clickedAt = Date.now();
      await retrying.locator('.ps-players-retry-now').click();
      const done = await resultShown(JF, retried, 'ps-jellyfin');
      const tookMs = Date.now() - clickedAt;
      console.log(
        `      (verified ${tookMs} ms after "retry now"; the next try was due in ${nextAttemptAt - now} ms)`,
      );
      done.should.match({ outcome: 'verified', word: 'verified' });
      tookMs.should.be.below(nextAttemptAt - now - 60000);
      await retrying.waitFor({ state: 'detached' });
      // The ones behind it follow (nothing of theirs is in the library: each is verified gone).
      await queue.locator('.ps-players-nothing').waitFor();
      (await queue.locator('.ps-players-item').count()).should.equal(0, 'the queue is empty');
      const results = await listedResults();
      for (const b of behind) results.find((r) => r.what === b.path).outcome.should.equal('removed', b.path);
      (await queue.locator('.ps-players-nothing').innerText()).should.equal('nothing waiting');
      await rowTurns('ps-jellyfin', 'websocket', RECONNECT_LIMIT_MS); // its socket is back too
    } finally {
      if (jellyfinStopped) {
        await jellyfin.start();
        jellyfinStopped = false;
      }
    }
  });

  it('fills the result list as a burst of 20 changes completes; filters by player and outcome; a click reveals the node', async function () {
    // Two outside every library, two removals, sixteen new movies: three outcomes.
    const burst = [];
    for (let i = 1; i <= 2; i++)
      burst.push({
        path: `/elsewhere/Sidebar Outside ${i} (2022)/`,
        action: 'added',
        expect: 'not-verified',
      });
    for (let i = 1; i <= 2; i++)
      burst.push({ path: `${MOVIES}/Sidebar Gone ${i} (2023)/`, action: 'removed', expect: 'removed' });
    for (let i = 1; i <= 16; i++) {
      const name = `Sidebar Burst ${String(i).padStart(2, '0')} (2024)`;
      jellyfin.addFile(`${MOVIES}/${name}/${name}.mkv`, name);
      burst.push({ path: `${MOVIES}/${name}/`, action: 'added', expect: 'verified' });
    }
    const before = (await listedResults()).length;
    (
      await send(
        '/ps-sidebar/jellyfin',
        burst.map(({ path: p, action }) => ({ path: p, action })),
      )
    ).status.should.equal(204);
    const paths = new Set(burst.map((b) => b.path));
    const seen = [];
    const ofBurst = async () => {
      const rows = (await listedResults()).filter((r) => r.node === JF && paths.has(r.what));
      if (seen.at(-1) !== rows.length) seen.push(rows.length);
      return rows.length === burst.length ? rows : undefined;
    };
    const rows = await until(ofBurst, 'the 20 results of the burst', LIMIT_MS);
    console.log(`      (results of the burst shown: ${seen.join(' → ')})`);
    for (const b of burst) rows.find((r) => r.what === b.path).outcome.should.equal(b.expect, b.path);
    const words = { verified: 'verified', removed: 'removed', 'not-verified': 'not verified' };
    for (const r of rows) r.word.should.equal(words[r.outcome]);
    rows
      .filter((r) => r.outcome === 'not-verified')
      .forEach((r) => r.reason.should.match(/in no Jellyfin library/));
    // Newest first, the ones before it below.
    const all = await listedResults();
    all.map((r) => r.seq).should.eql([...all.map((r) => r.seq)].sort((a, b) => b - a));
    all.length.should.equal(before + burst.length);
    (await page.locator('.ps-players-results-summary').innerText()).should.equal(`${all.length} results`);

    // The filters: what is listed is what the board holds for that player and outcome, and nothing else.
    const { body } = await health();
    const expectShown = async (player, outcome) => {
      await setFilters(player, outcome);
      const want = body.results
        .filter((r) => (!player || r.player === player) && (!outcome || r.outcome === outcome))
        .map((r) => r.seq);
      const shown = (await listedResults()).map((r) => r.seq);
      shown.should.eql(want, `player "${player}", outcome "${outcome}"`);
      return shown.length;
    };
    (await expectShown('ps-jellyfin', '')).should.equal(
      body.results.filter((r) => r.player === 'ps-jellyfin').length,
    );
    (await expectShown('ps-jellyfin', 'not-verified')).should.equal(2);
    (await expectShown('', 'removed')).should.equal(2 + BEHIND);
    (await expectShown('ps-jellyfin', 'failed')).should.equal(1); // the one dropped earlier
    (await expectShown('ps-plex', 'not-verified')).should.equal(0);
    (await page.locator('.ps-players-results .ps-players-empty').innerText()).should.equal(
      'No result matches the filters.',
    );
    (await page.locator('.ps-players-results-summary').innerText()).should.equal(`0 of ${all.length}`);
    (await page.locator('.ps-players-filter-player option:checked').innerText()).should.equal('Plex');
    await setFilters('', '');
    (await listedResults()).length.should.equal(all.length);

    // A click on a result shows its node: its flow, the node selected.
    await page.evaluate(() => {
      RED.workspaces.show('ps-tab-other');
      RED.view.select({ nodes: [] });
    });
    await page
      .locator('.ps-players-result', { has: page.locator('.ps-players-what', { hasText: burst[0].path }) })
      .click();
    await page.waitForFunction(
      (id) => RED.workspaces.active() === 'ps-tab' && RED.view.selection().nodes?.some((n) => n.id === id),
      JF,
    );
    (await page.evaluate(() => RED.view.selection().nodes.map((n) => n.id))).should.eql([JF]);
  });

  it('shows a change deferred while Kodi plays, with what plays, and its result after the stop; keeps a screenshot', async function () {
    // The clip, in Kodi's library as a movie (as a user picks it in Kodi's Movies).
    const clip = kodi.addMovie('Sidebar Clip', 2020, { video: { copyFrom: kodi.clip() } });
    const later = kodi.addMovie('Sidebar Later', 2024);
    kodiFolders.push(clip.folder, later.folder);
    const rel = `${path.basename(later.folder)}/${path.basename(later.file)}`;
    jellyfin.addFile(`${MOVIES}/${rel}`, 'Sidebar Later');
    plex.addFile(`${MOVIES}/${rel}`, 'Sidebar Later');
    const { movieid } = await kodi.scanIn(clip, 'the clip in the library', LIMIT_MS);
    await rowTurns('ps-kodi', 'websocket');
    const change = `${MOVIES}/${path.basename(later.folder)}/`;
    const queue = queueOf(ALL, 'ps-kodi');
    await kodi.rpc('Player.Open', { item: { movieid } });
    try {
      // Until frames really play (a headless Kodi sets up its renderer first).
      await until(
        async () => {
          const players = await kodi.rpc('Player.GetActivePlayers');
          if (players.length === 0) return false;
          const { time } = await kodi.rpc('Player.GetProperties', { playerid: 1, properties: ['time'] });
          return time.seconds >= 1 || time.minutes > 0;
        },
        'playback',
        LIMIT_MS,
      );
      (await send('/ps-sidebar/all', { path: change, action: 'added' })).status.should.equal(204);
      const item = itemIn(queue, change);
      await itemTurns(`${ALL}/ps-kodi`, change, 'deferred');
      (await item.locator('.ps-players-watching').innerText()).should.match(/^while .*Sidebar Clip/);
      (await item.innerText()).should.match(/deferred/);
      (await queue.locator('[data-count="deferred"]').innerText()).should.equal('1 deferred');
      (await item.locator('.ps-players-retry-now').count()).should.equal(1);
      // The picture for the README: players, a queue waiting, results.
      await saveScreenshot();

      await kodi.rpc('Player.Stop', { playerid: 1 });
      const kodiResult = await resultShown(ALL, change, 'ps-kodi', 2 * LIMIT_MS);
      kodiResult.should.match({ outcome: 'verified', word: 'verified' });
      // Jellyfin and Plex had nobody watching; the change is listed once per player.
      (await resultShown(ALL, change, 'ps-jellyfin')).outcome.should.equal('verified');
      (await resultShown(ALL, change, 'ps-plex')).outcome.should.equal('verified');
      await item.waitFor({ state: 'detached' });
      await queue.locator('.ps-players-nothing').waitFor();
      (await queue.locator('.ps-players-count').count()).should.equal(0, 'nothing waiting');
    } finally {
      await kodi.rpc('Player.Stop', { playerid: 1 }).catch(() => undefined);
      await until(
        async () => (await kodi.rpc('Player.GetActivePlayers')).length === 0,
        'playback to stop',
        LIMIT_MS,
      );
    }
  });

  /** The whole editor with the Players tab made wider, as docs/images/players-sidebar.png and in test/artifacts. */
  async function saveScreenshot() {
    await page.evaluate((tab) => {
      RED.workspaces.show('ps-tab');
      RED.view.select({ nodes: [] });
      RED.sidebar.show(tab);
    }, TAB);
    for (const id of ['ps-kodi', 'ps-jellyfin', 'ps-plex'])
      await rowTurns(id, 'websocket', RECONNECT_LIMIT_MS);
    // Wider, by its separator, as a user drags it.
    const separator = await page.locator('#red-ui-sidebar-separator').boundingBox();
    const sidebarBefore = (await page.locator('#red-ui-sidebar').boundingBox()).width;
    const x = separator.x + separator.width / 2;
    const y = separator.y + separator.height / 2;
    await page.mouse.move(x, y);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(x - i * 30, y);
    await page.mouse.up();
    await page.waitForFunction(
      (w) => document.querySelector('#red-ui-sidebar').getBoundingClientRect().width > w + 200,
      sidebarBefore,
    );
    await page.evaluate(() => {
      document.querySelector('.ps-players').scrollTop = 0;
    });
    // No notification over the picture (they go by themselves).
    await page.waitForFunction(() => !document.querySelector('.red-ui-notification'));
    const file = artifactPath('players-sidebar.png');
    await page.screenshot({ path: file });
    const png = fs.readFileSync(file);
    png.subarray(1, 4).toString().should.equal('PNG');
    png.readUInt32BE(16).should.equal(1400);
    png.readUInt32BE(20).should.equal(860);
    const docs = path.join(__dirname, '..', '..', 'docs', 'images', 'players-sidebar.png');
    fs.mkdirSync(path.dirname(docs), { recursive: true });
    fs.copyFileSync(file, docs);
  }

  it('puts what the server sends in as text, never as HTML', async function () {
    // Paths and titles come from outside (a Radarr import, a player's library): a path with markup in it stays text.
    const odd = `${MOVIES}/<img src=x onerror="window.psInjected=1">Sidebar Odd (2024)/`;
    (await send('/ps-sidebar/jellyfin', { path: odd, action: 'removed' })).status.should.equal(204);
    const row = await resultShown(JF, odd, 'ps-jellyfin');
    row.outcome.should.equal('removed');
    (await page.locator('.ps-players-results img').count()).should.equal(0);
    (await page.evaluate(() => typeof document.defaultView.psInjected)).should.equal('undefined');
  });

  it('logged no error in the browser console', function () {
    consoleErrors.should.eql([]);
  });
});
