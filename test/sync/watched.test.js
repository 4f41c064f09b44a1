'use strict';
// Watched-state sync's domain without Node-RED: what a change asks of a player (only what differs, positions
// forward only), the result after reading back, the echo guard that stops loops, and the changes watch events and
// plain messages make (checked field by field).
require('should');
const {
  EchoGuard,
  applyTo,
  changeOfMessage,
  changeOfWatchEvent,
  itemKey,
  missing,
  UnsupportedWrite,
} = require('../../nodes/sync/watched');

/** A player in memory: one user, one item, its state; `write` records and applies (or not, `broken`). */
function fakeTarget({
  state = { played: false, positionS: 0 },
  found = true,
  broken = false,
  unsupported,
} = {}) {
  const target = {
    key: 'fake',
    name: 'Fake',
    playerType: 'kodi',
    state: { ...state },
    writes: [],
    userFor: async (user) => (user === 'stranger' ? { skip: 'not synced here' } : { user: { name: user } }),
    find: async () => (found ? { ref: 1, rule: 'path' } : undefined),
    read: async () => ({ ...target.state }),
    write: async (_ref, _user, want) => {
      if (unsupported && want[unsupported] !== undefined)
        throw new UnsupportedWrite(`no ${unsupported} here`);
      target.writes.push(want);
      if (!broken) Object.assign(target.state, want);
      return [{ method: 'Set', params: want }];
    },
  };
  return target;
}

const change = (over) => ({ user: 'anna', item: { libraryPath: '/movies/A/A.mkv' }, at: 0, ...over });

