// plex.tv simulator (clients.plex.tv and plex.tv on one loopback port), as ../shared/reference/protocols-people.md
// sections 2 and 3 describe the calls for other users' tokens:
// - GET /api/v2/home/users (JSON): the owner's Plex Home, the owner among the users (admin: true);
// - POST /api/v2/home/users/{id}/switch[?pin=] (owner's token): 201 with the home user's plex.tv `authToken`; a
//   protected user without the right PIN: 403 (plex.tv's error 1041); an unknown id: 404;
// - GET /api/v2/resources (JSON, any plex.tv token): the servers that account may use, each with its accessToken
//   for that server, and a player without one;
// - GET /api/users (XML only, as the real one): friends (home="0") with their <Server> shares, and home users again
//   (home="1"), as plex.tv does at times;
// - GET /api/servers/{machineIdentifier}/shared_servers (XML only, owner's token): a <SharedServer> per friend with
//   their accessToken for that server; 404 for a server the owner does not own.
// A wrong or missing token: 401 (JSON on the v2 calls, XML on the old ones). `override(path, answer)` makes one
// route answer anything (hostile answers); every request is logged (headers included) by HttpSim.
'use strict';
const crypto = require('node:crypto');
const { HttpSim } = require('./http-sim');

const hex = (n) => crypto.randomBytes(n).toString('hex');

/** Attribute text for XML, escaped. */
function attrs(values) {
  return Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(
      ([k, v]) =>
        `${k}="${String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/>/g, '&gt;')}"`,
    )
    .join(' ');
}

class PlexTvSim extends HttpSim {
  constructor({ ownerToken = `owner-${hex(10)}`, machines = ['sim-plex-machine'] } = {}) {
    super();
    this.ownerToken = ownerToken;
    this.owner = { id: 1000, uuid: hex(8), title: 'owner', username: 'owner', email: 'owner@example.com' };
    /** The owner's servers: machineIdentifier -> {name, token (the owner's accessToken on it)}. */
    this.machines = new Map(
      machines.map((m, i) => [m, { name: `Server ${i + 1}`, token: `srv-owner-${hex(10)}` }]),
    );
    /** {id, uuid, title, username, pin, restricted, servers: Map machine -> accessToken} */
    this.homeUsers = [];
    /** {id, uuid, title, username, email, servers: Map machine -> accessToken ('' for an invite not accepted)} */
    this.friends = [];
    /** plex.tv tokens given by a switch: token -> home user */
    this.userTokens = new Map();
    /** path -> {status, type, body}: the route answers that instead. */
    this.overrides = new Map();
    this.nextId = 1001;
    /** PINs made for sign-in: {id, code, clientIdentifier, product, expiresAt (ms), authToken} */
    this.pins = [];
  }

  /** A home user with access to `servers` (all the owner's by default); `pin` makes them protected. */
  addHomeUser(title, { pin, username, servers = [...this.machines.keys()] } = {}) {
    const user = {
      id: this.nextId++,
      uuid: hex(8),
      title,
      username: username || '',
      pin,
      restricted: !username,
      servers: new Map(servers.map((m) => [m, `srv-home-${hex(10)}`])),
    };
    this.homeUsers.push(user);
    return user;
  }

  /** A friend the owner shares `servers` with; `pending` lists servers whose invite is not accepted yet. */
  addFriend(username, { title = username, servers = [...this.machines.keys()], pending = [] } = {}) {
    const user = {
      id: this.nextId++,
      uuid: hex(8),
      title,
      username,
      email: `${username}@example.com`,
      servers: new Map([...servers.map((m) => [m, `srv-friend-${hex(10)}`]), ...pending.map((m) => [m, ''])]),
    };
    this.friends.push(user);
    return user;
  }

  pinJson(pin) {
    return {
      id: pin.id,
      code: pin.code,
      product: pin.product,
      trusted: false,
      clientIdentifier: pin.clientIdentifier,
      expiresIn: Math.max(0, Math.round((pin.expiresAt - Date.now()) / 1000)),
      createdAt: new Date().toISOString(),
      expiresAt: new Date(pin.expiresAt).toISOString(),
      authToken: pin.authToken,
      newRegistration: null,
    };
  }

  /** The user approves the PIN `code` at app.plex.tv, signed in as the owner (or with `token`). */
  approve(code, token = this.ownerToken) {
    const pin = this.pins.find((p) => p.code === code);
    if (!pin) throw new Error(`sim: no PIN ${code}`);
    pin.authToken = token;
  }

