// A whole library's watched state, page by page, against the simulators (no Node-RED): Kodi (movies, then
// episodes, with limits), Jellyfin and Emby (one /Items listing for a user), Plex (each movie and show section).
// One request per page, pages never longer than asked for, the next page asked only after the last was visited,
// the right played flags, positions, ids and files, and a wrong shape in any page a PlayerError naming the call.
'use strict';
require('should');
const { KodiRpc } = require('../../nodes/players/kodi/rpc');
const { JellyfinClient } = require('../../nodes/players/jellyfin/client');
const { PlexClient } = require('../../nodes/players/plex/client');
const { PlayerError } = require('../../nodes/players/errors');
const { listKodiWatched } = require('../../nodes/players/kodi/watched-list');
const { listJellyfinWatched } = require('../../nodes/players/jellyfin/watched-list');
const { listPlexWatched } = require('../../nodes/players/plex/watched-list');
const { KodiSim } = require('../sim/kodi-sim');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');

async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Runs a listing, keeping every page's length and every entry. */
async function collect(list) {
  const pages = [];
  const entries = [];
  await list((page) => {
    pages.push(page.length);
    entries.push(...page);
  });
  return { pages, entries };
}

const pad = (k, n) => String(k).padStart(n, '0');
const movieFile = (folder, k) => `${folder}/Movie ${pad(k, 4)} (2000)/Movie ${pad(k, 4)} (2000).mkv`;
const imdb = (k) => `tt${pad(k, 7)}`;
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('watched list: the simulators fill a large library fast', function () {
  it('5,000 movies each in well under a second', function () {
    for (const [name, fill] of [
      ['Kodi', () => new KodiSim().addMovies(5000, { folder: '/m', watchedEvery: 3 })],
      ['Jellyfin', () => new JellyfinSim().addMovies(5000, { folder: '/m', userId: 'u1', watchedEvery: 3 })],
      ['Plex', () => new PlexSim().addMovies(5000, { folder: '/m', watchedEvery: 3 })],
    ]) {
      const t0 = process.hrtime.bigint();
      fill().length.should.equal(5000);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      ms.should.be.below(500, `${name} took ${ms} ms`);
    }
  });
});