describe('watched-state sync (no Node-RED)', function () {
  it('only what differs is asked; a position moves forward only, unless backwards is allowed', function () {
    missing({ played: true }, { played: true, positionS: 0 }).should.eql({});
    missing({ played: true }, { played: false, positionS: 0 }).should.eql({ played: true });
    missing({ positionS: 100 }, { played: false, positionS: 99 }).should.eql({}, 'within 2 s is the same');
    missing({ positionS: 100 }, { played: false, positionS: 500 }).should.eql({});
    missing({ positionS: 100 }, { played: false, positionS: 500 }, { backwards: true }).should.eql({
      positionS: 100,
    });
    missing({ positionS: 0 }, { played: false, positionS: 500 }).should.eql({ positionS: 0 }, '0 clears it');
    missing({ favourite: true, rating: 8 }, { played: false, positionS: 0 }).should.eql({
      favourite: true,
      rating: 8,
    });
  });

  it('applied, read back: verified; had it already: nothing written', async function () {
    const t = fakeTarget();
    (await applyTo(t, change({ played: true }))).should.match({
      status: 'verified',
      user: 'anna',
      rule: 'path',
    });
    t.writes.should.eql([{ played: true }]);
    (await applyTo(t, change({ played: true }))).should.match({ status: 'already', sent: [] });
    t.writes.length.should.equal(1, 'a loop stops here: nothing written twice');
  });

  it('read back holding something else: not verified; a player that cannot hold it: unsupported', async function () {
    (await applyTo(fakeTarget({ broken: true }), change({ played: true }))).should.match({
      status: 'not-verified',
      state: { played: false },
    });
    (await applyTo(fakeTarget({ unsupported: 'favourite' }), change({ favourite: true }))).should.match({
      status: 'unsupported',
      reason: 'no favourite here',
    });
  });

  it('an item it lacks: not found; a user not synced there: skipped; a position behind: skipped', async function () {
    (await applyTo(fakeTarget({ found: false }), change({ played: true }))).status.should.equal('not-found');
    (await applyTo(fakeTarget(), change({ user: 'stranger', played: true }))).should.match({
      status: 'skipped',
      reason: 'not synced here',
    });
    const ahead = fakeTarget({ state: { played: false, positionS: 900 } });
    (await applyTo(ahead, change({ positionS: 300 }))).should.match({ status: 'skipped' });
    ahead.writes.should.eql([]);
  });

  it('the echo guard: a change applied to a player and coming back from it within the cooldown is dropped', function () {
    const guard = new EchoGuard(30000);
    const c = change({ played: true });
    guard.remember('kodi-1', c, 1000);
    guard.isEcho({ ...c, from: 'kodi-1' }, 20000).should.be.true();
    guard.isEcho({ ...c, from: 'kodi-1', user: 'ANNA' }, 20000).should.be.true('names in any case');
    guard.isEcho({ ...c, from: 'kodi-1' }, 40000).should.be.false('after the cooldown it is news');
    guard.isEcho({ ...c, from: 'jellyfin-1' }, 20000).should.be.false('from another player');
    guard.isEcho({ ...c, from: 'kodi-1', user: 'ben' }, 20000).should.be.false('another user');
  });

  it('watch events: completed is played; a position inside 5–90 % is a resume point; the rest nothing', function () {
    const payload = (over) => ({
      user: 'anna',
      item: { type: 'movie', title: 'A', libraryPath: '/movies/A/A.mkv', ids: { imdb: 'tt1' } },
      positionS: 2400,
      runtimeS: 6000,
      ...over,
    });
    changeOfWatchEvent('completed', payload(), 'k').should.match({ from: 'k', user: 'anna', played: true });
    changeOfWatchEvent('progress', payload(), 'k').should.match({ positionS: 2400, runtimeS: 6000 });
    (changeOfWatchEvent('stopped', payload({ positionS: 100 }), 'k') === undefined).should.be.true();
    (changeOfWatchEvent('stopped', payload({ positionS: 5900 }), 'k') === undefined).should.be.true();
    (changeOfWatchEvent('started', payload(), 'k') === undefined).should.be.true();
    (changeOfWatchEvent('completed', 'nonsense', 'k') === undefined).should.be.true();
  });

  it('plain messages: checked field by field, with the field named', function () {
    changeOfMessage({ path: '/movies/A/A.mkv', played: true }, undefined).should.match({
      item: { libraryPath: '/movies/A/A.mkv' },
      played: true,
    });
    changeOfMessage({ item: { title: 'A', year: 2010 }, user: 'ben', position: 300 }, 'x').should.match({
      from: 'x',
      user: 'ben',
      positionS: 300,
    });
    const refused = [
      [null, /not an object/],
      [{ path: '/movies/A' }, /nothing to sync/],
      [{ played: true }, /names no item/],
      [{ path: 'movies/A', played: true }, /absolute/],
      [{ path: '/movies/A', played: 'yes' }, /played must be true or false/],
      [{ path: '/movies/A', position: -5 }, /position must be a number, 0 or more/],
      [{ path: '/movies/A', rating: 11 }, /rating must be 0 to 10/],
      [{ path: '/movies/A\u0000', played: true }, /not a usable name/],
      [{ path: '/movies/A', played: true, user: 7 }, /user must be text/],
      [{ item: { title: 'A', ids: 'tt1' }, played: true }, /ids must be an object/],
    ];
    for (const [payload, error] of refused) (() => changeOfMessage(payload, undefined)).should.throw(error);
  });

  it('item keys: the library path first, then ids, then names', function () {
    itemKey({ libraryPath: '/m/A.mkv', ids: { imdb: 'tt1' } }).should.equal('path:/m/A.mkv');
    itemKey({ ids: { tmdb: 5 }, title: 'A' }).should.equal('tmdb:5');
    itemKey({ title: 'A', year: 2010, type: 'movie' }).should.equal('title:movie::::A:2010');
  });

  it('what a player cannot hold is left out and said; the rest of the change is written', async function () {
    const t = fakeTarget();
    t.cannot = { favourite: 'no favourites here' };
    const r = await applyTo(t, change({ played: true, favourite: true }));
    r.should.match({ status: 'verified', reason: 'not synced: no favourites here' });
    t.writes.should.eql([{ played: true }]);
    (await applyTo(t, change({ favourite: true }))).should.match({
      status: 'unsupported',
      reason: 'no favourites here',
    });
  });
});
