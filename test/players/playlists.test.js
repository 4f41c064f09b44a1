// Playlists on Jellyfin (10.10, 10.11, 10.8), Emby and Plex against the simulators: created, listed, items added and
// removed, read back; long lists sent in chunks and read in pages; what a version refuses said in words; wrong
// shapes named; no secret in anything sent back or thrown.
'use strict';
require('should');
const { JellyfinClient } = require('../../nodes/players/jellyfin/client');
const { PlexClient } = require('../../nodes/players/plex/client');
const { PlayerError, UnsupportedError } = require('../../nodes/players/errors');
const jf = require('../../nodes/players/jellyfin/playlists');
const plex = require('../../nodes/players/plex/playlists');
const { JellyfinSim } = require('../sim/jellyfin-sim');
const { PlexSim } = require('../sim/plex-sim');
const { HttpSim } = require('../sim/http-sim');

/** The secret must not be anywhere in what the call returned. */
function holdsNo(secret, value) {
  JSON.stringify(value).should.not.containEql(secret);
}

async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** The error, with its message, must not hold the secret. */
function errorHoldsNo(secret, err) {
  holdsNo(secret, { message: err.message, stack: err.stack, ...err });
}

for (const { name, version, emby } of [
  { name: 'Jellyfin 10.10.7', version: '10.10.7', emby: false },
  { name: 'Jellyfin 10.11.0', version: '10.11.0', emby: false },
  { name: 'Jellyfin 10.8.13', version: '10.8.13', emby: false },
  { name: 'Emby', version: '4.8.10.0', emby: true },
]) {
  describe(`playlists on ${name}`, function () {
    const old = version === '10.8.13';
    // 10.9.0 to 10.10.x refuse an API key the removal (it takes no userId, and the key is no user).
    const removalRefused = version === '10.10.7';
    let sim;
    let client;
    let anna;
    let ben;
    let movies;
    beforeEach(async function () {
      sim = await new JellyfinSim({ emby }).start();
      sim.version = version;
      anna = sim.addUser('anna', { admin: true });
      ben = sim.addUser('ben');
      movies = sim.addMovies(5);
      client = new JellyfinClient({
        name: 'Den',
        url: sim.url,
        apiKey: sim.apiKey,
        deviceId: 'dev-1',
        server: emby ? 'emby' : undefined,
      });
    });
    afterEach(async function () {
      await sim.stop();
    });

    const ids = (list) => list.map((m) => m.Id);

    it('creates a video playlist for the user, in the form this version takes', async function () {
      const made = await jf.createJellyfinPlaylist(client, anna.Id, 'Weekend', ids(movies.slice(0, 2)));
      made.id.should.be.a.String();
      made.more.should.eql([]);
      const [write] = sim.playlistWrites;
      if (emby) {
        made.sent.should.eql({
          method: 'POST /Playlists',
          params: {
            Name: 'Weekend',
            Ids: ids(movies.slice(0, 2)).join(','),
            UserId: anna.Id,
            MediaType: 'Video',
          },
        });
        write.query.should.match({ Name: 'Weekend', UserId: anna.Id, MediaType: 'Video' });
      } else {
        const body = { Name: 'Weekend', Ids: ids(movies.slice(0, 2)), UserId: anna.Id, MediaType: 'Video' };
        if (!old) Object.assign(body, { Users: [{ UserId: anna.Id, CanEdit: true }], IsPublic: false });
        made.sent.should.eql({ method: 'POST /Playlists', params: body });
        write.body.should.eql(body);
        write.query.should.eql({});
      }
      const stored = sim.playlists.find((p) => p.Id === made.id);
      stored.should.match({ Name: 'Weekend', MediaType: 'Video', OwnerUserId: anna.Id, OpenAccess: false });
      holdsNo(sim.apiKey, made);
    });

    it("lists the user's video playlists only", async function () {
      const made = await jf.createJellyfinPlaylist(client, anna.Id, 'Weekend', []);
      sim.addPlaylist(anna.Id, 'Songs', [], { mediaType: 'Audio' });
      sim.addPlaylist(ben.Id, 'Ben only');
      (await jf.getJellyfinPlaylists(client, anna.Id)).should.eql([{ id: made.id, name: 'Weekend' }]);
      (await jf.getJellyfinPlaylists(client, ben.Id)).should.eql([
        { id: sim.playlists[2].Id, name: 'Ben only' },
      ]);
      const listing = sim.requests('/Items').at(-1);
      listing.query.should.match({ userId: ben.Id, IncludeItemTypes: 'Playlist', Recursive: 'true' });
    });

    it('adds, removes and reads back the entries in order', async function () {
      const { id } = await jf.createJellyfinPlaylist(client, anna.Id, 'Weekend', [movies[0].Id]);
      const added = await jf.addJellyfinPlaylistItems(client, anna.Id, id, [
        movies[1].Id,
        movies[2].Id,
        movies[0].Id, // already there: left out by the server
        'ffffffffffffffffffffffffffffffff', // unknown: left out by the server
      ]);
      added.should.eql([
        {
          method: `POST /Playlists/${id}/Items`,
          params: {
            ids: `${movies[1].Id},${movies[2].Id},${movies[0].Id},ffffffffffffffffffffffffffffffff`,
            userId: anna.Id,
          },
        },
      ]);
      const entries = await jf.getJellyfinPlaylistItems(client, anna.Id, id);
      entries.map((e) => e.itemId).should.eql(ids(movies.slice(0, 3)));
      for (const e of entries) e.entryId.should.be.a.String();

      if (removalRefused) {
        const err = await rejection(jf.removeJellyfinPlaylistItems(client, id, [entries[1].entryId]));
        err.should.be.instanceOf(UnsupportedError);
        err.message.should.match(/10\.10\.7.*owner.*API key.*10\.11/);
        errorHoldsNo(sim.apiKey, err);
        sim.playlistWrites.at(-1).should.match({ method: 'DELETE', status: 400 });
        (await jf.getJellyfinPlaylistItems(client, anna.Id, id)).should.eql(entries);
        return;
      }
      const removed = await jf.removeJellyfinPlaylistItems(client, id, [entries[1].entryId]);
      removed.should.eql([
        { method: `DELETE /Playlists/${id}/Items`, params: { entryIds: entries[1].entryId } },
      ]);
      (await jf.getJellyfinPlaylistItems(client, anna.Id, id)).should.eql([entries[0], entries[2]]);
      holdsNo(sim.apiKey, [added, removed, entries]);
    });

    it('gives no request for nothing to add or remove', async function () {
      const { id } = await jf.createJellyfinPlaylist(client, anna.Id, 'Weekend', []);
      const before = sim.log.length;
      (await jf.addJellyfinPlaylistItems(client, anna.Id, id, [])).should.eql([]);
      (await jf.removeJellyfinPlaylistItems(client, id, [])).should.eql([]);
      sim.log.length.should.equal(before);
    });

    it('adds 250 items in 3 requests of at most 100', async function () {
      const many = sim.addMovies(250);
      const { id } = await jf.createJellyfinPlaylist(client, anna.Id, 'Big', []);
      const sent = await jf.addJellyfinPlaylistItems(client, anna.Id, id, ids(many));
      sent.map((c) => c.params.ids.split(',').length).should.eql([100, 100, 50]);
      sim.playlistWrites.filter((w) => w.method === 'POST' && w.path !== '/Playlists').length.should.equal(3);
      (await jf.getJellyfinPlaylistItems(client, anna.Id, id)).map((e) => e.itemId).should.eql(ids(many));
    });

    it('creates a playlist of 250 items (Emby: 100 with it, the rest added after)', async function () {
      const many = sim.addMovies(250);
      const made = await jf.createJellyfinPlaylist(client, anna.Id, 'Big', ids(many));
      if (emby) {
        made.sent.params.Ids.split(',').length.should.equal(100);
        made.more.map((c) => c.params.ids.split(',').length).should.eql([100, 50]);
      } else {
        made.sent.params.Ids.length.should.equal(250);
        made.more.should.eql([]);
      }
      (await jf.getJellyfinPlaylistItems(client, anna.Id, made.id))
        .map((e) => e.itemId)
        .should.eql(ids(many));
    });

    it('reads a long playlist page by page', async function () {
      const many = sim.addMovies(1100);
      const playlist = sim.addPlaylist(anna.Id, 'Long', ids(many));
      const entries = await jf.getJellyfinPlaylistItems(client, anna.Id, playlist.Id);
      entries.map((e) => e.itemId).should.eql(ids(many));
      const pages = sim.requests(`/Playlists/${playlist.Id}/Items`);
      pages
        .map((r) => [r.query.startIndex, r.query.limit])
        .should.eql([
          ['0', '500'],
          ['500', '500'],
          ['1000', '500'],
        ]);
      for (const r of pages) r.query.userId.should.equal(anna.Id);
    });

    it('names an unknown playlist', async function () {
      const err = await rejection(
        jf.getJellyfinPlaylistItems(client, anna.Id, 'ffffffffffffffffffffffffffffffff'),
      );
      err.should.be.instanceOf(PlayerError);
      err.code.should.equal('not-found');
      err.call.should.equal('GET /Playlists/ffffffffffffffffffffffffffffffff/Items');
    });

    it('refuses a playlist without a name, sending nothing', async function () {
      const before = sim.log.length;
      const err = await rejection(jf.createJellyfinPlaylist(client, anna.Id, '  ', []));
      err.should.be.instanceOf(PlayerError);
      err.code.should.equal('config');
      sim.log.length.should.equal(before);
    });
  });
}

