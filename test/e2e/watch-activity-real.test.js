'use strict';
// watch-activity with a real Kodi playing a generated clip: play, pause, resume, seek past 85 %, stop. What a user
// would check: exactly started, paused, resumed, completed, stopped, and a watched time close to the time the
// clip really played (Kodi's own positions: the pause and the seek do not count). The pauses between steps are
// the scenario (someone watching), not waits for something: every wait for an outcome is a condition.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { helper, nodes } = require('../lib/nodes');
const { sharedKodi } = require('../kodi-real/kodi-harness');
const { until } = require('../lib/wait');

const LIMIT_MS = 30000;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('watch-activity with a real Kodi', function () {
  this.timeout(180000);
  let kodi;
  let userDir;

  before(async function () {
    this.timeout(180000);
    kodi = await sharedKodi(this);
    await new Promise((resolve) => helper.startServer(resolve));
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-watch-real-'));
    helper.settings({ userDir });
  });
  after(async function () {
    if (!kodi) return;
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  /** Kodi's position in seconds, and whether it is playing at speed 1. */
  const position = async () => {
    const props = await kodi.rpc('Player.GetProperties', { playerid: 1, properties: ['time', 'speed'] });
    const t = props.time;
    return { s: t.hours * 3600 + t.minutes * 60 + t.seconds + t.milliseconds / 1000, speed: props.speed };
  };

  /** The generated clip as a movie in Kodi's library, and a flow watching Kodi; returns the movie and its id. */
  const setUp = async (title) => {
    const movie = kodi.addMovie(title, 2020, { video: { copyFrom: kodi.clip() } });
    // In the library, as a movie of its own (Kodi then names it by its title, not its file). Listing the parent
    // first: Kodi skips a folder its directory cache does not list yet (a folder made after it last looked).
    const inLibrary = await kodi.scanIn(movie, 'the clip in the library', 2 * LIMIT_MS);
    await helper.unload();
    await helper.load(
      [nodes.kodiPlayer, nodes.pathMappings, nodes.watchActivity],
      [
        { id: 'tab', type: 'tab' },
        { id: 'maps', type: 'path-mappings', rules: [{ from: '/library/movies', to: kodi.movies }] },
        {
          id: 'kodi',
          type: 'kodi-player',
          name: 'Real Kodi',
          host: '127.0.0.1',
          httpPort: kodi.httpPort,
          wsPort: kodi.wsPort,
          mappings: 'maps',
        },
        {
          id: 'watch',
          type: 'watch-activity',
          z: 'tab',
          playerType: 'kodi',
          kodi: 'kodi',
          minimum: 2,
          wires: [['out']],
        },
        { id: 'out', type: 'helper', z: 'tab' },
      ],
      { kodi: { username: kodi.username, password: kodi.password } },
    );
    await until(() => helper.getNode('kodi').connection.websocketUp, 'the WebSocket', LIMIT_MS);
    return { movie, movieid: inLibrary.movieid };
  };

  it('play, pause, resume, seek past 85 %, stop: the five events, and the watched time', async function () {
    const runtimeS = 120; // the generated clip's length
    const { movie, movieid } = await setUp('Watched Clip');
    const got = [];
    helper.getNode('out').on('input', (msg) => got.push(msg));
    const event = (topic) => until(() => got.find((m) => m.topic === topic), topic, LIMIT_MS);

    // Played as the library's movie (as a user picks it in Kodi's Movies), not as a bare file.
    await kodi.rpc('Player.Open', { item: { movieid } });
    try {
      await event('started');
      // Until frames really play (a headless Kodi sets up its renderer first).
      await until(async () => (await position()).s >= 1, 'playback', LIMIT_MS);
      await pause(2000); // watching
      const beforePause = await position();
      await kodi.rpc('Player.PlayPause', { playerid: 1, play: false });
      await event('paused');
      await pause(5000); // paused for 5 s: not watched
      await kodi.rpc('Player.PlayPause', { playerid: 1, play: true });
      await event('resumed');
      await pause(2000); // watching again
      const beforeSeek = await position();
      await kodi.rpc('Player.Seek', { playerid: 1, value: { percentage: 90 } });
      await event('completed');
      // Where the seek landed: about 90 % of the clip (Kodi lands on a keyframe), read as soon as it is there.
      const afterSeek = await until(
        async () => {
          const p = await position();
          return p.s >= 0.8 * runtimeS ? p : undefined;
        },
        'the position after the seek',
        LIMIT_MS,
      );
      await pause(1000);
      const beforeStop = await position();
      await kodi.rpc('Player.Stop', { playerid: 1 });
      await event('stopped');
      got.map((m) => m.topic).should.eql(['started', 'paused', 'resumed', 'completed', 'stopped']);
      // What really played: up to the pause, from the resume to the seek, from the seek to the stop.
      const truth = beforePause.s + (beforeSeek.s - beforePause.s) + (beforeStop.s - afterSeek.s);
      const watched = got.at(-1).payload.watchedS;
      console.log(`      (watched ${watched} s; Kodi played ${truth.toFixed(1)} s)`);
      watched.should.be.approximately(truth, 1);
      got[0].payload.should.match({
        playerType: 'kodi',
        item: { type: 'movie', title: 'Watched Clip', playerPath: movie.file },
      });
      got[0].payload.item.libraryPath.should.equal(
        `/library/movies/${path.basename(path.dirname(movie.file))}/${path.basename(movie.file)}`,
      );
      got[3].payload.percent.should.be.above(85);
    } finally {
      await kodi.rpc('Player.Stop', { playerid: 1 }).catch(() => undefined);
      await until(
        async () => (await kodi.rpc('Player.GetActivePlayers')).length === 0,
        'playback to stop',
        LIMIT_MS,
      );
    }
  });

  it('Kodi crashes mid-play and comes back: one "stopped", no completion, no time counted while it was away', async function () {
    const { movieid } = await setUp('Crash Clip');
    const got = [];
    helper.getNode('out').on('input', (msg) => got.push(msg));
    const event = (topic) => until(() => got.find((m) => m.topic === topic), topic, LIMIT_MS);
    await kodi.rpc('Player.Open', { item: { movieid } });
    let crashed = false;
    try {
      await event('started');
      await until(async () => (await position()).s >= 1, 'playback', LIMIT_MS);
      await pause(3000); // watching
      const beforeCrash = await position();
      crashed = true;
      await kodi.crashKodi(); // no Player.OnStop: the WebSocket just drops
      await until(() => helper.getNode('kodi').connection.state === 'disconnected', 'the drop', LIMIT_MS);
      await pause(5000); // Kodi is away for a while: none of it may count as watched
      await kodi.startKodi();
      crashed = false;
      await event('stopped');
      // Once back, the node follows Kodi again: a new play is a new start.
      await until(() => helper.getNode('kodi').connection.websocketUp, 'the WebSocket again', 2 * LIMIT_MS);
      await kodi.rpc('Player.Open', { item: { movieid } });
      await until(() => got.filter((m) => m.topic === 'started').length === 2, 'the next start', LIMIT_MS);
      got.map((m) => m.topic).should.eql(['started', 'stopped', 'started']);
      const watched = got[1].payload.watchedS;
      console.log(
        `      (watched ${watched} s; Kodi had played ${beforeCrash.s.toFixed(1)} s when it crashed)`,
      );
      // At most what played until the crash (plus the instant between reading the position and the kill).
      watched.should.be.belowOrEqual(beforeCrash.s + 1);
      watched.should.be.aboveOrEqual(beforeCrash.s - 2);
    } finally {
      if (crashed) await kodi.startKodi();
      await kodi.rpc('Player.Stop', { playerid: 1 }).catch(() => undefined);
      await until(
        async () => (await kodi.rpc('Player.GetActivePlayers')).length === 0,
        'playback to stop',
        LIMIT_MS,
      );
    }
  });
});