  /** The PIN `code` runs out. */
  expire(code) {
    const pin = this.pins.find((p) => p.code === code);
    if (pin) pin.expiresAt = Date.now() - 1;
  }

  override(path, answer) {
    this.overrides.set(path, answer);
  }

  xml(res, status, body) {
    res
      .writeHead(status, { 'Content-Type': 'application/xml' })
      .end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
  }

  handle(req, res) {
    const override = this.overrides.get(req.path);
    if (override) {
      res.writeHead(override.status || 200, { 'Content-Type': override.type || 'application/json' });
      res.end(override.body);
      return;
    }
    const token = req.headers['x-plex-token'];
    const owner = token === this.ownerToken;
    const v2 = req.path.startsWith('/api/v2/');
    const refuse = () =>
      v2
        ? this.json(res, 401, {
            errors: [{ code: 1001, message: 'User could not be authenticated', status: 401 }],
          })
        : this.xml(res, 401, '<errors><error>Invalid authentication token.</error></errors>');

    // PIN sign-in (protocols-people.md section 3): made without a token, asked for again with the same client id;
    // `approve(code)` is the user approving it at app.plex.tv; plex.tv forgets an expired PIN (404).
    if (req.method === 'POST' && req.path === '/api/v2/pins') {
      const clientId = req.headers['x-plex-client-identifier'];
      if (!clientId)
        return this.json(res, 400, {
          errors: [{ code: 1000, message: 'X-Plex-Client-Identifier is missing' }],
        });
      const strong = req.query.strong === 'true';
      const pin = {
        id: this.nextId++,
        code: strong ? hex(12).slice(0, 25) : hex(2).toUpperCase(),
        clientIdentifier: clientId,
        product: req.headers['x-plex-product'] || '',
        expiresAt: Date.now() + (strong ? 1800 : 900) * 1000,
        authToken: null,
      };
      this.pins.push(pin);
      return this.json(res, 201, this.pinJson(pin));
    }
    const pinAt = /^\/api\/v2\/pins\/(\d+)$/.exec(req.path);
    if (pinAt && req.method === 'GET') {
      const pin = this.pins.find(
        (p) => String(p.id) === pinAt[1] && p.clientIdentifier === req.headers['x-plex-client-identifier'],
      );
      if (!pin || pin.expiresAt <= Date.now())
        return this.json(res, 404, {
          errors: [{ code: 1020, message: 'Code not found or expired', status: 404 }],
        });
      return this.json(res, 200, this.pinJson(pin));
    }
    if (req.method === 'GET' && req.path === '/api/v2/user') {
      // The owner's account token, or the owner's token for one of the owner's servers.
      if (!owner && ![...this.machines.values()].some((m) => m.token === token)) return refuse();
      // As plex.tv: the account, with the token itself in it (which a client must not pass on).
      return this.json(res, 200, { ...this.userJson(this.owner), email: this.owner.email, authToken: token });
    }

    if (req.method === 'GET' && req.path === '/api/v2/home/users') {
      if (!owner) return refuse();
      return this.json(res, 200, {
        id: 77,
        name: "owner's Home",
        guestUserID: 5,
        guestUserUUID: hex(8),
        guestEnabled: false,
        subscription: true,
        users: [
          { ...this.userJson(this.owner), admin: true, restricted: false, protected: false },
          ...this.homeUsers.map((u) => ({ ...this.userJson(u), admin: false })),
        ],
      });
    }

    const switchTo = /^\/api\/v2\/home\/users\/([^/]+)\/switch$/.exec(req.path);
    if (switchTo) {
      if (req.method !== 'POST')
        return this.json(res, 404, { errors: [{ code: 1002, message: 'Not found' }] });
      if (!owner) return refuse();
      const user = this.homeUsers.find((u) => String(u.id) === switchTo[1] || u.uuid === switchTo[1]);
      if (!user)
        return this.json(res, 404, { errors: [{ code: 1002, message: 'User not found', status: 404 }] });
      const pin = req.query.pin;
      if ((user.pin !== undefined || pin !== undefined) && pin !== user.pin) {
        return this.json(res, 403, { errors: [{ code: 1041, message: 'Invalid PIN', status: 403 }] });
      }
      const authToken = `tv-${user.uuid}-${hex(8)}`;
      this.userTokens.set(authToken, user);
      return this.json(res, 201, { ...this.userJson(user), authToken, home: true, homeAdmin: false });
    }

    if (req.method === 'GET' && req.path === '/api/v2/resources') {
      const user = this.userTokens.get(token);
      if (!owner && !user) return refuse();
      const servers = owner
        ? [...this.machines].map(([m, s]) => ({ machine: m, name: s.name, token: s.token, owned: true }))
        : [...user.servers].map(([m, t]) => ({
            machine: m,
            name: this.machines.get(m)?.name,
            token: t,
            owned: false,
          }));
      return this.json(res, 200, [
        {
          name: 'Phone',
          product: 'Plex for Android (Mobile)',
          clientIdentifier: 'phone-1',
          provides: 'client,player,pubsub-player',
          owned: true,
          accessToken: null,
          connections: [],
        },
        ...servers.map((s) => ({
          name: s.name,
          product: 'Plex Media Server',
          productVersion: '1.41.3.9314',
          clientIdentifier: s.machine,
          provides: 'server',
          owned: s.owned,
          home: !s.owned,
          sourceTitle: s.owned ? undefined : this.owner.username,
          accessToken: s.token,
          connections: this.machines.get(s.machine)?.connections ?? [
            {
              protocol: 'http',
              address: '127.0.0.1',
              port: 32400,
              uri: 'http://127.0.0.1:32400',
              local: true,
              relay: false,
            },
          ],
        })),
      ]);
    }

    if (req.method === 'GET' && (req.path === '/api/users' || req.path === '/api/users/')) {
      if (!owner) return refuse();
      const user = (u, home) =>
        `<User ${attrs({
          id: u.id,
          title: u.title,
          username: u.username,
          email: u.email || '',
          recommendationsPlaylistId: '',
          thumb: `https://plex.tv/users/${u.uuid}/avatar?c=1`,
          protected: u.pin ? 1 : 0,
          home: home ? 1 : 0,
          allowSync: 0,
          restricted: u.restricted ? 1 : 0,
        })}>${[...u.servers]
          .map(
            ([m, t]) =>
              `<Server ${attrs({ id: u.id * 10, serverId: 9, machineIdentifier: m, name: this.machines.get(m)?.name, numLibraries: 2, allLibraries: 1, owned: 1, pending: t ? 0 : 1 })}/>`,
          )
          .join('')}</User>`;
      const all = [...this.friends.map((u) => user(u, false)), ...this.homeUsers.map((u) => user(u, true))];
      return this.xml(
        res,
        200,
        `<MediaContainer friendlyName="myPlex" identifier="com.plexapp.plugins.myplex" machineIdentifier="${this.owner.uuid}" totalSize="${all.length}" size="${all.length}">\n${all.join('\n')}\n</MediaContainer>`,
      );
    }

    const shared = /^\/api\/servers\/([^/]+)\/shared_servers$/.exec(req.path);
    if (req.method === 'GET' && shared) {
      if (!owner) return refuse();
      const machine = decodeURIComponent(shared[1]);
      if (!this.machines.has(machine)) return this.xml(res, 404, '<errors><error>Not Found</error></errors>');
      const shares = this.friends
        .filter((u) => u.servers.has(machine))
        .map(
          (u) =>
            `<SharedServer ${attrs({
              id: u.id * 10,
              username: u.username,
              email: u.email,
              userID: u.id,
              accessToken: u.servers.get(machine),
              name: this.machines.get(machine).name,
              acceptedAt: u.servers.get(machine) ? 1733093309 : 0,
              invitedAt: 1733093000,
              owned: 0,
              allLibraries: 1,
            })}>\n  <Section id="5" key="1" title="Movies" type="movie" shared="1"/>\n</SharedServer>`,
        );
      return this.xml(
        res,
        200,
        `<MediaContainer friendlyName="myPlex" identifier="com.plexapp.plugins.myplex" machineIdentifier="${this.owner.uuid}" size="${shares.length}">\n${shares.join('\n')}\n</MediaContainer>`,
      );
    }

    return this.json(res, 404, { errors: [{ code: 1002, message: 'Not found', status: 404 }] });
  }

  userJson(u) {
    return {
      id: u.id,
      uuid: u.uuid,
      title: u.title,
      username: u.username,
      email: u.email || '',
      friendlyName: '',
      thumb: `https://plex.tv/users/${u.uuid}/avatar?c=1`,
      hasPassword: Boolean(u.pin),
      restricted: Boolean(u.restricted),
      updatedAt: 1733093309,
      restrictionProfile: null,
      guest: false,
      protected: Boolean(u.pin),
    };
  }
}

module.exports = { PlexTvSim };