describe('watched list: Kodi', function () {
  let sim;
  let kodi;
  beforeEach(async function () {
    sim = await new KodiSim().start();
    kodi = new KodiRpc({
      name: 'Den',
      host: '127.0.0.1',
      httpPort: sim.httpPort,
      wsPort: sim.wsPort,
      tls: false,
      username: sim.username,
      password: sim.password,
    });
  });
  afterEach(async function () {
    await sim.stop();
  });

  const calls = (method) => sim.requests.filter((r) => r.method === method);

  it('1,234 movies in 3 pages of at most 500, then the episodes: one request per page', async function () {
    const movies = sim.addMovies(1234, { folder: '/data/movies', watchedEvery: 10 });
    movies[4].resume = { position: 754.5, total: 6000 };
    const episodes = sim.addEpisodes(30, { folder: '/data/tv', show: 'Dark', watchedEvery: 3 });
    const { pages, entries } = await collect((visit) => listKodiWatched(kodi, visit, 500));
    pages.should.eql([500, 500, 234, 30]);
    calls('VideoLibrary.GetMovies').length.should.equal(3);
    calls('VideoLibrary.GetEpisodes').length.should.equal(1);
    calls('VideoLibrary.GetMovies')
      .map((r) => r.params.limits)
      .should.eql([
        { start: 0, end: 500 },
        { start: 500, end: 1000 },
        { start: 1000, end: 1500 },
      ]);
    entries.length.should.equal(1264);
    entries.slice(0, 1234).forEach((e, i) => {
      const k = i + 1;
      e.should.match({ id: String(movies[i].id), type: 'movie', file: movieFile('/data/movies', k) });
      e.played.should.equal(k % 10 === 0, `movie ${k}`);
      e.ids.should.eql({ imdb: imdb(k) });
    });
    entries[0].should.eql({
      id: String(movies[0].id),
      type: 'movie',
      title: 'Movie 0001',
      file: movieFile('/data/movies', 1),
      year: 2000,
      ids: { imdb: 'tt0000001' },
      played: false,
      positionS: 0,
    });
    entries[4].positionS.should.equal(754.5);
    entries[1234].should.eql({
      id: String(episodes[0].id),
      type: 'episode',
      title: 'Episode 001',
      file: '/data/tv/Dark/Season 01/Dark S01E001.mkv',
      year: 2010,
      show: 'Dark',
      season: 1,
      episode: 1,
      ids: { tvdb: 1001 },
      played: false,
      positionS: 0,
    });
    entries.filter((e) => e.type === 'episode' && e.played).length.should.equal(10);
  });

  it('asks only for properties Kodi has (no year on episodes): the sim refuses others as Kodi does', async function () {
    sim.addEpisodes(2);
    await listKodiWatched(kodi, () => {});
    const asked = calls('VideoLibrary.GetEpisodes')[0].params.properties;
    asked.should.not.containEql('year');
    const err = await rejection(
      kodi.call('VideoLibrary.GetEpisodes', { properties: ['title', 'year'], limits: { start: 0, end: 5 } }),
    );
    err.should.be.instanceOf(PlayerError);
    err.code.should.equal('rpc');
  });

  it('stops at the total: 1,000 movies are 2 requests, an empty library 1 and no page', async function () {
    sim.addMovies(1000);
    const { pages } = await collect((visit) => listKodiWatched(kodi, visit, 500));
    pages.should.eql([500, 500]);
    calls('VideoLibrary.GetMovies').length.should.equal(2);
    calls('VideoLibrary.GetEpisodes').length.should.equal(1);
  });

  it('asks for the next page only after the last one was visited (an async visitor)', async function () {
    sim.addMovies(1234);
    const seen = [];
    await listKodiWatched(
      kodi,
      async (page) => {
        const before = sim.requests.length;
        await delay(20);
        seen.push([page.length, sim.requests.length - before]);
      },
      500,
    );
    seen.should.eql([
      [500, 0],
      [500, 0],
      [234, 0],
    ]);
  });

  it('a wrong shape in the second page: a PlayerError naming Kodi and the call, after the first page', async function () {
    sim.addMovies(1234);
    sim.rawAnswer = (req) =>
      req.method === 'VideoLibrary.GetMovies' && req.params.limits.start === 500
        ? JSON.stringify({
            jsonrpc: '2.0',
            id: req.id,
            result: { movies: [{ movieid: 'x', title: 'A' }], limits: { start: 500, end: 501, total: 1234 } },
          })
        : undefined;
    const pages = [];
    const err = await rejection(listKodiWatched(kodi, (page) => pages.push(page.length), 500));
    err.should.be.instanceOf(PlayerError);
    err.should.match({ code: 'protocol', call: 'VideoLibrary.GetMovies', player: kodi.label });
    err.message.should.match(/movies\[0\]\.movieid is text, not a whole number/);
    pages.should.eql([500]);
  });

  it('a Kodi that ignores the limits: the answer is still handed on in pages of at most 500', async function () {
    sim.addMovies(1234);
    sim.rawAnswer = (req) => {
      if (req.method !== 'VideoLibrary.GetMovies') return undefined;
      const params = { ...req.params };
      delete params.limits;
      const all = sim.answer({ ...req, params });
      return JSON.stringify(all);
    };
    const { pages } = await collect((visit) => listKodiWatched(kodi, visit, 500));
    pages.should.eql([500, 500, 234]);
    calls('VideoLibrary.GetMovies').length.should.equal(1, 'one answer held everything: not asked again');
  });

  it('a page size of 0: a PlayerError ("config") and nothing asked', async function () {
    const err = await rejection(listKodiWatched(kodi, () => {}, 0));
    err.should.be.instanceOf(PlayerError);
    err.code.should.equal('config');
    sim.requests.length.should.equal(0);
  });
});

