/**
 * The `plex-server` editor's "Sign in with Plex" and "Check token": admin endpoints (the `plex-server.write`
 * permission) over players/plex/signin.ts.
 *
 * The token never reaches the editor: a sign-in is a session here, named by a random id. The editor starts it
 * (this asks plex.tv for a PIN and answers the link to open), asks after it every 2 s (this asks plex.tv whether
 * the PIN was approved, at most once a second), shows the account's servers and connections it lists (names and
 * addresses only), and picks one: then this puts the server's token into the config node's credentials with
 * `RED.nodes.addCredentials`, as Node-RED's own sign-in nodes do, and the dialog shows the token field as set. The
 * next deploy saves it (the editor sends an unchanged password field as "__PWRD__", which keeps it).
 *
 * Tokens go to plex.tv, which issues them, and to the server picked; "Check token" sends the token typed in the
 * dialog, or the one stored for that plex-server node (deployed, or set by a sign-in here), to plex.tv only.
 */
import { randomBytes } from 'node:crypto';
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { PlayerError, verdictOf } from '../players/errors';
import {
  PlexServerChoice,
  checkPin,
  createPin,
  pinLink,
  plexAccount,
  plexServers,
} from '../players/plex/signin';
import type { PlexTvOptions } from '../players/plex/users';
import { isObject } from '../core/values';
import { packageSettings } from './settings';

const TYPE = 'plex-server';
const UNCHANGED = '__PWRD__';
/** Sign-ins under way at once (each one a person at an editor); the oldest goes first past it. */
const MAX_SESSIONS = 20;
const SESSION = /^[0-9a-f]{48}$/;
const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const CLIENT_ID = /^[\x21-\x7e]{1,200}$/;

interface SignIn {
  clientId: string;
  pinId: number;
  expiresAt: number;
  askedAt: number;
  token?: string;
  account?: string;
  servers?: PlexServerChoice[];
  /** A question to plex.tv under way: the next poll waits for it instead of asking again. */
  asking?: Promise<void>;
}

/** What the editor is shown of a server: never its token. */
function shown(server: PlexServerChoice): Record<string, unknown> {
  return { name: server.name, id: server.id, owned: server.owned, connections: server.connections };
}

function failure(res: Response, err: unknown, status = 502): void {
  const message = err instanceof PlayerError ? err.message : 'the request to plex.tv failed';
  res.status(status).json({ ok: false, verdict: verdictOf(err), error: message });
}

/**
 * Registers the routes; returns, for a config node not deployed yet whose token a sign-in here stored, the origin
 * of the server picked (Test connection may send that token there).
 */
