/**
 * Signing in to Plex without copying a token (protocols-people.md §3): a PIN made at plex.tv
 * (POST /api/v2/pins?strong=true), the link the user opens to approve it (app.plex.tv/auth#?clientID=&code=), the
 * PIN asked for again until plex.tv puts a token in it or it expires; then the account's servers with their
 * connections (GET clients.plex.tv/api/v2/resources), and a token check (GET plex.tv/api/v2/user: 200 valid, 401
 * refused, anything else unknown). Knows nothing of Node-RED.
 *
 * Tokens travel in the X-Plex-Token header only, to plex.tv (which issues them) and nowhere else. What comes back
 * to a caller is checked first: a token is printable ASCII, a connection's uri is http(s), names are shown text.
 */
import { PlayerError } from '../errors';
import { shownText } from '../http-client';
import { ShapeError, int, list, obj, optBool, optNum, optStr, str } from '../shape';
import { PLEX_PRODUCT } from './client';
import { PlexTvOptions, fromJson, receivedToken, send } from './users';

export interface PlexPin {
  id: number;
  code: string;
  /** ms since the epoch. */
  expiresAt: number;
}

export type PinState = { state: 'waiting' } | { state: 'expired' } | { state: 'signed-in'; token: string };

export interface PlexConnection {
  uri: string;
  local: boolean;
  relay: boolean;
}

export interface PlexServerChoice {
  name: string;
  /** The machineIdentifier. */
  id: string;
  owned: boolean;
  /** The token for this server (the owner's, or the one a share gives): kept by the caller, never shown. */
  accessToken?: string;
  /** Local first, relay last. */
  connections: PlexConnection[];
}

/** Where the user approves a PIN. */
export const PLEX_APP_AUTH_URL = 'https://app.plex.tv/auth';

/** The link the user opens to approve `pin`. */
export function pinLink(pin: PlexPin, clientId: string, appUrl = PLEX_APP_AUTH_URL): string {
  const query = new URLSearchParams({
    clientID: clientId,
    code: pin.code,
    'context[device][product]': PLEX_PRODUCT,
  });
  return `${appUrl}#?${query.toString()}`;
}

/** A strong PIN (about 30 minutes to approve it). */
export async function createPin(clientId: string, options: PlexTvOptions = {}): Promise<PlexPin> {
  const answer = await send(
    {
      host: 'plextv',
      method: 'POST',
      path: '/api/v2/pins',
      params: { strong: 'true' },
      token: '',
      anonymous: true,
      accept: 'json',
    },
    clientId,
    options,
  );
  return fromJson(answer, (body) => {
    const o = obj(body, 'the answer');
    return {
      id: int(o.id, 'id'),
      code: pinCode(o.code),
      expiresAt: expiry(o, Date.now()),
    };
  });
}

function pinCode(value: unknown): string {
  const code = str(value, 'code');
  if (!/^[A-Za-z0-9]{1,64}$/.test(code))
    throw new ShapeError('code', 'a PIN code (letters and digits)', value);
  return code;
}

/** expiresAt (ISO) when given, else now + expiresIn seconds, else 15 minutes. */
function expiry(o: Record<string, unknown>, now: number): number {
  const at = optStr(o.expiresAt, 'expiresAt');
  const parsed = at === undefined ? NaN : Date.parse(at);
  if (Number.isFinite(parsed)) return parsed;
  const inS = optNum(o.expiresIn, 'expiresIn');
  return now + (inS !== undefined && inS > 0 ? inS : 900) * 1000;
}