for (const emby of [false, true]) {
  describe(`watched list: ${emby ? 'Emby' : 'Jellyfin'}`, function () {
    let sim;
    let client;
    let anna;
    let ben;
    beforeEach(async function () {
      sim = await new JellyfinSim({ emby }).start();
      anna = sim.addUser('anna', { admin: true });
      ben = sim.addUser('ben');
      client = new JellyfinClient({
        name: 'Jelly',
        url: sim.url,
        apiKey: sim.apiKey,
        deviceId: 'dev-1',
        server: emby ? 'emby' : undefined,
      });
    });
    afterEach(async function () {
      await sim.stop();
    });

    it("1,234 movies in 3 pages of at most 500, one request each, with the user's played flags", async function () {
      const movies = sim.addMovies(1234, { folder: '/data/movies', userId: anna.Id, watchedEvery: 10 });
      sim.userDataOf(anna.Id, movies[4].Id).PlaybackPositionTicks = 7_545_000_000;
      const { pages, entries } = await collect((visit) => listJellyfinWatched(client, anna.Id, visit, 500));
      pages.should.eql([500, 500, 234]);
      const asked = sim.requests('/Items');
      asked.length.should.equal(3);
      asked
        .map((r) => [r.query.StartIndex, r.query.Limit])
        .should.eql([
          ['0', '500'],
          ['500', '500'],
          ['1000', '500'],
        ]);
      asked[0].query.should.match({
        userId: anna.Id,
        Recursive: 'true',
        IncludeItemTypes: 'Movie,Episode',
        Fields: 'Path,ProviderIds',
        EnableUserData: 'true',
      });
      entries.forEach((e, i) => {
        const k = i + 1;
        e.should.match({ id: movies[i].Id, type: 'movie', file: movieFile('/data/movies', k), year: 2000 });
        e.played.should.equal(k % 10 === 0, `movie ${k}`);
        e.ids.should.eql({ imdb: imdb(k) });
      });
      entries[4].positionS.should.equal(754.5);
      entries[9].should.eql({
        id: movies[9].Id,
        type: 'movie',
        title: 'Movie 0010',
        file: movieFile('/data/movies', 10),
        year: 2000,
        ids: { imdb: 'tt0000010' },
        played: true,
        positionS: 0,
      });
      // Another user's state is theirs: ben watched nothing.
      const bens = await collect((visit) => listJellyfinWatched(client, ben.Id, visit, 500));
      bens.entries.filter((e) => e.played).length.should.equal(0);
    });

    it('movies and episodes in one listing over the server; other item types left out', async function () {
      sim.addMovies(3, { folder: '/data/movies', userId: anna.Id, watchedEvery: 2 });
      const eps = sim.addEpisodes(4, { folder: '/data/tv', show: 'Dark', userId: anna.Id, watchedEvery: 2 });
      sim.addSeries('/data/tv/Dark', 'Dark'); // a Series: not asked for (and dropped if a server sent it)
      const { pages, entries } = await collect((visit) => listJellyfinWatched(client, anna.Id, visit));
      pages.should.eql([7]);
      entries.filter((e) => e.type === 'episode').length.should.equal(4);
      entries
        .find((e) => e.id === eps[1].Id)
        .should.eql({
          id: eps[1].Id,
          type: 'episode',
          title: 'Episode 002',
          file: '/data/tv/Dark/Season 01/Dark S01E002.mkv',
          year: 2010,
          show: 'Dark',
          season: 1,
          episode: 2,
          ids: { tvdb: 1002 },
          played: true,
          positionS: 0,
        });
    });

    it('a wrong shape in the second page: a PlayerError naming the server and GET /Items', async function () {
      sim.addMovies(1234, { userId: anna.Id });
      const listItems = sim.listItems.bind(sim);
      sim.listItems = (req, res) =>
        req.query.StartIndex === '500'
          ? sim.json(res, 200, { Items: [{ Id: 5, Type: 'Movie', UserData: {} }], TotalRecordCount: 1234 })
          : listItems(req, res);
      const pages = [];
      const err = await rejection(
        listJellyfinWatched(client, anna.Id, (page) => pages.push(page.length), 500),
      );
      err.should.be.instanceOf(PlayerError);
      err.should.match({ code: 'protocol', call: 'GET /Items', player: client.label });
      err.message.should.match(/Items\[0\]\.Id is a number, not text/);
      pages.should.eql([500]);
    });

    it('an item without UserData (a user the server does not know) is a wrong shape, never "unwatched"', async function () {
      sim.addMovies(2, { userId: anna.Id, watchedEvery: 1 });
      const err = await rejection(listJellyfinWatched(client, 'nobody', () => {}));
      err.should.be.instanceOf(PlayerError);
      err.message.should.match(/Items\[0\]\.UserData is missing, not an object/);
    });
  });
}