describe('playlists on Jellyfin 10.9+: what the simulator holds to', function () {
  let sim;
  let client;
  let anna;
  beforeEach(async function () {
    sim = await new JellyfinSim().start();
    anna = sim.addUser('anna');
    sim.addMovies(2);
    client = new JellyfinClient({ name: 'Den', url: sim.url, apiKey: sim.apiKey, deviceId: 'dev-1' });
  });
  afterEach(async function () {
    await sim.stop();
  });

  it('takes the obsolete query form too, and makes a body without IsPublic public', async function () {
    const res = await fetch(
      `${sim.url}/Playlists?name=Old&ids=${sim.items[0].Id}&userId=${anna.Id}&mediaType=Video`,
      { method: 'POST', headers: { Authorization: `MediaBrowser Token="${sim.apiKey}"` } },
    );
    res.status.should.equal(200);
    const viaQuery = sim.playlists.at(-1);
    viaQuery.should.match({ Name: 'Old', OpenAccess: false, OwnerUserId: anna.Id });
    viaQuery.entries.length.should.equal(1);
    const res2 = await fetch(`${sim.url}/Playlists`, {
      method: 'POST',
      headers: { Authorization: `MediaBrowser Token="${sim.apiKey}"`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ Name: 'Open', Ids: [], UserId: anna.Id, MediaType: 'Video' }),
    });
    res2.status.should.equal(200);
    sim.playlists.at(-1).OpenAccess.should.be.true();
  });

  it('refuses a call without a user (an API key has none)', async function () {
    const { id } = await jf.createJellyfinPlaylist(client, anna.Id, 'Mine', []);
    const err = await rejection(jf.addJellyfinPlaylistItems(client, '', id, [sim.items[0].Id]));
    err.should.be.instanceOf(PlayerError);
    err.status.should.equal(400);
  });
});

