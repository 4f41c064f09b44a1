// Plex users other than the token's owner, against the plex.tv simulator: the home users and friends listed, a
// token for this server as a home user (protected ones with and without their PIN) and as a friend, users without
// access, a refused owner token, hostile answers (wrong shapes, HTML, DTDs, oversized XML) as PlayerErrors, and no
// token or PIN in any error.
'use strict';
require('should');
const { PlayerError } = require('../../nodes/players/errors');
const { getPlexUsers, plexTokenFor, readXmlElements, XmlError } = require('../../nodes/players/plex/users');
const { PlexTvSim } = require('../sim/plextv-sim');

const MACHINE = 'sim-plex-machine';
const OTHER = 'other-machine';
const CLIENT_ID = 'client-id-1';

async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('Plex users other than the owner (plex.tv)', function () {
  let sim;
  let options;
  let anna; // home user
  let kid; // protected home user
  let guestless; // home user with no server
  let ben; // friend, this server
  let carl; // friend, the other server only
  let dora; // friend, invite not accepted
  /** Every error seen, checked for secrets at the end of each test. */
  let errors;

  const fail = async (promise) => {
    const err = await rejection(promise);
    errors.push(err);
    return err;
  };

  beforeEach(async function () {
    sim = await new PlexTvSim({ machines: [MACHINE, OTHER] }).start();
    options = { clientsUrl: sim.url, plexTvUrl: `${sim.url}/`, timeoutMs: 5000 };
    anna = sim.addHomeUser('Anna', { username: 'anna_h' });
    kid = sim.addHomeUser('Kid', { pin: '4821' });
    guestless = sim.addHomeUser('Nobody', { servers: [] });
    ben = sim.addFriend('ben', { servers: [MACHINE] });
    carl = sim.addFriend('carl', { title: 'Carl C', servers: [OTHER] });
    dora = sim.addFriend('dora', { servers: [], pending: [MACHINE] });
    errors = [];
  });

  afterEach(async function () {
    await sim.stop();
    const secrets = [
      sim.ownerToken,
      '4821',
      '1111',
      ...sim.userTokens.keys(),
      ...[...sim.machines.values()].map((m) => m.token),
      ...[...sim.homeUsers, ...sim.friends].flatMap((u) => [...u.servers.values()].filter(Boolean)),
    ];
    for (const err of errors) {
      err.should.be.instanceOf(PlayerError);
      const text = `${err.message} ${err.reason} ${err.fix} ${err.call} ${err.player} ${JSON.stringify(err)}`;
      for (const secret of secrets) text.should.not.containEql(secret);
    }
  });

  const homeUser = (u) => ({ id: String(u.id), name: u.title, kind: 'home' });
  const friend = (u) => ({ id: String(u.id), name: u.title, kind: 'friend' });

  it('lists the home users (not the owner) and the friends, each once, by the name Plex shows', async function () {
    const users = await getPlexUsers(sim.ownerToken, CLIENT_ID, options);
    users.should.eql([
      { id: String(anna.id), name: 'Anna', kind: 'home' },
      { id: String(kid.id), name: 'Kid', kind: 'home' },
      { id: String(guestless.id), name: 'Nobody', kind: 'home' },
      { id: String(ben.id), name: 'ben', kind: 'friend' },
      { id: String(carl.id), name: 'Carl C', kind: 'friend' },
      { id: String(dora.id), name: 'dora', kind: 'friend' },
    ]);
    const home = sim.requests('/api/v2/home/users')[0];
    home.headers.should.match({
      'x-plex-token': sim.ownerToken,
      'x-plex-client-identifier': CLIENT_ID,
      'x-plex-product': 'Node-RED player-sync',
      accept: 'application/json',
    });
    const friends = sim.requests('/api/users')[0];
    friends.headers.should.match({ 'x-plex-token': sim.ownerToken, accept: 'application/xml' });
    for (const r of sim.requests()) r.raw.should.not.containEql(sim.ownerToken);
  });

  it('counts an account without a Plex Home (404) as no home users', async function () {
    sim.override('/api/v2/home/users', { status: 404, body: '{"errors":[]}' });
    const users = await getPlexUsers(sim.ownerToken, CLIENT_ID, options);
    users.map((u) => u.kind).should.eql(['friend', 'friend', 'friend']);
  });

  it("gets a home user's token for this server: switch with the owner's token, resources with theirs", async function () {
    const token = await plexTokenFor(homeUser(anna), sim.ownerToken, CLIENT_ID, MACHINE, options);
    token.should.equal(anna.servers.get(MACHINE));
    const [switched] = sim.requests(`/api/v2/home/users/${anna.id}/switch`);
    switched.method.should.equal('POST');
    switched.headers['x-plex-token'].should.equal(sim.ownerToken);
    switched.query.should.eql({});
    const [resources] = sim.requests('/api/v2/resources');
    resources.query.should.eql({ includeHttps: '1', includeRelay: '1', includeIPv6: '1' });
    sim.userTokens.get(resources.headers['x-plex-token']).should.equal(anna);
    // The other server, as the same user, has its own token.
    (await plexTokenFor(homeUser(anna), sim.ownerToken, CLIENT_ID, OTHER, options)).should.equal(
      anna.servers.get(OTHER),
    );
  });

  it('needs the PIN of a protected home user, and says so without repeating it', async function () {
    const without = await fail(plexTokenFor(homeUser(kid), sim.ownerToken, CLIENT_ID, MACHINE, options));
    without.should.match({ code: 'auth', status: 403, retryable: false });
    without.message.should.match(/home user "Kid".*needs their PIN/);
    const wrong = await fail(
      plexTokenFor(homeUser(kid), sim.ownerToken, CLIENT_ID, MACHINE, { ...options, pin: '1111' }),
    );
    wrong.should.match({ code: 'auth', status: 403 });
    wrong.message.should.match(/the PIN is wrong/);
    const token = await plexTokenFor(homeUser(kid), sim.ownerToken, CLIENT_ID, MACHINE, {
      ...options,
      pin: '4821',
    });
    token.should.equal(kid.servers.get(MACHINE));
    sim
      .requests(`/api/v2/home/users/${kid.id}/switch`)
      .map((r) => r.query.pin)
      .should.eql([undefined, '1111', '4821']);
  });

  it("gets a friend's token for this server from the owner's shared_servers", async function () {
    const token = await plexTokenFor(friend(ben), sim.ownerToken, CLIENT_ID, MACHINE, options);
    token.should.equal(ben.servers.get(MACHINE));
    const [shares] = sim.requests(`/api/servers/${MACHINE}/shared_servers`);
    shares.headers.should.match({ 'x-plex-token': sim.ownerToken, accept: 'application/xml' });
    (await plexTokenFor(friend(carl), sim.ownerToken, CLIENT_ID, OTHER, options)).should.equal(
      carl.servers.get(OTHER),
    );
  });

  it('refuses, as not-found with a reason, users who have no access to this server', async function () {
    const cases = [
      [homeUser(guestless), MACHINE, /home user "Nobody" has no access to the Plex server sim-plex-machine/],
      [friend(carl), MACHINE, /friend "Carl C" has no access .*does not share it with them/],
      [friend(dora), MACHINE, /friend "dora" has no access .*not accepted yet/],
      [friend(ben), OTHER, /friend "ben" has no access to the Plex server other-machine/],
    ];
    for (const [user, machine, reason] of cases) {
      const err = await fail(plexTokenFor(user, sim.ownerToken, CLIENT_ID, machine, options));
      err.should.match({ code: 'not-found', retryable: false });
      err.message.should.match(reason);
      err.fix.should.match(/Share this server with the user/);
    }
    const unknownServer = await fail(plexTokenFor(friend(ben), sim.ownerToken, CLIENT_ID, 'nope', options));
    unknownServer.should.match({ code: 'not-found', status: 404 });
    unknownServer.message.should.match(/knows no server nope of the owner's account/);
    const gone = await fail(
      plexTokenFor({ id: '999999', name: 'Gone', kind: 'home' }, sim.ownerToken, CLIENT_ID, MACHINE, options),
    );
    gone.should.match({ code: 'not-found', status: 404 });
  });

  it("says the owner's token was refused (401), on every call, and goes no further", async function () {
    const wrong = 'wrong-token-zzz';
    const calls = [
      getPlexUsers(wrong, CLIENT_ID, options),
      plexTokenFor(homeUser(anna), wrong, CLIENT_ID, MACHINE, options),
      plexTokenFor(friend(ben), wrong, CLIENT_ID, MACHINE, options),
    ];
    for (const call of calls) {
      const err = await fail(call);
      err.should.match({ code: 'auth', status: 401, retryable: false });
      err.reason.should.equal("the owner's token was refused by plex.tv (HTTP 401)");
      err.player.should.startWith('plex.tv');
      err.message.should.not.containEql(wrong);
    }
    sim.requests('/api/v2/resources').should.have.length(0);
  });

  it('names plex.tv and the call, and checks the settings before sending anything', async function () {
    const err = await fail(
      plexTokenFor(friend(ben), sim.ownerToken, CLIENT_ID, MACHINE, { ...options, plexTvUrl: 'plex.tv' }),
    );
    err.should.match({ code: 'config' });
    (await fail(getPlexUsers('', CLIENT_ID, options))).should.match({
      code: 'config',
      reason: "no owner's token is set",
    });
    (await fail(getPlexUsers('bad token\r\nX: y', CLIENT_ID, options))).should.match({ code: 'config' });
    (await fail(plexTokenFor(friend(ben), sim.ownerToken, CLIENT_ID, '', options))).should.match({
      code: 'config',
    });
    (
      await fail(plexTokenFor({ ...friend(ben), kind: 'admin' }, sim.ownerToken, CLIENT_ID, MACHINE, options))
    ).should.match({
      code: 'config',
    });
    sim.requests().should.have.length(0);
    sim.override('/api/v2/home/users', { status: 500, body: 'oops' });
    const down = await fail(getPlexUsers(sim.ownerToken, CLIENT_ID, options));
    down.should.match({ code: 'http', status: 500, call: 'GET /api/v2/home/users', retryable: true });
    down.player.should.equal(`plex.tv (${sim.url})`);
  });

  it('is unreachable, not crashed, when nothing answers', async function () {
    const url = sim.url;
    await sim.stop();
    const err = await fail(getPlexUsers(sim.ownerToken, CLIENT_ID, { clientsUrl: url, plexTvUrl: url }));
    err.should.match({ code: 'unreachable', retryable: true });
  });

  describe('hostile answers', function () {
    const json = (body) => ({ status: 200, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const xml = (body, extra = {}) => ({ status: 200, type: 'application/xml', body, ...extra });
    const users = () => getPlexUsers(sim.ownerToken, CLIENT_ID, options);
    const homeToken = () => plexTokenFor(homeUser(anna), sim.ownerToken, CLIENT_ID, MACHINE, options);
    const friendToken = () => plexTokenFor(friend(ben), sim.ownerToken, CLIENT_ID, MACHINE, options);
    const SHARES = `/api/servers/${MACHINE}/shared_servers`;
    const mc = (inner) => `<?xml version="1.0"?><MediaContainer size="1">${inner}</MediaContainer>`;

    const cases = [
      [
        'home users: not an object',
        '/api/v2/home/users',
        json([]),
        users,
        /the answer is a list, not an object/,
      ],
      ['home users: users missing', '/api/v2/home/users', json({}), users, /users is missing, not a list/],
      [
        'home users: an id not a number',
        '/api/v2/home/users',
        json({ users: [{ id: '1; x' }] }),
        users,
        /users\[0\]\.id/,
      ],
      [
        'home users: HTML',
        '/api/v2/home/users',
        json('<html><body>hi</body></html>'),
        users,
        /an HTML page, not JSON/,
      ],
      [
        'switch: no authToken',
        `/api/v2/home/users/ID/switch`,
        { status: 201, body: '{"id":1}' },
        homeToken,
        /authToken/,
      ],
      [
        'switch: a token with a line break',
        `/api/v2/home/users/ID/switch`,
        { status: 201, body: JSON.stringify({ authToken: 'abc\r\nX-Evil: 1' }) },
        homeToken,
        /authToken is text, not a token/,
      ],
      ['resources: not a list', '/api/v2/resources', json({ MediaContainer: {} }), homeToken, /not a list/],
      [
        'resources: accessToken a number',
        '/api/v2/resources',
        json([{ clientIdentifier: MACHINE, accessToken: 12 }]),
        homeToken,
        /\[0\]\.accessToken is a number/,
      ],
      ['users: JSON instead of XML', '/api/users', json({ users: [] }), users, /text of \d+ bytes, not XML/],
      ['users: HTML', '/api/users', xml('<!DOCTYPE html><html></html>'), users, /document type declaration/],
      [
        'users: another root',
        '/api/users',
        xml('<errors><error>no</error></errors>'),
        users,
        /root is <errors>/,
      ],
      [
        'users: cut short',
        '/api/users',
        xml(mc('<User id="1" title="a">').slice(0, -17)),
        users,
        /ends inside <User>/,
      ],
      [
        'users: tags crossed',
        '/api/users',
        xml('<MediaContainer><User id="1"></MediaContainer></User>'),
        users,
        /closes no open/,
      ],
      [
        'users: an entity defined in a DTD',
        '/api/users',
        xml(
          '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]><MediaContainer><User id="1" title="&a;"/></MediaContainer>',
        ),
        users,
        /document type declaration/,
      ],
      [
        'users: an unknown entity',
        '/api/users',
        xml(mc('<User id="1" title="&a;"/>')),
        users,
        /"&" that starts no known reference/,
      ],
      [
        'users: a bad id',
        '/api/users',
        xml(mc('<User id="x" title="a"/>')),
        users,
        /User\[0\]\.id is text, not an account id/,
      ],
      ['users: no id', '/api/users', xml(mc('<User title="a"/>')), users, /User\[0\]\.id is missing/],
      ['users: unquoted value', '/api/users', xml(mc('<User id=1/>')), users, /unquoted value of id/],
      [
        'users: duplicate attribute',
        '/api/users',
        xml(mc('<User id="1" id="2"/>')),
        users,
        /attribute id twice/,
      ],
      [
        'users: a second root',
        '/api/users',
        xml(`${mc('')}<MediaContainer/>`),
        users,
        /a second root element/,
      ],
      [
        'users: too deep',
        '/api/users',
        xml(mc('<a>'.repeat(40) + '</a>'.repeat(40))),
        users,
        /nested deeper than 32/,
      ],
      [
        'users: a very long value',
        '/api/users',
        xml(mc(`<User id="1" title="${'x'.repeat(20000)}"/>`)),
        users,
        /longer than 16384 characters/,
      ],
      [
        'users: too many elements',
        '/api/users',
        xml(mc('<a/>'.repeat(200001))),
        users,
        /more than 200000 elements/,
      ],
      ['shares: another root', SHARES, xml('<html><body/></html>'), friendToken, /root is <html>/],
      [
        'shares: a token with a space',
        SHARES,
        xml(mc(`<SharedServer userID="BEN" accessToken="a b"/>`)),
        friendToken,
        /SharedServer\[0\]\.accessToken is text, not a token/,
      ],
      ['shares: empty answer', SHARES, xml(''), friendToken, /text of 0 bytes, not XML/],
    ];

    for (const [title, path, answer, call, reason] of cases) {
      it(`${title}: a PlayerError`, async function () {
        const at = path.replace('ID', String(anna.id));
        const body = answer.body.replace('BEN', String(ben.id));
        sim.override(at, { ...answer, body });
        const err = await fail(call());
        err.should.be.instanceOf(PlayerError);
        err.should.match({ code: 'protocol', retryable: false });
        err.message.should.match(reason);
        err.player.should.startWith('plex.tv');
      });
    }

    it('an XML answer over the listing cap: too-large, not read', async function () {
      sim.override('/api/users', xml(mc(`<User id="1" title="a"/>`.repeat(5000))));
      const err = await fail(
        getPlexUsers(sim.ownerToken, CLIENT_ID, { ...options, maxListingBytes: 64 * 1024 }),
      );
      err.should.match({ code: 'too-large', retryable: false });
      err.message.should.match(/larger than 64 kB/);
      sim.override(SHARES, xml(mc(`<SharedServer userID="1" accessToken="t"/>`.repeat(5000))));
      (
        await fail(
          plexTokenFor(friend(ben), sim.ownerToken, CLIENT_ID, MACHINE, {
            ...options,
            maxListingBytes: 64 * 1024,
          }),
        )
      ).code.should.equal('too-large');
    });

    it('a JSON answer over the small cap: too-large', async function () {
      sim.override('/api/v2/home/users', json({ users: [], pad: 'x'.repeat(1024 * 1024 + 10) }));
      (await fail(users())).code.should.equal('too-large');
    });

    it('names that are odd or hostile come back as harmless text', async function () {
      sim.override(
        '/api/users',
        xml(
          mc(
            '<User id="7" title="" username="a&lt;b&gt;&amp;&#x41;&#66;&quot;&apos;"/>' +
              '<User id="8" __proto__="x" constructor="y" title="   "/>' +
              '<!-- <User id="9"/> --><![CDATA[<User id="10"/>]]>' +
              '<User id="11" title="Zoë\u0007 bell"><Server id="1" machineIdentifier="m"/></User>',
          ),
        ),
      );
      sim.override('/api/v2/home/users', json({ users: [] }));
      const got = await getPlexUsers(sim.ownerToken, CLIENT_ID, options);
      got.should.eql([
        { id: '7', name: `a<b>&AB"'`, kind: 'friend' },
        { id: '8', name: 'user 8', kind: 'friend' },
        { id: '11', name: 'Zoë  bell', kind: 'friend' },
      ]);
    });
  });

  describe('the XML reader', function () {
    it('reads start tags, depth and attributes; skips the declaration, comments, CDATA and text', function () {
      const doc = readXmlElements(
        '\n<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><MediaContainer size="2">\n  text &amp; more\n' +
          '  <User id=\'1\' title="a &#x263A;">\n    <Server id="s"/>\n  </User >\n  <User\n id="2"/>\n</MediaContainer>\n',
        new Set(['User', 'Server']),
      );
      doc.root.should.equal('MediaContainer');
      doc.elements
        .map((e) => [e.name, e.depth, { ...e.attrs }])
        .should.eql([
          ['User', 1, { id: '1', title: 'a ☺' }],
          ['Server', 2, { id: 's' }],
          ['User', 1, { id: '2' }],
        ]);
    });

    it('refuses what it does not read', function () {
      for (const bad of [
        '',
        'text',
        '<a',
        '<a b="1"',
        '<a b="1>',
        '<a></b>',
        '<a/><b/>',
        '<a/>tail',
        '<a b="&#0;"/>',
        '<a b="&#xD800;"/>',
        '<a b="x<y"/>',
        '<a b="1"c="2"/>',
        '<a><?pi x?></a>',
        '<!DOCTYPE a><a/>',
        '<a><!-- open</a>',
        '< a/>',
      ]) {
        (() => readXmlElements(bad, new Set(['a']))).should.throw(XmlError);
      }
    });
  });
});
