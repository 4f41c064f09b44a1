// npm run bench -- watch: watch-activity's cost and speed. Requests per hour to Jellyfin and Plex (simulators),
// idle and while playing, with what the server pushes beside the same node polling (a server that pushes nothing)
// and beside Jellystat-style fixed polling (GET the sessions every 1 s while playing, every 5 s idle), all in the
// same window on the same clock; then the delay from Kodi's own Player.OnPlay / OnPause / OnResume to the node's
// message, beside the same node with Kodi's WebSocket off (polling).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');
const helper = require('node-red-node-test-helper');
const { JellyfinSim } = require('../test/sim/jellyfin-sim');
const { PlexSim } = require('../test/sim/plex-sim');
const { KodiSim } = require('../test/sim/kodi-sim');
const { RealKodi, freePort } = require('../scripts/real-kodi');

/** The windows, in seconds: idle, then playing with a client reporting its position every PROGRESS_S. */
const IDLE_S = Number(process.env.BENCH_WATCH_IDLE_S || 20);
const PLAYING_S = Number(process.env.BENCH_WATCH_PLAYING_S || 20);
const PROGRESS_S = Number(process.env.BENCH_WATCH_PROGRESS_S || 10);
/** Kodi: play, pause, resume this many times (three samples each). */
const KODI_CYCLES = Number(process.env.BENCH_WATCH_KODI_CYCLES || 7);
const LIMIT_MS = 30000;

const now = () => Number(process.hrtime.bigint() / 1000n) / 1000; // ms
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const perHour = (count, seconds) => Math.round((count * 3600) / seconds);
const hourly = (count, seconds) => `${perHour(count, seconds).toLocaleString('en')}/h`;

async function until(check, what, limitMs = LIMIT_MS) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await pause(20);
  }
}

/** The header that marks the fixed poller's requests, so that the node's own are counted apart. */
const POLLER = 'x-bench-poller';

/** Per server: its simulator (pushing or not), its config node, the client's states, the fixed poller's request. */
const SERVERS = {
  jellyfin: {
    label: 'Jellyfin',
    sessionsPath: '/Sessions',
    async start(push) {
      const sim = await new JellyfinSim().start();
      // 10.10.7 lets an API key subscribe to Sessions; 10.10.3 refuses it (admin users only): the node polls.
      sim.version = push ? '10.10.7' : '10.10.3';
      sim.sockets_ = 0;
      sim.server.on('upgrade', () => sim.sockets_++);
      sim.sessions = [JellyfinSim.session({ user: 'anna' })]; // a client connected, playing nothing
      return sim;
    },
    version: (sim) => sim.version,
    socketAttempts: (sim) => sim.sockets_,
    config: (sim, name) => ({ type: 'jellyfin-server', name, url: sim.url }),
    creds: (sim) => ({ apiKey: sim.apiKey }),
    pushing: (sim) => sim.subscriptions === 1,
    play(sim, positionS) {
      sim.sessions = [
        JellyfinSim.session({
          user: 'anna',
          item: { Name: 'Arrival', ProductionYear: 2016, Path: '/data/movies/Arrival (2016)/Arrival.mkv' },
          positionS,
        }),
      ];
      sim.sessionsChanged();
    },
    stop(sim) {
      sim.sessions = [JellyfinSim.session({ user: 'anna' })];
      sim.sessionsChanged();
    },
    poll: (sim) =>
      fetch(`${sim.url}/Sessions`, {
        headers: { Authorization: `MediaBrowser Token="${sim.apiKey}"`, [POLLER]: '1' },
      })
        .then((res) => res.json())
        .then((list) => list.some((s) => s.NowPlayingItem)),
  },
  plex: {
    label: 'Plex',
    sessionsPath: '/status/sessions',
    async start(push) {
      const sim = await new PlexSim().start();
      sim.socketMode = push ? 'on' : 'off';
      return sim;
    },
    version: (sim) => `socket ${sim.socketMode}`,
    socketAttempts: (sim) => sim.socketRequests || 0,
    config: (sim, name) => ({ type: 'plex-server', name, url: sim.url, clientId: `bench-${name}` }),
    creds: (sim) => ({ token: sim.token }),
    pushing: (sim, server) => helper.getNode(server).socket.up,
    play(sim, positionS) {
      if (sim.sessions.length === 0) {
        sim.sessions = [
          PlexSim.session({
            key: '21',
            ratingKey: '301',
            user: 'ben',
            item: { title: 'Arrival', year: 2016, file: '/data/movies/Arrival (2016)/Arrival.mkv' },
            positionS,
          }),
        ];
      }
      sim.playState('21', 'playing', positionS);
    },
    stop(sim) {
      if (sim.sessions.length > 0) sim.playState('21', 'stopped');
    },
    poll: (sim) =>
      fetch(`${sim.url}/status/sessions`, {
        headers: { 'X-Plex-Token': sim.token, Accept: 'application/json', [POLLER]: '1' },
      })
        .then((res) => res.json())
        .then((body) => (body.MediaContainer.Metadata || []).length > 0),
  },
};