describe('playlists: wrong shapes', function () {
  class OddSim extends HttpSim {
    constructor(answers) {
      super();
      this.answers = answers;
    }
    handle(req, res) {
      if (req.path === '/System/Info/Public') return this.json(res, 200, { Version: '10.10.7' });
      if (req.path === '/') return this.json(res, 200, { MediaContainer: { machineIdentifier: 'm1' } });
      const answer = this.answers[`${req.method} ${req.path}`];
      if (answer === undefined) return res.writeHead(404).end();
      return this.json(res, 200, answer);
    }
  }
  let sim;
  afterEach(async function () {
    await sim.stop();
  });

  const jellyfin = () =>
    new JellyfinClient({ name: 'Odd', url: sim.url, apiKey: 'secret-jf-key', deviceId: 'dev-1' });
  const plexClient = () =>
    new PlexClient({ name: 'Odd', url: sim.url, token: 'secret-plex-token', clientId: 'c1' });

  for (const { what, answers, call, field, run } of [
    {
      what: 'Jellyfin playlists not a list',
      answers: { 'GET /Items': { Items: 'none' } },
      call: 'GET /Items',
      field: 'Items',
      run: () => jf.getJellyfinPlaylists(jellyfin(), 'u1'),
    },
    {
      what: 'a Jellyfin creation without an Id',
      answers: { 'POST /Playlists': { Name: 'x' } },
      call: 'POST /Playlists',
      field: 'Id',
      run: () => jf.createJellyfinPlaylist(jellyfin(), 'u1', 'x', ['a']),
    },
    {
      what: 'a Jellyfin entry with a numeric Id',
      answers: {
        'GET /Playlists/p1/Items': { Items: [{ Id: 5, PlaylistItemId: 'e' }], TotalRecordCount: 1 },
      },
      call: 'GET /Playlists/p1/Items',
      field: 'Items[0].Id',
      run: () => jf.getJellyfinPlaylistItems(jellyfin(), 'u1', 'p1'),
    },
    {
      what: 'a Plex playlist without a ratingKey',
      answers: { 'GET /playlists': { MediaContainer: { Metadata: [{ title: 'x', smart: false }] } } },
      call: 'GET /playlists',
      field: 'MediaContainer.Metadata[0].ratingKey',
      run: () => plex.getPlexPlaylists(plexClient()),
    },
    {
      what: 'a Plex smart flag of another kind',
      answers: { 'GET /playlists': { MediaContainer: { Metadata: [{ ratingKey: '1', smart: 'yes' }] } } },
      call: 'GET /playlists',
      field: 'MediaContainer.Metadata[0].smart',
      run: () => plex.getPlexPlaylists(plexClient()),
    },
    {
      what: 'a Plex creation without Metadata',
      answers: { 'POST /playlists': { MediaContainer: { size: 0 } } },
      call: 'POST /playlists',
      field: 'MediaContainer.Metadata[0]',
      run: () => plex.createPlexPlaylist(plexClient(), 'x', ['1']),
    },
    {
      what: 'a Plex entry without a playlistItemID',
      answers: { 'GET /playlists/7/items': { MediaContainer: { Metadata: [{ ratingKey: '1' }] } } },
      call: 'GET /playlists/7/items',
      field: 'MediaContainer.Metadata[0].playlistItemID',
      run: () => plex.getPlexPlaylistItems(plexClient(), '7'),
    },
  ]) {
    it(`names the call and the field: ${what}`, async function () {
      sim = await new OddSim(answers).start();
      const err = await rejection(run());
      err.should.be.instanceOf(PlayerError);
      err.code.should.equal('protocol');
      err.call.should.equal(call);
      err.message.should.containEql(field);
      errorHoldsNo('secret-jf-key', err);
      errorHoldsNo('secret-plex-token', err);
    });
  }
});