/** Whether `pin` was approved: its token once plex.tv has put one in it; expired when plex.tv forgot it. */
export async function checkPin(
  pinId: number,
  clientId: string,
  options: PlexTvOptions = {},
): Promise<PinState> {
  let answer;
  try {
    answer = await send(
      {
        host: 'plextv',
        method: 'GET',
        path: `/api/v2/pins/${encodeURIComponent(String(pinId))}`,
        token: '',
        anonymous: true,
        accept: 'json',
      },
      clientId,
      options,
    );
  } catch (err) {
    // plex.tv forgets an expired PIN (404); python-plexapi takes any error here as expired.
    if (err instanceof PlayerError && (err.status === 404 || err.status === 410)) return { state: 'expired' };
    throw err;
  }
  return fromJson(answer, (body): PinState => {
    const o = obj(body, 'the answer');
    const token = receivedToken(o.authToken, 'authToken');
    if (token !== undefined) return { state: 'signed-in', token };
    return expiry(o, Date.now()) <= Date.now() ? { state: 'expired' } : { state: 'waiting' };
  });
}

/**
 * The account a token belongs to, as Plex shows its name. A 401 is a PlayerError "auth" (the token is refused);
 * any other failure says that plex.tv could not tell, not that the token is bad.
 */
export async function plexAccount(
  token: string,
  clientId: string,
  options: PlexTvOptions = {},
): Promise<string> {
  const answer = await send(
    {
      host: 'plextv',
      method: 'GET',
      path: '/api/v2/user',
      token,
      accept: 'json',
      refusals: {
        401: {
          code: 'auth',
          reason: 'plex.tv refused this token (HTTP 401)',
          fix: 'Sign in with Plex again, or enter a valid token',
        },
      },
    },
    clientId,
    options,
    'account',
  );
  return fromJson(answer, (body) => {
    const o = obj(body, 'the answer');
    const name = shownText(o.title) ?? shownText(o.username) ?? shownText(o.email);
    if (name === undefined) throw new ShapeError('title', 'a name', o.title);
    return name;
  });
}

/** The account's Plex Media Servers (resources that provide "server"), each with its connections, local first. */
export async function plexServers(
  token: string,
  clientId: string,
  options: PlexTvOptions = {},
): Promise<PlexServerChoice[]> {
  const answer = await send(
    {
      host: 'clients',
      method: 'GET',
      path: '/api/v2/resources',
      params: { includeHttps: 1, includeRelay: 1, includeIPv6: 1 },
      token,
      accept: 'json',
      listing: true,
      refusals: {
        401: {
          code: 'auth',
          reason: 'plex.tv refused this token (HTTP 401)',
          fix: 'Sign in with Plex again',
        },
      },
    },
    clientId,
    options,
    'account',
  );
  return fromJson(answer, (body) => {
    const servers: PlexServerChoice[] = [];
    list(body, 'the answer').forEach((value, i) => {
      const where = `[${i}]`;
      const r = obj(value, where);
      const provides = (optStr(r.provides, `${where}.provides`) ?? '').split(',');
      if (!provides.includes('server')) return;
      const id = str(r.clientIdentifier, `${where}.clientIdentifier`);
      const server: PlexServerChoice = {
        name: shownText(r.name) ?? id,
        id: shownText(id) ?? '',
        owned: optBool(r.owned, `${where}.owned`) ?? false,
        connections: connections(r.connections, `${where}.connections`),
      };
      const accessToken = receivedToken(r.accessToken, `${where}.accessToken`);
      if (accessToken !== undefined) server.accessToken = accessToken;
      servers.push(server);
    });
    return servers;
  });
}

function connections(value: unknown, where: string): PlexConnection[] {
  const out: PlexConnection[] = [];
  list(value ?? [], where).forEach((c, i) => {
    const w = `${where}[${i}]`;
    const o = obj(c, w);
    const uri = str(o.uri, `${w}.uri`);
    let parsed: URL;
    try {
      parsed = new URL(uri);
    } catch {
      return; // not a URL: left out
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return;
    out.push({
      uri: parsed.origin,
      local: optBool(o.local, `${w}.local`) ?? false,
      relay: optBool(o.relay, `${w}.relay`) ?? false,
    });
  });
  // Local first, relay last, the server's order otherwise.
  const rank = (c: PlexConnection): number => (c.relay ? 2 : c.local ? 0 : 1);
  return out
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i)
    .map(({ c }) => c);
}
