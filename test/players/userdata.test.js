// User data on Jellyfin (10.10, 10.8), Emby and Plex against the simulators: users, watched state, resume position,
// favourite and rating written and read back; what a version lacks refused in words; wrong shapes named; no secret
// in anything sent back or thrown.
'use strict';
require('should');
const { JellyfinClient } = require('../../nodes/players/jellyfin/client');
const { PlexClient } = require('../../nodes/players/plex/client');
const { PlayerError, UnsupportedError } = require('../../nodes/players/errors');
const jf = require('../../nodes/players/jellyfin/userdata');
const plex = require('../../nodes/players/plex/userdata');
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

for (const { name, version, emby } of [
  { name: 'Jellyfin 10.10.7', version: '10.10.7', emby: false },
  { name: 'Jellyfin 12.0.0', version: '12.0.0', emby: false },
  { name: 'Jellyfin 10.8.13', version: '10.8.13', emby: false },
  { name: 'Emby', version: '4.8.10.0', emby: true },
]) {
  describe(`user data on ${name}`, function () {
    const old = version === '10.8.13';
    let sim;
    let client;
    let anna;
    let ben;
    let item;
    beforeEach(async function () {
      sim = await new JellyfinSim({ emby }).start();
      sim.version = version;
      anna = sim.addUser('anna', { admin: true });
      ben = sim.addUser('ben');
      sim.addLibrary('Movies', 'movies', ['/data/movies']);
      [item] = sim.addItem('/data/movies/Arrival (2016)/Arrival.mkv', 'Arrival');
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

    it('lists the users', async function () {
      const users = await jf.getJellyfinUsers(client);
      users.should.eql([
        { id: anna.Id, name: 'anna' },
        { id: ben.Id, name: 'ben' },
      ]);
    });

    it('knows its routes, asking the version once', async function () {
      const api = await jf.userDataApi(client);
      api.should.equal(emby ? 'emby' : old ? '10.8' : '10.9');
      await jf.userDataApi(client);
      await jf.getJellyfinUserData(client, anna.Id, item.Id);
      // (The Emby sim logs paths without /emby.)
      sim.requests('/System/Info/Public').length.should.equal(emby ? 0 : 1);
    });

    it('reads a fresh item as unwatched', async function () {
      (await jf.getJellyfinUserData(client, anna.Id, item.Id)).should.eql({
        played: false,
        playCount: 0,
        positionS: 0,
        favourite: false,
      });
    });

    it('marks played (with a date) and unplayed, for that user only', async function () {
      const at = new Date('2024-05-06T07:08:09Z');
      const sent = await jf.setJellyfinPlayed(client, anna.Id, item.Id, true, at);
      if (emby) {
        sent.should.eql({
          method: `POST /Users/${anna.Id}/PlayedItems/${item.Id}`,
          params: { DatePlayed: '20240506070809' },
        });
      } else if (old) {
        sent.should.eql({
          method: `POST /Users/${anna.Id}/PlayedItems/${item.Id}`,
          params: { datePlayed: at.toISOString() },
        });
      } else {
        sent.should.eql({
          method: `POST /UserPlayedItems/${item.Id}`,
          params: { userId: anna.Id, datePlayed: at.toISOString() },
        });
      }
      const state = await jf.getJellyfinUserData(client, anna.Id, item.Id);
      state.should.match({ played: true, playCount: 1, positionS: 0 });
      new Date(state.lastPlayed).toISOString().should.equal(at.toISOString());
      (await jf.getJellyfinUserData(client, ben.Id, item.Id)).played.should.be.false();

      await jf.setJellyfinPlayed(client, anna.Id, item.Id, true); // no date: at least one play, not one more
      (await jf.getJellyfinUserData(client, anna.Id, item.Id)).playCount.should.equal(1);

      const un = await jf.setJellyfinPlayed(client, anna.Id, item.Id, false);
      un.method.should.startWith('DELETE ');
      (await jf.getJellyfinUserData(client, anna.Id, item.Id)).should.eql({
        played: false,
        playCount: 0,
        positionS: 0,
        favourite: false,
      });
    });

    it('sets and clears the favourite', async function () {
      const sent = await jf.setJellyfinFavourite(client, anna.Id, item.Id, true);
      sent.method.should.equal(
        old || emby
          ? `POST /Users/${anna.Id}/FavoriteItems/${item.Id}`
          : `POST /UserFavoriteItems/${item.Id}`,
      );
      (await jf.getJellyfinUserData(client, anna.Id, item.Id)).favourite.should.be.true();
      await jf.setJellyfinFavourite(client, anna.Id, item.Id, false);
      (await jf.getJellyfinUserData(client, anna.Id, item.Id)).favourite.should.be.false();
    });

    if (old) {
      it('refuses a resume position and a rating in words: 10.8 has no user-data write', async function () {
        for (const call of [
          () => jf.setJellyfinPosition(client, anna.Id, item.Id, 754.5),
          () => jf.setJellyfinRating(client, anna.Id, item.Id, 8),
        ]) {
          const err = await rejection(call());
          err.should.be.instanceOf(UnsupportedError);
          err.code.should.equal('unsupported');
          err.player.should.equal(client.label);
          err.message.should.match(
            /^Jellyfin "Den" \(http:\/\/127\.0\.0\.1:\d+\) cannot set a (resume position|rating): Jellyfin 10\.8\.13 has no user-data route \(10\.9 or later has\)$/,
          );
        }
        sim.userDataWrites.should.have.length(0);
        // Nor does the simulated 10.8 have it.
        const err = await rejection(
          client.request('POST', `/Users/${anna.Id}/Items/${item.Id}/UserData`, { data: { Rating: 8 } }),
        );
        err.code.should.equal('not-found');
      });
    } else {
      it('sets the resume position and the rating, leaving the rest as it was', async function () {
        await jf.setJellyfinPlayed(client, anna.Id, item.Id, true);
        await jf.setJellyfinFavourite(client, anna.Id, item.Id, true);
        const sent = await jf.setJellyfinPosition(client, anna.Id, item.Id, 754.5);
        if (emby) {
          sent.method.should.equal(`POST /Users/${anna.Id}/Items/${item.Id}/UserData`);
          sent.params.should.match({ PlaybackPositionTicks: 7_545_000_000, Played: true, IsFavorite: true });
        } else {
          sent.should.eql({
            method: `POST /UserItems/${item.Id}/UserData`,
            params: { userId: anna.Id, PlaybackPositionTicks: 7_545_000_000 },
          });
          sim.userDataWrites.at(-1).body.should.eql({ PlaybackPositionTicks: 7_545_000_000 });
        }
        (await jf.getJellyfinUserData(client, anna.Id, item.Id)).should.match({
          positionS: 754.5,
          played: true,
          favourite: true,
        });
        await jf.setJellyfinRating(client, anna.Id, item.Id, 7.5);
        (await jf.getJellyfinUserData(client, anna.Id, item.Id)).should.match({
          rating: 7.5,
          positionS: 754.5,
          played: true,
          favourite: true,
          playCount: 1,
        });
        await jf.setJellyfinPosition(client, anna.Id, item.Id, 0);
        (await jf.getJellyfinUserData(client, anna.Id, item.Id)).should.match({ positionS: 0, rating: 7.5 });
      });

      it('refuses a rating out of 0–10 and a negative position, sending nothing', async function () {
        for (const call of [
          () => jf.setJellyfinRating(client, anna.Id, item.Id, 11),
          () => jf.setJellyfinRating(client, anna.Id, item.Id, NaN),
          () => jf.setJellyfinPosition(client, anna.Id, item.Id, -1),
        ]) {
          const err = await rejection(call());
          err.should.be.instanceOf(PlayerError);
          err.code.should.equal('config');
          err.message.should.match(/UserData failed: the (rating|position) must be/);
        }
        sim.userDataWrites.should.have.length(0);
      });
    }

    it('an unknown item or user is "not-found"', async function () {
      for (const call of [
        () => jf.getJellyfinUserData(client, anna.Id, 'ffffffffffffffffffffffffffffffff'),
        () => jf.setJellyfinPlayed(client, 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', item.Id, true),
        () => jf.setJellyfinFavourite(client, anna.Id, 'ffffffffffffffffffffffffffffffff', true),
      ]) {
        const err = await rejection(call());
        err.should.be.instanceOf(PlayerError);
        err.code.should.equal('not-found');
      }
    });

    it('never puts the key in what it sent or in an error', async function () {
      const sent = [
        await jf.setJellyfinPlayed(client, anna.Id, item.Id, true, new Date()),
        await jf.setJellyfinFavourite(client, anna.Id, item.Id, true),
      ];
      if (!old) sent.push(await jf.setJellyfinPosition(client, anna.Id, item.Id, 12));
      holdsNo(sim.apiKey, sent);
      const errors = [
        await rejection(jf.getJellyfinUserData(client, anna.Id, 'ffffffffffffffffffffffffffffffff')),
      ];
      if (old) errors.push(await rejection(jf.setJellyfinRating(client, anna.Id, item.Id, 5)));
      const wrongKey = new JellyfinClient({
        name: 'Den',
        url: sim.url,
        apiKey: 'wrong-key-0123456789',
        deviceId: 'dev-1',
        server: emby ? 'emby' : undefined,
      });
      errors.push(await rejection(jf.setJellyfinPlayed(wrongKey, anna.Id, item.Id, true)));
      for (const err of errors) {
        err.message.should.not.containEql(sim.apiKey);
        err.message.should.not.containEql('wrong-key-0123456789');
      }
    });
  });
}

describe('Jellyfin 10.10 user-data routes without a user', function () {
  let sim;
  before(async function () {
    sim = await new JellyfinSim().start();
  });
  after(async function () {
    await sim.stop();
  });

  it('answer 404 to an API key without userId (it has no user), as the server does', async function () {
    sim.addLibrary('Movies', 'movies', ['/data/movies']);
    const [item] = sim.addItem('/data/movies/Up.mkv', 'Up');
    const client = new JellyfinClient({ name: 'Den', url: sim.url, apiKey: sim.apiKey, deviceId: 'd' });
    const err = await rejection(client.request('POST', `/UserPlayedItems/${item.Id}`));
    err.code.should.equal('not-found');
  });
});

describe('Plex user data', function () {
  let sim;
  let client;
  let key;
  beforeEach(async function () {
    sim = await new PlexSim().start();
    sim.addSection('Movies', 'movie', ['/data/movies']);
    sim.addItem('/data/movies/Arrival (2016)/Arrival.mkv', 'Arrival');
    key = sim.items[0].ratingKey;
    client = new PlexClient({ name: 'Lounge', url: sim.url, token: sim.token, clientId: 'client-1' });
  });
  afterEach(async function () {
    await sim.stop();
  });

  it('reads a fresh item as unwatched, and an unknown one as undefined', async function () {
    (await plex.getPlexItemState(client, key)).should.eql({ played: false, viewCount: 0, positionS: 0 });
    ((await plex.getPlexItemState(client, '99999')) === undefined).should.be.true();
  });

  it('marks watched and unwatched with PUT', async function () {
    const sent = await plex.setPlexPlayed(client, key, true);
    sent.should.eql({
      method: 'PUT /:/scrobble',
      params: { identifier: 'com.plexapp.plugins.library', key },
    });
    const state = await plex.getPlexItemState(client, key);
    state.should.match({ played: true, viewCount: 1 });
    state.lastViewedAt.should.be.a.Number();
    (await plex.setPlexPlayed(client, key, false)).method.should.equal('PUT /:/unscrobble');
    (await plex.getPlexItemState(client, key)).should.match({ played: false, viewCount: 0 });
  });

  it('falls back to GET where PUT is refused (405)', async function () {
    sim.putScrobble = false;
    (await plex.setPlexPlayed(client, key, true)).method.should.equal('GET /:/scrobble');
    (await plex.getPlexItemState(client, key)).played.should.be.true();
    sim.userDataWrites.map((w) => w.method).should.eql(['PUT', 'GET']);
  });

  it('an unknown item is "not-found" when marked', async function () {
    const err = await rejection(plex.setPlexPlayed(client, '99999', true));
    err.should.be.instanceOf(PlayerError);
    err.code.should.equal('not-found');
  });

  it('sets the resume position through /:/timeline, with the client identifier', async function () {
    const sent = await plex.setPlexPosition(client, key, 754.5, 6960);
    sent.should.eql({
      method: 'POST /:/timeline',
      params: {
        ratingKey: key,
        key: `/library/metadata/${key}`,
        identifier: 'com.plexapp.plugins.library',
        state: 'stopped',
        time: 754500,
        duration: 6960000,
      },
    });
    sim.userDataWrites.at(-1).headers['x-plex-client-identifier'].should.equal('client-1');
    (await plex.getPlexItemState(client, key)).should.match({ positionS: 754.5, played: false });
  });

  it('refuses a resume position of 0 in words, and bad numbers, sending nothing', async function () {
    const zero = await rejection(plex.setPlexPosition(client, key, 0, 6960));
    zero.should.be.instanceOf(UnsupportedError);
    zero.message.should.match(
      /^Plex "Lounge" \(http:\/\/127\.0\.0\.1:\d+\) cannot set a resume position of 0: /,
    );
    for (const call of [
      () => plex.setPlexPosition(client, key, -5, 6960),
      () => plex.setPlexPosition(client, key, 5, 0),
      () => plex.setPlexRating(client, key, 10.5),
    ]) {
      const err = await rejection(call());
      err.should.be.instanceOf(PlayerError);
      err.code.should.equal('config');
    }
    sim.userDataWrites.should.have.length(0);
  });

  it('sets and clears the rating', async function () {
    (await plex.setPlexRating(client, key, 8)).should.eql({
      method: 'PUT /:/rate',
      params: { identifier: 'com.plexapp.plugins.library', key, rating: 8 },
    });
    (await plex.getPlexItemState(client, key)).rating.should.equal(8);
    (await plex.setPlexRating(client, key, undefined)).params.rating.should.equal(-1);
    (await plex.getPlexItemState(client, key)).should.not.have.property('rating');
  });

  it('never puts the token in what it sent or in an error', async function () {
    const sent = [
      await plex.setPlexPlayed(client, key, true),
      await plex.setPlexPosition(client, key, 30, 600),
      await plex.setPlexRating(client, key, 4),
    ];
    holdsNo(sim.token, sent);
    for (const w of sim.userDataWrites) w.query.should.not.have.property('X-Plex-Token');
    const errors = [
      await rejection(plex.setPlexPlayed(client, '99999', true)),
      await rejection(plex.setPlexPosition(client, key, 0, 600)),
    ];
    const wrong = new PlexClient({ name: 'Lounge', url: sim.url, token: 'wrong-token-987', clientId: 'c' });
    errors.push(await rejection(plex.setPlexRating(wrong, key, 3)));
    for (const err of errors) {
      err.message.should.not.containEql(sim.token);
      err.message.should.not.containEql('wrong-token-987');
    }
  });
});

/** A server answering every request with one JSON value. */
class StubServer extends HttpSim {
  constructor(answers) {
    super();
    this.answers = answers; // path -> value
  }

  handle(req, res) {
    const path = req.path.replace(/^\/emby/, '');
    if (!(path in this.answers)) return res.writeHead(404).end();
    return this.json(res, 200, this.answers[path]);
  }
}

describe('user data: wrong shapes become PlayerErrors naming the call', function () {
  let stub;
  afterEach(async function () {
    await stub.stop();
  });

  const jellyfin = (server) =>
    new JellyfinClient({ name: 'Den', url: stub.url, apiKey: 'k-secret-1', deviceId: 'd', server });

  async function protocolError(promise, call) {
    const err = await rejection(promise);
    err.should.be.instanceOf(PlayerError);
    err.code.should.equal('protocol');
    err.call.should.equal(call);
    err.message.should.containEql('the answer has the wrong shape');
    err.message.should.not.containEql('k-secret-1');
    err.message.should.not.containEql('t-secret-2');
    return err;
  }

  it('Jellyfin users, user data (10.10 and 10.8) and the version', async function () {
    stub = await new StubServer({
      '/System/Info/Public': { Version: '10.10.7' },
      '/Users': [{ Id: 5, Name: 'anna' }],
      '/UserItems/abc/UserData': { Played: 'yes' },
    }).start();
    const err = await protocolError(jf.getJellyfinUsers(jellyfin()), 'GET /Users');
    err.message.should.containEql('the answer[0].Id is a number, not text');
    await protocolError(jf.getJellyfinUserData(jellyfin(), 'u1', 'abc'), 'GET /UserItems/abc/UserData');
    stub.answers['/Users'] = { Items: [] };
    await protocolError(jf.getJellyfinUsers(jellyfin()), 'GET /Users');
    await stub.stop();

    stub = await new StubServer({
      '/System/Info/Public': { Version: 10.8 },
    }).start();
    await protocolError(jf.userDataApi(jellyfin()), 'GET /System/Info/Public');
    await stub.stop();

    stub = await new StubServer({
      '/System/Info/Public': { Version: '10.8.13' },
      '/Users/u1/Items/abc': { Id: 'abc', UserData: [] },
    }).start();
    await protocolError(jf.getJellyfinUserData(jellyfin(), 'u1', 'abc'), 'GET /Users/u1/Items/abc');
    stub.answers['/Users/u1/Items/abc'] = { Id: 'abc', UserData: { PlaybackPositionTicks: '100' } };
    await protocolError(jf.getJellyfinUserData(jellyfin(), 'u1', 'abc'), 'GET /Users/u1/Items/abc');
  });

  it('Emby: a wrong user data stops the write before it is sent', async function () {
    stub = await new StubServer({ '/Users/u1/Items/abc': { UserData: { IsFavorite: 1 } } }).start();
    await protocolError(jf.setJellyfinPosition(jellyfin('emby'), 'u1', 'abc', 5), 'GET /Users/u1/Items/abc');
    stub
      .requests()
      .filter((r) => r.method === 'POST')
      .should.have.length(0);
  });

  it('Plex item state', async function () {
    stub = await new StubServer({
      '/library/metadata/7': { MediaContainer: { Metadata: [{ ratingKey: '7', viewCount: '1' }] } },
      '/library/metadata/8': { MediaContainer: { Metadata: { ratingKey: '8' } } },
      '/library/metadata/9': [],
    }).start();
    const client = new PlexClient({ name: 'Lounge', url: stub.url, token: 't-secret-2', clientId: 'c' });
    const err = await protocolError(plex.getPlexItemState(client, '7'), 'GET /library/metadata/7');
    err.message.should.containEql('MediaContainer.Metadata[0].viewCount is text, not a number');
    await protocolError(plex.getPlexItemState(client, '8'), 'GET /library/metadata/8');
    await protocolError(plex.getPlexItemState(client, '9'), 'GET /library/metadata/9');
  });
});