describe('playlists on Plex', function () {
  let sim;
  let client;
  let movies;
  beforeEach(async function () {
    sim = await new PlexSim().start();
    movies = sim.addMovies(5);
    client = new PlexClient({ name: 'Den', url: sim.url, token: sim.token, clientId: 'client-1' });
  });
  afterEach(async function () {
    await sim.stop();
  });

  const keys = (list) => list.map((m) => m.ratingKey);
  const uriOf = (list) =>
    `server://${sim.machineIdentifier}/com.plexapp.plugins.library/library/metadata/${keys(list).join(',')}`;

  it('creates a video playlist naming this server, asking its machineIdentifier once', async function () {
    const made = await plex.createPlexPlaylist(client, 'Weekend', keys(movies.slice(0, 2)));
    made.sent.should.eql({
      method: 'POST /playlists',
      params: { type: 'video', title: 'Weekend', smart: 0, uri: uriOf(movies.slice(0, 2)) },
    });
    made.more.should.eql([]);
    const stored = sim.playlists.find((p) => p.ratingKey === made.ratingKey);
    stored.should.match({ title: 'Weekend', smart: false, playlistType: 'video' });
    stored.items.map((e) => e.ratingKey).should.eql(keys(movies.slice(0, 2)));
    await plex.addPlexPlaylistItems(client, made.ratingKey, [movies[2].ratingKey]);
    sim.requests('/').length.should.equal(1);
    holdsNo(sim.token, made);
  });

  it('creates an empty playlist with no uri', async function () {
    const made = await plex.createPlexPlaylist(client, 'Empty', []);
    made.sent.params.should.eql({ type: 'video', title: 'Empty', smart: 0 });
    (await plex.getPlexPlaylistItems(client, made.ratingKey)).should.eql([]);
  });

  it('lists the video playlists, smart and audio ones left out', async function () {
    const made = await plex.createPlexPlaylist(client, 'Weekend', []);
    sim.addPlaylist('Recently added', [], { smart: true });
    sim.addPlaylist('Songs', [], { type: 'audio' });
    (await plex.getPlexPlaylists(client)).should.eql([{ ratingKey: made.ratingKey, title: 'Weekend' }]);
    sim.requests('/playlists').at(-1).query.should.eql({ playlistType: 'video' });
  });

  it('adds, removes and reads back the entries in order', async function () {
    const { ratingKey } = await plex.createPlexPlaylist(client, 'Weekend', [movies[0].ratingKey]);
    const added = await plex.addPlexPlaylistItems(client, ratingKey, keys(movies.slice(1, 4)));
    added.should.eql([
      { method: `PUT /playlists/${ratingKey}/items`, params: { uri: uriOf(movies.slice(1, 4)) } },
    ]);
    const entries = await plex.getPlexPlaylistItems(client, ratingKey);
    entries.map((e) => e.ratingKey).should.eql(keys(movies.slice(0, 4)));
    for (const e of entries) e.entryId.should.match(/^\d+$/);

    const removed = await plex.removePlexPlaylistItems(client, ratingKey, [
      entries[1].entryId,
      entries[3].entryId,
    ]);
    removed.should.eql([
      { method: `DELETE /playlists/${ratingKey}/items/${entries[1].entryId}`, params: {} },
      { method: `DELETE /playlists/${ratingKey}/items/${entries[3].entryId}`, params: {} },
    ]);
    (await plex.getPlexPlaylistItems(client, ratingKey)).should.eql([entries[0], entries[2]]);
    sim.playlistWrites
      .map((w) => [w.method, w.status])
      .should.eql([
        ['POST', 200],
        ['PUT', 200],
        ['DELETE', 200],
        ['DELETE', 200],
      ]);
    holdsNo(sim.token, [added, removed, entries]);
  });

  it('adds 250 items in 3 requests of at most 100, and creates with 250 the same way', async function () {
    const many = sim.addMovies(250);
    const { ratingKey } = await plex.createPlexPlaylist(client, 'Big', []);
    const sent = await plex.addPlexPlaylistItems(client, ratingKey, keys(many));
    sent.length.should.equal(3);
    sent.map((c) => c.params.uri.split('/').at(-1).split(',').length).should.eql([100, 100, 50]);
    sim.playlistWrites.filter((w) => w.method === 'PUT').length.should.equal(3);
    (await plex.getPlexPlaylistItems(client, ratingKey)).map((e) => e.ratingKey).should.eql(keys(many));

    const made = await plex.createPlexPlaylist(client, 'Big too', keys(many));
    made.sent.params.uri.split('/').at(-1).split(',').length.should.equal(100);
    made.more
      .map((c) => c.method)
      .should.eql([`PUT /playlists/${made.ratingKey}/items`, `PUT /playlists/${made.ratingKey}/items`]);
    (await plex.getPlexPlaylistItems(client, made.ratingKey)).map((e) => e.ratingKey).should.eql(keys(many));
  });

  it('reads a long playlist page by page', async function () {
    const many = sim.addMovies(1100);
    const playlist = sim.addPlaylist('Long', keys(many));
    const entries = await plex.getPlexPlaylistItems(client, playlist.ratingKey);
    entries.map((e) => e.ratingKey).should.eql(keys(many));
    sim
      .requests(`/playlists/${playlist.ratingKey}/items`)
      .map((r) => [r.headers['x-plex-container-start'], r.headers['x-plex-container-size']])
      .should.eql([
        ['0', '500'],
        ['500', '500'],
        ['1000', '500'],
      ]);
  });

  it('is refused by a smart playlist and by another server', async function () {
    const smart = sim.addPlaylist('Recently added', [], { smart: true });
    const err = await rejection(plex.addPlexPlaylistItems(client, smart.ratingKey, [movies[0].ratingKey]));
    err.should.be.instanceOf(PlayerError);
    err.status.should.equal(400);
    err.call.should.equal(`PUT /playlists/${smart.ratingKey}/items`);
    errorHoldsNo(sim.token, err);

    // The machineIdentifier was asked once: the server now answers as another machine.
    const { ratingKey } = await plex.createPlexPlaylist(client, 'Weekend', []);
    sim.machineIdentifier = 'another-machine';
    const wrong = await rejection(plex.addPlexPlaylistItems(client, ratingKey, [movies[0].ratingKey]));
    wrong.status.should.equal(400);
    (await plex.getPlexPlaylistItems(client, ratingKey)).should.eql([]);
  });

  it('names an unknown playlist', async function () {
    const err = await rejection(plex.getPlexPlaylistItems(client, '999999'));
    err.should.be.instanceOf(PlayerError);
    err.code.should.equal('not-found');
    err.call.should.equal('GET /playlists/999999/items');
  });
});