export function registerPlexSignIn(RED: NodeAPI): (id: string) => string | undefined {
  const sessions = new Map<string, SignIn>();
  /** Config nodes whose token a sign-in here set (before a deploy tells their type), and the server's origin. */
  const signedIn = new Map<string, string>();
  const permission = RED.auth.needsPermission(`${TYPE}.write`);
  const tv = (): PlexTvOptions & { appUrl?: string } => {
    const s = packageSettings(RED);
    return { plexTvUrl: s.plexTvUrl, clientsUrl: s.plexClientsUrl, appUrl: s.plexAppUrl, timeoutMs: 10_000 };
  };
  const forget = (): void => {
    const now = Date.now();
    for (const [id, s] of sessions) if (s.expiresAt <= now && !s.token) sessions.delete(id);
    while (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
  };
  const sessionOf = (req: Request): SignIn | undefined => {
    const id = String(req.params.session);
    return SESSION.test(id) ? sessions.get(id) : undefined;
  };

  RED.httpAdmin.post('/player-sync/plex/sign-in', permission, (req: Request, res: Response) => {
    const body: unknown = req.body;
    const clientId = isObject(body) && typeof body.clientId === 'string' ? body.clientId : '';
    if (!CLIENT_ID.test(clientId)) {
      res.status(400).json({ ok: false, error: 'the client identifier is missing or not printable text' });
      return;
    }
    const options = tv();
    createPin(clientId, options).then(
      (pin) => {
        forget();
        const id = randomBytes(24).toString('hex');
        sessions.set(id, { clientId, pinId: pin.id, expiresAt: pin.expiresAt, askedAt: Date.now() });
        res.json({
          ok: true,
          session: id,
          code: pin.code,
          link: pinLink(pin, clientId, options.appUrl),
          expiresAt: pin.expiresAt,
        });
      },
      (err: unknown) => {
        failure(res, err);
      },
    );
  });

  RED.httpAdmin.get('/player-sync/plex/sign-in/:session', permission, (req: Request, res: Response) => {
    const s = sessionOf(req);
    if (!s) {
      res.status(404).json({ ok: false, state: 'expired' });
      return;
    }
    const answer = (): void => {
      if (s.token) {
        res.json({ ok: true, state: 'signed-in', account: s.account, servers: (s.servers ?? []).map(shown) });
      } else if (s.expiresAt <= Date.now()) {
        res.json({ ok: true, state: 'expired' });
      } else {
        res.json({ ok: true, state: 'waiting' });
      }
    };
    if (s.token || s.expiresAt <= Date.now() || Date.now() - s.askedAt < 1000) {
      // Asked less than a second ago: plex.tv is asked at most once a second, whoever polls.
      if (s.asking) void s.asking.then(answer, answer);
      else answer();
      return;
    }
    s.askedAt = Date.now();
    const options = tv();
    s.asking = (async () => {
      const state = await checkPin(s.pinId, s.clientId, options);
      if (state.state === 'expired') s.expiresAt = 0;
      if (state.state !== 'signed-in') return;
      const [account, servers] = await Promise.all([
        plexAccount(state.token, s.clientId, options),
        plexServers(state.token, s.clientId, options),
      ]);
      s.token = state.token;
      s.account = account;
      s.servers = servers;
      s.expiresAt = Date.now() + 30 * 60_000; // time to pick a server
    })().finally(() => {
      s.asking = undefined;
    });
    s.asking.then(answer, (err: unknown) => {
      failure(res, err);
    });
  });

  RED.httpAdmin.post('/player-sync/plex/sign-in/:session/use', permission, (req: Request, res: Response) => {
    const s = sessionOf(req);
    const body: unknown = req.body;
    const b = isObject(body) ? body : {};
    if (!s?.token) {
      res.status(404).json({ ok: false, error: 'this sign-in is over: sign in with Plex again' });
      return;
    }
    const node = typeof b.node === 'string' ? b.node : '';
    const server = s.servers?.find((x) => x.id === b.server);
    const connection = server?.connections.find((c) => c.uri === b.uri);
    if (!NODE_ID.test(node) || !server || !connection) {
      res.status(400).json({ ok: false, error: 'pick one of the servers and connections listed' });
      return;
    }
    if (!/^https?:\/\//.test(connection.uri)) {
      res.status(400).json({ ok: false, error: 'only http and https addresses are taken' });
      return;
    }
    const deployed = RED.nodes.getNode(node) as { type?: string } | null;
    if (deployed && deployed.type !== TYPE) {
      res.status(400).json({ ok: false, error: 'that node is not a plex-server config node' });
      return;
    }
    const token = server.accessToken ?? s.token;
    const existing = (RED.nodes.getCredentials(node) as Record<string, unknown> | undefined) ?? {};
    RED.nodes.addCredentials(node, { ...existing, token }).then(
      () => {
        signedIn.set(node, new URL(connection.uri).origin);
        sessions.delete(String(req.params.session));
        res.json({ ok: true, url: connection.uri, name: server.name, account: s.account });
      },
      () => {
        res.status(500).json({ ok: false, error: 'the token could not be kept' });
      },
    );
  });

  RED.httpAdmin.post('/player-sync/plex/check-token', permission, (req: Request, res: Response) => {
    const body: unknown = req.body;
    const b = isObject(body) ? body : {};
    const clientId =
      typeof b.clientId === 'string' && CLIENT_ID.test(b.clientId) ? b.clientId : 'player-sync-check';
    let token = typeof b.token === 'string' && b.token !== UNCHANGED ? b.token.trim() : '';
    if (!token && typeof b.id === 'string' && NODE_ID.test(b.id)) {
      // The stored token of a plex-server node: deployed as one, or set by a sign-in here.
      let deployedType: string | undefined;
      RED.nodes.eachNode((n) => {
        if (n.id === b.id) deployedType = n.type;
      });
      if (deployedType === TYPE || (deployedType === undefined && signedIn.has(b.id))) {
        const stored = RED.nodes.getCredentials(b.id) as Record<string, unknown> | undefined;
        if (typeof stored?.token === 'string') token = stored.token;
      }
    }
    if (!token) {
      res.json({ ok: false, verdict: 'auth', error: 'no token is set: sign in with Plex, or enter one' });
      return;
    }
    plexAccount(token, clientId, tv()).then(
      (account) => res.json({ ok: true, account }),
      (err: unknown) => {
        failure(res, err, 200);
      },
    );
  });
  return (id) => signedIn.get(id);
}
