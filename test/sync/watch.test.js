'use strict';
// Who watches what, without Node-RED and without a clock: the player's sessions as they are at given moments in,
// the events out. Watched time excludes pauses and seeks; a play completes at 85 % after 120 s watched, once per
// user, item and day, remembered in the store across restarts.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { WatchTracker, checkCompletion } = require('../../nodes/sync/watch');
const { Store } = require('../../nodes/sync/store');

const S = 1000; // ms in a second
const film = { type: 'movie', title: 'Inception', id: 'm1', libraryPath: '/movies/Inception (2010)/' };
/** The one session of a player, at a position, playing or paused. */
const at = (positionS, { paused = false, item = film, user = 'anna', sessionId = 's1' } = {}) => [
  { sessionId, user, device: 'Living room', item, positionS, runtimeS: 200, paused },
];
const topics = (events) => events.map((e) => e.topic);

describe('watch activity (no Node-RED)', function () {
  it('started, paused, resumed, completed, stopped; watched time without the pause and the seek', function () {
    const t = new WatchTracker();
    const events = [
      ...t.observe(at(0), 0),
      ...t.observe(at(100, { paused: true }), 100 * S), // 100 s watched, then a pause
      ...t.observe(at(100), 105 * S), // 5 s paused: not watched
      ...t.observe(at(120), 125 * S), // 20 s more
      ...t.observe(at(180), 126 * S), // a seek from 120 to 180 (past 85 %): that second was the seek
      ...t.observe([], 127 * S), // gone from the player's list: stopped
    ];
    topics(events).should.eql(['started', 'paused', 'resumed', 'completed', 'stopped']);
    const byTopic = Object.fromEntries(events.map((e) => [e.topic, e]));
    byTopic.paused.watchedS.should.equal(100);
    byTopic.completed.should.match({
      watchedS: 120,
      percent: 90,
      positionS: 180,
      runtimeS: 200,
      user: 'anna',
    });
    byTopic.stopped.watchedS.should.equal(121); // the last second, played after the seek
    byTopic.started.should.match({ sessionId: 's1', device: 'Living room', item: film, startedAt: 0 });
    t.active.should.equal(0);
  });

  it('a seek counts neither its distance nor the second it takes: playing 20 s, seeking past 85 %, then 20 s more', function () {
    const t = new WatchTracker({ minimumWatchedS: 30 });
    const events = [
      ...t.observe(at(0), 0),
      ...t.observe(at(20), 20 * S),
      ...t.observe(at(170), 21 * S), // the seek: neither this second nor the 150 s jumped count
      ...t.observe(at(190), 41 * S),
      ...t.observe([], 41 * S),
    ];
    topics(events).should.eql(['started', 'completed', 'stopped']);
    events.at(-1).watchedS.should.equal(40);
  });

  it('zapping is no completion: a seek to the end after 30 s', function () {
    const t = new WatchTracker();
    topics([...t.observe(at(0), 0), ...t.observe(at(190), 30 * S), ...t.observe([], 31 * S)]).should.eql([
      'started',
      'stopped',
    ]);
  });

  it('the thresholds are settings', function () {
    const t = new WatchTracker({ thresholdPercent: 50, minimumWatchedS: 10 });
    const events = [...t.observe(at(0), 0), ...t.observe(at(10), 10 * S), ...t.observe(at(101), 11 * S)];
    topics(events).should.eql(['started', 'completed']);
  });

  it('a new item in the same session ends the old play and starts the next (the next episode)', function () {
    const t = new WatchTracker();
    const next = { type: 'episode', title: 'Pilot', id: 'e2', show: 'Show', season: 1, episode: 2 };
    const events = [...t.observe(at(10), 0), ...t.observe(at(0, { item: next }), 50 * S)];
    events
      .map((e) => [e.topic, e.item.title])
      .should.eql([
        ['started', 'Inception'],
        ['stopped', 'Inception'],
        ['started', 'Pilot'],
      ]);
  });

  it('progress comes at most once a minute while playing, none while paused', function () {
    const t = new WatchTracker({ progressEveryMs: 60 * S });
    const events = [];
    for (let s = 0; s <= 180; s += 10)
      events.push(...t.observe(at(s, { paused: s > 150 && s < 180 }), s * S));
    events
      .filter((e) => e.topic === 'progress')
      .map((e) => e.positionS)
      .should.eql([60, 120, 180]);
  });

  it('one completion per user, item and day, also after a restart (the store remembers)', function () {
    const completions = new Store(undefined).collection('watch-test', checkCompletion);
    const play = (tracker, user, day) => {
      const start = day * 24 * 3600 * S;
      return topics([
        ...tracker.observe(at(0, { user }), start),
        ...tracker.observe(at(150, { user }), start + 150 * S),
        ...tracker.observe(at(180, { user }), start + 151 * S),
        ...tracker.observe([], start + 152 * S),
      ]);
    };
    play(new WatchTracker({}, completions), 'anna', 0).should.containEql('completed');
    // Node-RED restarted: a new tracker, the same store.
    play(new WatchTracker({}, completions), 'anna', 0).should.not.containEql('completed');
    play(new WatchTracker({}, completions), 'ben', 0).should.containEql('completed');
    play(new WatchTracker({}, completions), 'anna', 1).should.containEql('completed');
  });

  it('completions are kept on disk, read back checked, and old ones pruned', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-watch-'));
    try {
      const open = () => {
        const c = new Store(dir).collection('watch-completions', checkCompletion);
        c.load();
        return c;
      };
      let completions = open();
      const t = new WatchTracker({}, completions);
      t.observe(at(0), 0);
      t.observe(at(150), 150 * S);
      topics(t.observe(at(180), 151 * S)).should.eql(['completed']);
      await completions.close();
      completions = open();
      completions.size.should.equal(1);
      // A restart within the day: not again.
      const again = new WatchTracker({}, completions);
      again.observe(at(0), 200 * S);
      again.observe(at(150), 350 * S);
      topics(again.observe(at(180), 351 * S)).should.eql([]);
      // Days later, the old record goes.
      again.prune(10 * 24 * 3600 * S);
      completions.size.should.equal(0);
      await completions.close();
      (checkCompletion({ at: 'yesterday' }) === undefined).should.be.true();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stopped() ends one session at once (Kodi says Player.OnStop); forget() ends all without events', function () {
    const t = new WatchTracker();
    t.observe([...at(0), ...at(0, { sessionId: 's2', user: 'ben' })], 0);
    topics(t.stopped('s1', 10 * S)).should.eql(['stopped']);
    t.stopped('unknown', 11 * S).should.eql([]);
    t.forget();
    t.active.should.equal(0);
    t.observe([], 12 * S).should.eql([]);
  });
  it('the player could not be asked: the time it was away counts only as far as the position moved', function () {
    const t = new WatchTracker({ minimumWatchedS: 0 });
    t.observe(at(0), 0);
    t.observe(at(30), 30 * S); // 30 s watched
    t.lost(); // Kodi restarted: 10 minutes without an answer
    // Back, still playing 20 s further on (a network blip): the 20 s the position proves count, the rest not.
    t.observe(at(50), 630 * S).should.eql([]);
    const [stopped] = t.observe([], 631 * S);
    stopped.watchedS.should.equal(51);
    // Gone when it comes back (Kodi restarted): stopped, with nothing counted for the time away.
    t.observe(at(0, { sessionId: 's2' }), 1000 * S);
    t.observe(at(40, { sessionId: 's2' }), 1040 * S);
    t.lost();
    const events = t.observe([], 1600 * S);
    topics(events).should.eql(['stopped']);
    events[0].watchedS.should.equal(40);
  });

  it('update() tells of one session, leaving the others; playedToEnd() completes below the threshold', function () {
    const t = new WatchTracker({ minimumWatchedS: 60 });
    const [a] = at(0, { sessionId: 'a' });
    const [b] = at(0, { sessionId: 'b', user: 'ben' });
    topics([...t.update(a, 0), ...t.update(b, 0)]).should.eql(['started', 'started']);
    t.update({ ...a, positionS: 30 }, 30 * S).should.eql([]);
    t.active.should.equal(2, 'b is still followed');
    t.has('b').should.be.true();
    // The server says a ended (Plex's scrobble) at 50 %: not yet, the minimum is not watched.
    t.playedToEnd('a', 30 * S).should.eql([]);
    t.update({ ...a, positionS: 100 }, 100 * S);
    topics(t.playedToEnd('a', 100 * S)).should.eql(['completed']);
    topics(t.playedToEnd('a', 101 * S)).should.eql([], 'once');
    topics(t.stopped('a', 102 * S)).should.eql(['stopped']);
    t.has('a').should.be.false();
  });

  it('positions reported every 10 s (Plex), looked at every second: the time is counted as it moves', function () {
    const t = new WatchTracker({ minimumWatchedS: 0 });
    t.observe([...at(0), ...at(0, { sessionId: 's2', user: 'ben' })], 0);
    // An hour of playing; each session's position moves only when its client reports (s2 five seconds later).
    for (let second = 1; second <= 3600; second++) {
      const s1 = Math.floor(second / 10) * 10;
      const s2 = Math.max(0, Math.floor((second - 5) / 10) * 10 + 5);
      t.observe([...at(s1), ...at(s2, { sessionId: 's2', user: 'ben' })], second * S);
    }
    const [a, b] = t.observe([], 3600 * S);
    a.watchedS.should.be.approximately(3600, 1);
    b.watchedS.should.be.approximately(3600, 1);
  });

  it('webhooks (play, then stop 90 min on, the intro skipped): the play counts, the skip does not end it', function () {
    const t = new WatchTracker();
    const [play] = at(0);
    t.update({ ...play, runtimeS: 6000 }, 0);
    // The stop comes 90 minutes later at 91.5 minutes: 90 s of intro were skipped on the way.
    const events = [
      ...t.update({ ...play, positionS: 5490, runtimeS: 6000 }, 5400 * S),
      ...t.stopped('s1', 5400 * S),
    ];
    topics(events).should.eql(['completed', 'stopped']);
    events[1].watchedS.should.equal(5399); // all but the second the skip took
  });

  it('a session silent for hours (a stop never sent) gets no more than a minute for its tail', function () {
    const t = new WatchTracker();
    t.update(at(0)[0], 0);
    t.update(at(60)[0], 60 * S);
    // 20 hours later the same client plays another film: the first play ends with its last minute at most.
    const [stopped] = t.update({ ...at(0)[0], item: { ...film, id: 'm2', title: 'Other' } }, 72000 * S);
    stopped.should.match({ topic: 'stopped', watchedS: 120 });
  });
});