/** Jellystat-style fixed polling: GET the sessions every 1 s while its last answer showed a play, else every 5 s. */
function fixedPoller(kind, sim) {
  let timer;
  let stopped = false;
  const tick = async () => {
    let playing;
    try {
      playing = await SERVERS[kind].poll(sim);
    } catch {
      playing = false;
    }
    if (!stopped) timer = setTimeout(tick, playing ? 1000 : 5000);
  };
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * Rows 12 to 15: watch-activity's requests to Jellyfin and Plex (simulators) per hour, idle and playing, pushed
 * beside the same node polling (pollPlaying 1 s, pollIdle 5 s: the defaults) and beside Jellystat-style fixed
 * polling. The four servers run side by side in one flow, in the same windows.
 */
async function requestRows() {
  const types = ['jellyfin-server', 'plex-server', 'path-mappings', 'watch-activity'].map((t) =>
    require(`../nodes/${t}.js`),
  );
  const runs = [];
  for (const kind of ['jellyfin', 'plex'])
    for (const push of [true, false])
      runs.push({
        kind,
        push,
        id: `${kind}-${push ? 'pushed' : 'polled'}`,
        sim: await SERVERS[kind].start(push),
      });
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-bench-watch-'));
  await new Promise((resolve) => helper.startServer(resolve));
  helper.settings({ userDir });
  const stops = [];
  try {
    // (ids unlike any setting's value: Node-RED takes a value equal to a node's id for a reference to it)
    const flow = [
      { id: 'tab', type: 'tab' },
      { id: 'maps', type: 'path-mappings', rules: [{ from: '/movies', to: '/data/movies' }] },
    ];
    const creds = {};
    for (const r of runs) {
      flow.push(
        { id: `${r.id}-server`, mappings: 'maps', ...SERVERS[r.kind].config(r.sim, `Bench ${r.id}`) },
        {
          id: `${r.id}-watch`,
          type: 'watch-activity',
          z: 'tab',
          playerType: r.kind,
          [r.kind]: `${r.id}-server`,
          minimum: 0,
          // pollPlaying and pollIdle left to their defaults (1 s, 5 s)
          wires: [[`${r.id}-out`]],
        },
        { id: `${r.id}-out`, type: 'helper', z: 'tab' },
      );
      creds[`${r.id}-server`] = SERVERS[r.kind].creds(r.sim);
    }
    await helper.load(types, flow, creds);
    for (const r of runs) {
      r.topics = [];
      helper.getNode(`${r.id}-out`).on('input', (msg) => r.topics.push(msg.topic));
    }
    // Settled: the pushing ones subscribed, the polling ones past their first looks.
    for (const r of runs) {
      const server = SERVERS[r.kind];
      if (r.push) await until(() => server.pushing(r.sim, `${r.id}-server`), `${r.id}: the push`);
      else await until(() => r.sim.requests(server.sessionsPath).length >= 2, `${r.id}: polling`);
    }
    const pollers = runs.filter((r) => r.push);
    for (const r of pollers) stops.push(fixedPoller(r.kind, r.sim));
    await pause(1000); // the fixed pollers past their first request
    /** Requests so far: the node's (all, and to the sessions path), the fixed poller's, socket upgrade attempts. */
    const counts = (r) => {
      const all = r.sim.requests();
      const mine = all.filter((q) => !q.headers[POLLER]);
      return {
        node: mine.length,
        sessions: mine.filter((q) => q.path === SERVERS[r.kind].sessionsPath).length,
        poller: all.length - mine.length,
        sockets: SERVERS[r.kind].socketAttempts(r.sim),
      };
    };
    const diff = (a, b) => Object.fromEntries(Object.keys(a).map((k) => [k, b[k] - a[k]]));
    process.stdout.write(`watch-activity: ${IDLE_S} s idle, then ${PLAYING_S} s playing…\n`);
    const start = new Map(runs.map((r) => [r, counts(r)]));
    let t0 = now();
    await pause(IDLE_S * 1000);
    const idleS = (now() - t0) / 1000;
    const mid = new Map(runs.map((r) => [r, counts(r)]));
    t0 = now();
    let positionS = 0;
    for (const r of runs) SERVERS[r.kind].play(r.sim, positionS);
    const progress = setInterval(() => {
      positionS += PROGRESS_S;
      for (const r of runs) SERVERS[r.kind].play(r.sim, positionS);
    }, PROGRESS_S * 1000);
    await pause(PLAYING_S * 1000);
    clearInterval(progress);
    const playingS = (now() - t0) / 1000;
    const end = new Map(runs.map((r) => [r, counts(r)]));
    for (const r of runs) SERVERS[r.kind].stop(r.sim);
    await until(
      () => runs.every((r) => r.topics.includes('stopped')),
      'every node to say stopped',
      10000,
    ).catch(() => undefined);
    const rows = [];
    for (const kind of ['jellyfin', 'plex']) {
      const pushed = runs.find((r) => r.kind === kind && r.push);
      const polled = runs.find((r) => r.kind === kind && !r.push);
      for (const [phase, seconds, from, to] of [
        ['idle', idleS, start, mid],
        ['playing', playingS, mid, end],
      ]) {
        const p = diff(from.get(pushed), to.get(pushed));
        const q = diff(from.get(polled), to.get(polled));
        const detail = (c) =>
          `${hourly(c.node, seconds)}` +
          (c.node !== c.sessions ? ` (${hourly(c.sessions, seconds)} sessions)` : '') +
          (c.sockets > 0 ? ` + ${hourly(c.sockets, seconds)} socket attempts` : '');
        const events = (r) =>
          phase === 'playing' && !r.topics.includes('started') ? ' NO "started" SEEN' : '';
        // While every session is pushed, the node still looks once a minute (SAFETY_LOOK_MS in
        // src/watch-activity.ts): a window shorter than that cannot show it, so it is said, computed.
        const safety =
          phase === 'playing' && seconds < 60 ? ' (+ 60/h safety looks, computed: beyond the window)' : '';
        rows.push([
          `${kind === 'jellyfin' ? 12 : 14}${phase === 'idle' ? 'a' : 'b'}. watch-activity, ${SERVERS[kind].label} ` +
            `(sim): requests/h ${phase}` +
            (phase === 'playing' ? `, progress every ${PROGRESS_S} s` : ''),
          `pushed (${SERVERS[kind].version(pushed.sim)}): ${detail(p)}${safety}${events(pushed)}`,
          `same node polling (${SERVERS[kind].version(polled.sim)}): ${detail(q)}${events(polled)}; ` +
            `Jellystat-style 1 s/5 s: ${hourly(p.poller, seconds)}`,
          (p.node === 0
            ? 'no request at all'
            : `${(q.node / p.node).toFixed(0)}× / ${(p.poller / p.node).toFixed(0)}× fewer`) +
            ` (${Math.round(seconds)} s window)`,
        ]);
      }
    }
    return rows;
  } finally {
    for (const stop of stops) stop();
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
    for (const r of runs) await r.sim.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

/** Kodi's notifications on a WebSocket of the bench's own, each with its arrival time. */
async function notifications(wsPort) {
  const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/jsonrpc`, { skipUTF8Validation: true });
  ws.on('error', (err) => process.stderr.write(`bench: notification socket: ${err.message}\n`));
  const waiters = [];
  ws.on('message', (raw) => {
    let msg;
    try {
      msg = JSON.parse(String(raw));
    } catch {
      return;
    }
    if (!msg.method) return;
    const at = now();
    for (const w of [...waiters])
      if (w.method === msg.method) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(at);
      }
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    next: (method) =>
      new Promise((resolve, reject) => {
        const w = { method, resolve };
        waiters.push(w);
        setTimeout(() => {
          if (waiters.includes(w)) reject(new Error(`bench: no ${method} from Kodi`));
        }, LIMIT_MS);
      }),
    close: () => ws.close(),
  };
}

/** A real Kodi with the generated clip in its library, or the simulator when a real one cannot start. */
async function kodiTarget() {
  let real;
  try {
    process.stdout.write('watch-activity: starting a real Kodi…\n');
    real = new RealKodi();
    await real.start();
    const movie = real.addMovie('Watched Clip', 2020, { video: { copyFrom: real.clip() } });
    await real.rpc('Files.GetDirectory', { directory: real.movies, media: 'video' });
    await real.rpc('VideoLibrary.Scan', { directory: movie.folder, showdialogs: false });
    const movies = await until(async () => {
      const r = await real.rpc('VideoLibrary.GetMovies', {
        filter: { field: 'path', operator: 'is', value: movie.folder },
      });
      return r.movies && r.movies.length > 0 ? r.movies : undefined;
    }, 'the clip in the library');
    const version = await real.rpc('Application.GetProperties', { properties: ['version'] });
    const v = version.version;
    return {
      label: `real Kodi ${v.major}.${v.minor}`,
      httpPort: real.httpPort,
      wsPort: real.wsPort,
      username: real.username,
      password: real.password,
      movies: real.movies,
      play: () => real.rpc('Player.Open', { item: { movieid: movies[0].movieid } }),
      pause: () => real.rpc('Player.PlayPause', { playerid: 1, play: false }),
      resume: () => real.rpc('Player.PlayPause', { playerid: 1, play: true }),
      stop: async () => {
        await real.rpc('Player.Stop', { playerid: 1 });
        await until(async () => (await real.rpc('Player.GetActivePlayers')).length === 0, 'playback to stop');
      },
      /** Until frames really play (a headless Kodi sets up its renderer first). */
      playing: () =>
        until(async () => {
          const p = await real.rpc('Player.GetProperties', { playerid: 1, properties: ['time'] });
          return p.time.seconds + p.time.minutes * 60 >= 1;
        }, 'playback'),
      close: () => real.stop(),
    };
  } catch (err) {
    process.stdout.write(
      `watch-activity: no real Kodi (${err.message.split('\n')[0]}); the Kodi simulator\n`,
    );
    if (real) await real.stop().catch(() => undefined);
  }
  const sim = await new KodiSim().start();
  const file = '/kodi/movies/Watched Clip (2020)/Watched Clip (2020).mkv';
  const player = (speed) => ({
    playerid: 1,
    type: 'video',
    speed,
    timeS: 10,
    totalS: 120,
    item: { id: 1, type: 'movie', title: 'Watched Clip', file },
  });
  const change = (players, method) => {
    sim.activePlayers = players;
    sim.notify(method, { player: { playerid: 1 } });
  };
  return {
    label: 'Kodi simulator (no real Kodi)',
    httpPort: sim.httpPort,
    wsPort: sim.wsPort,
    username: sim.username,
    password: sim.password,
    movies: '/kodi/movies/',
    play: () => change([player(1)], 'Player.OnPlay'),
    pause: () => change([player(0)], 'Player.OnPause'),
    resume: () => change([player(1)], 'Player.OnResume'),
    stop: () => change([], 'Player.OnStop'),
    playing: () => undefined,
    close: () => sim.stop(),
  };
}

/**
 * Row 16: from Kodi's own Player.OnPlay / OnPause / OnResume (as it reaches a WebSocket of the bench's own) to
 * watch-activity's started / paused / resumed, beside the same node on the same Kodi with its WebSocket off.
 */
async function kodiDelayRow() {
  const running = require('node:child_process').spawnSync('pgrep', ['-a', 'kodi.bin'], { encoding: 'utf8' });
  if (running.stdout.trim()) {
    process.stdout.write('watch-activity: another Kodi runs; waiting for it to end…\n');
    await until(
      () => !require('node:child_process').spawnSync('pgrep', ['kodi.bin']).stdout.length,
      'the other Kodi to end',
      30 * 60000,
    );
  }
  const types = ['kodi-player', 'path-mappings', 'watch-activity'].map((t) => require(`../nodes/${t}.js`));
  const kodi = await kodiTarget();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-bench-watch-kodi-'));
  let events;
  await new Promise((resolve) => helper.startServer(resolve));
  helper.settings({ userDir });
  try {
    const closedPort = await freePort(); // nothing listens there: the WebSocket off, as is common
    const player = (id, wsPort) => ({
      id,
      type: 'kodi-player',
      name: `Bench ${id}`,
      host: '127.0.0.1',
      httpPort: kodi.httpPort,
      wsPort,
      mappings: 'maps',
    });
    const watch = (id, server) => ({
      id,
      type: 'watch-activity',
      z: 'tab',
      playerType: 'kodi',
      kodi: server,
      minimum: 0,
      wires: [[`${id}-out`]],
    });
    await helper.load(
      types,
      [
        { id: 'tab', type: 'tab' },
        { id: 'maps', type: 'path-mappings', rules: [{ from: '/library/movies', to: kodi.movies }] },
        player('kodi-ws', kodi.wsPort),
        player('kodi-http', closedPort),
        watch('by-event', 'kodi-ws'),
        watch('by-polling', 'kodi-http'),
        { id: 'by-event-out', type: 'helper', z: 'tab' },
        { id: 'by-polling-out', type: 'helper', z: 'tab' },
      ],
      {
        'kodi-ws': { username: kodi.username, password: kodi.password },
        'kodi-http': { username: kodi.username, password: kodi.password },
      },
    );
    await until(() => helper.getNode('kodi-ws').connection.websocketUp, 'the WebSocket');
    events = await notifications(kodi.wsPort);
    await pause(1000); // both nodes past their first look
    const message = (id, topic) =>
      new Promise((resolve, reject) => {
        const out = helper.getNode(`${id}-out`);
        const timer = setTimeout(() => {
          out.removeListener('input', on);
          reject(new Error(`bench: no ${topic} from ${id}`));
        }, LIMIT_MS);
        function on(msg) {
          if (msg.topic !== topic) return;
          clearTimeout(timer);
          out.removeListener('input', on);
          resolve(now());
        }
        out.on('input', on);
      });
    const event = [];
    const polling = [];
    const byStep = { play: [], pause: [], resume: [] };
    const step = async (name, method, topic, act) => {
      const notified = events.next(method);
      const ours = message('by-event', topic);
      const polled = message('by-polling', topic);
      await act();
      const at = await notified;
      const d = (await ours) - at;
      event.push(d);
      byStep[name].push(d);
      polling.push((await polled) - at);
    };
    process.stdout.write(`watch-activity: ${KODI_CYCLES} × play, pause, resume on the ${kodi.label}…\n`);
    for (let i = 0; i < KODI_CYCLES; i++) {
      await step('play', 'Player.OnPlay', 'started', kodi.play);
      await kodi.playing();
      await pause(300); // watching
      await step('pause', 'Player.OnPause', 'paused', kodi.pause);
      await pause(300);
      await step('resume', 'Player.OnResume', 'resumed', kodi.resume);
      await pause(300);
      const stopped = Promise.all([message('by-event', 'stopped'), message('by-polling', 'stopped')]);
      await kodi.stop();
      await stopped;
    }
    const p = (xs) => `p50 ${fmt(pct(xs, 0.5))}, p95 ${fmt(pct(xs, 0.95))}`;
    return [
      [
        `16. watch-activity, ${kodi.label}: player's notification → our message`,
        `${p(event)} (${event.length}: play p50 ${fmt(pct(byStep.play, 0.5))}, pause ` +
          `${fmt(pct(byStep.pause, 0.5))}, resume ${fmt(pct(byStep.resume, 0.5))})`,
        `same node, Kodi's WebSocket off (polling 1 s/5 s): ${p(polling)}`,
        `${(pct(polling, 0.5) / pct(event, 0.5)).toFixed(0)}× at p50 (target ≤ 20 ms p95)`,
      ],
    ];
  } finally {
    if (events) events.close();
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
    await kodi.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

async function watchRows() {
  return [...(await requestRows()), ...(await kodiDelayRow())];
}

module.exports = { watchRows };