describe('watched list: Plex', function () {
  let sim;
  let client;
  beforeEach(async function () {
    sim = await new PlexSim().start();
    client = new PlexClient({ name: 'Lounge', url: sim.url, token: sim.token, clientId: 'client-1' });
  });
  afterEach(async function () {
    await sim.stop();
  });

  it('1,234 movies in 3 pages, then the episodes of a show section; music skipped; one request per page', async function () {
    const movies = sim.addMovies(1234, { folder: '/data/movies', watchedEvery: 10 });
    movies[4].viewOffset = 754_500;
    sim.addSection('Music', 'artist', ['/data/music']);
    const eps = sim.addEpisodes(30, { folder: '/data/tv', show: 'Dark', watchedEvery: 3 });
    const { pages, entries } = await collect((visit) => listPlexWatched(client, visit, 500));
    pages.should.eql([500, 500, 234, 30]);
    const movieCalls = sim.requests('/library/sections/1/all');
    movieCalls.length.should.equal(3);
    movieCalls
      .map((r) => [r.headers['x-plex-container-start'], r.headers['x-plex-container-size']])
      .should.eql([
        ['0', '500'],
        ['500', '500'],
        ['1000', '500'],
      ]);
    movieCalls[0].query.should.match({ type: '1', includeGuids: '1' });
    const showCalls = sim.requests('/library/sections/3/all');
    showCalls.length.should.equal(1);
    showCalls[0].query.type.should.equal('4');
    sim.requests('/library/sections/2/all').length.should.equal(0, 'no music');
    entries.slice(0, 1234).forEach((e, i) => {
      const k = i + 1;
      e.should.match({
        id: movies[i].ratingKey,
        type: 'movie',
        file: movieFile('/data/movies', k),
        year: 2000,
      });
      e.played.should.equal(k % 10 === 0, `movie ${k}`);
      e.ids.should.eql({ imdb: imdb(k) });
    });
    entries[4].positionS.should.equal(754.5);
    entries[1236].should.eql({
      id: eps[2].ratingKey,
      type: 'episode',
      title: 'Episode 003',
      file: '/data/tv/Dark/Season 01/Dark S01E003.mkv',
      year: 2010,
      show: 'Dark',
      season: 1,
      episode: 3,
      ids: { tvdb: 1003 },
      played: true,
      positionS: 0,
    });
  });

  it('a wrong shape in the second page: a PlayerError naming the server and the section listing', async function () {
    sim.addMovies(1234);
    const handle = sim.handle.bind(sim);
    sim.handle = (req, res) =>
      req.path === '/library/sections/1/all' && req.headers['x-plex-container-start'] === '500'
        ? sim.json(res, 200, {
            MediaContainer: { size: 1, totalSize: 1234, Metadata: [{ ratingKey: '9', viewCount: 'one' }] },
          })
        : handle(req, res);
    const pages = [];
    const err = await rejection(listPlexWatched(client, (page) => pages.push(page.length), 500));
    err.should.be.instanceOf(PlayerError);
    err.should.match({ code: 'protocol', call: 'GET /library/sections/1/all', player: client.label });
    err.message.should.match(/Metadata\[0\]\.viewCount is text, not a number/);
    pages.should.eql([500]);
  });

  it('an item without a ratingKey is a wrong shape', async function () {
    sim.addMovies(1);
    const handle = sim.handle.bind(sim);
    sim.handle = (req, res) =>
      req.path === '/library/sections/1/all'
        ? sim.json(res, 200, { MediaContainer: { size: 1, totalSize: 1, Metadata: [{ type: 'movie' }] } })
        : handle(req, res);
    const err = await rejection(listPlexWatched(client, () => {}));
    err.should.be.instanceOf(PlayerError);
    err.message.should.match(/Metadata\[0\]\.ratingKey is missing/);
  });
});
