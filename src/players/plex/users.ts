/**
 * Plex users other than the token's owner: who they are (the owner's Plex Home users and friends), and a token for
 * one Plex Media Server as each (protocols-people.md §2 "Other users' tokens", §3). Knows nothing of Node-RED.
 *
 * Home users: POST clients.plex.tv/api/v2/home/users/{id}/switch[?pin=] with the owner's token gives a plex.tv
 * token for that user; GET /api/v2/resources with it lists the servers that user may use, each with the token to
 * use on it. Friends: GET plex.tv/api/servers/{machineIdentifier}/shared_servers with the owner's token holds each
 * friend's token for that server.
 *
 * JSON or XML: the v2 calls on clients.plex.tv (home users, switch, resources) answer JSON to Accept:
 * application/json. The two older calls on plex.tv (/api/users, /api/servers/{id}/shared_servers) answer XML:
 * python-plexapi reads them as XML, WatchState asks them for application/xml, and other clients that send Accept:
 * application/json still parse XML there. So they are asked for XML and read by the small strict reader below (start
 * tags and their attributes; nothing evaluated, no DTD, sizes and counts capped), not by a guessed JSON shape.
 *
 * Tokens go in the X-Plex-Token header only (the PIN in the query of the switch, which no error repeats); no error
 * holds a token, a PIN or what plex.tv sent. Nothing is cached here: the caller keeps the tokens it gets.
 */
import axios, { AxiosError, Method } from 'axios';
import {
  FixTexts,
  PlayerError,
  PlayerErrorCode,
  describeBody,
  parseJsonBody,
  toPlayerError,
} from '../errors';
import { shownText } from '../http-client';
import { checkBaseUrl } from '../http-endpoint';
import { DEFAULT_LISTING_BYTES, SMALL_ANSWER_BYTES } from '../limits';
import { encodeQuery } from '../query';
import { ShapeError, decode, list, obj, optBool, optId, optStr } from '../shape';
import { PLEX_PRODUCT, PLEX_VERSION } from './client';

export interface PlexUser {
  /** The plex.tv account id (digits). */
  id: string;
  /** As Plex shows it: a home user's title, a friend's title or username. */
  name: string;
  kind: 'home' | 'friend';
}

export interface PlexTvOptions {
  /** https://clients.plex.tv and https://plex.tv; tests point both at a loopback simulator. */
  clientsUrl?: string;
  plexTvUrl?: string;
  timeoutMs?: number;
  /** The largest list answer (users, shares, resources) in bytes; DEFAULT_LISTING_BYTES when unset. */
  maxListingBytes?: number;
}

export const PLEX_CLIENTS_URL = 'https://clients.plex.tv';
export const PLEX_TV_URL = 'https://plex.tv';

export const PLEX_TV_FIXES: FixTexts = {
  config: 'Fix the setting',
  unreachable: 'Check that Node-RED can reach plex.tv (internet access, DNS, firewall)',
  timeout: 'plex.tv did not answer in time: try again later (https://status.plex.tv)',
  auth: "Get a new token for the Plex server owner's account and deploy it",
  tooLarge: 'plex.tv sent far more than a user list holds: try again later',
  protocol: 'plex.tv answered in an unexpected way: try again later (https://status.plex.tv)',
  http: 'plex.tv had a problem: try again later (https://status.plex.tv)',
  'not-found': 'plex.tv does not know this',
};

const OWNER_REFUSED = "the owner's token was refused by plex.tv (HTTP 401)";

/** Plex tokens are printable ASCII without spaces; anything else must not go into a header or back to a caller. */
const TOKEN = /^[\x21-\x7e]{1,4096}$/;
/** plex.tv account ids. */
const ACCOUNT_ID = /^\d{1,20}$/;

/** What a status means for one call: its own words instead of the general ones. */
type Refusals = Partial<Record<number, { code: PlayerErrorCode; reason: string; fix?: string }>>;

export interface PlexTvCall {
  host: 'clients' | 'plextv';
  method: Method;
  /** The path, ids already encoded; it names the call in errors (the query never does). */
  path: string;
  /** Sent as X-Plex-Token; '' with `anonymous` (a PIN is asked for without one). */
  token: string;
  anonymous?: boolean;
  params?: Record<string, string | number>;
  accept: 'json' | 'xml';
  /** A list answer: the listing cap instead of the small one. */
  listing?: boolean;
  refusals?: Refusals;
}

export interface Answer {
  label: string;
  call: string;
  status: number;
  body: string;
}

function plexTvLabel(base: string): string {
  return base === PLEX_CLIENTS_URL || base === PLEX_TV_URL ? 'plex.tv' : `plex.tv (${base})`;
}

function configError(call: string, reason: string, fix = PLEX_TV_FIXES.config): PlayerError {
  return new PlayerError({ player: 'plex.tv', call, code: 'config', reason, fix, retryable: false });
}

function checkToken(token: string, call: string, whose: string): void {
  if (!token) throw configError(call, `no ${whose} token is set`, PLEX_TV_FIXES.auth);
  if (!TOKEN.test(token))
    throw configError(call, `the ${whose} token has characters a Plex token cannot have`);
}

/** One request to plex.tv: the body as text, or a PlayerError in our own words. */
export async function send(
  request: PlexTvCall,
  clientId: string,
  options: PlexTvOptions,
  whose = "owner's",
): Promise<Answer> {
  const url =
    request.host === 'clients'
      ? (options.clientsUrl ?? PLEX_CLIENTS_URL)
      : (options.plexTvUrl ?? PLEX_TV_URL);
  const label = plexTvLabel(url.trim().replace(/\/+$/, ''));
  const call = `${request.method} ${request.path}`;
  const base = checkBaseUrl(url, label, PLEX_TV_FIXES.config ?? '');
  if (base instanceof PlayerError) throw base;
  if (!request.anonymous) checkToken(request.token, call, whose);
  if (!clientId || !TOKEN.test(clientId))
    throw configError(call, 'the client identifier (X-Plex-Client-Identifier) is missing or not printable');
  try {
    const res = await axios.request<string>({
      method: request.method,
      baseURL: base,
      url: request.path,
      params: request.params,
      paramsSerializer: { serialize: encodeQuery },
      headers: {
        Accept: request.accept === 'json' ? 'application/json' : 'application/xml',
        'X-Plex-Client-Identifier': clientId,
        'X-Plex-Product': PLEX_PRODUCT,
        'X-Plex-Version': PLEX_VERSION,
        ...(request.anonymous ? {} : { 'X-Plex-Token': request.token }),
      },
      timeout: options.timeoutMs ?? 15000,
      maxContentLength: request.listing
        ? (options.maxListingBytes ?? DEFAULT_LISTING_BYTES)
        : SMALL_ANSWER_BYTES,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      maxRedirects: 0, // a redirect could take the token to another origin
      proxy: false,
    });
    const data: unknown = res.data;
    return { label, call, status: res.status, body: typeof data === 'string' ? data : '' };
  } catch (err) {
    const status = err instanceof AxiosError ? err.response?.status : undefined;
    const refusal = status === undefined ? undefined : request.refusals?.[status];
    if (refusal) {
      throw new PlayerError({
        player: label,
        call,
        status,
        code: refusal.code,
        reason: refusal.reason,
        fix: refusal.fix ?? PLEX_TV_FIXES[refusal.code],
        retryable: false,
      });
    }
    throw toPlayerError(err, label, call, PLEX_TV_FIXES, {
      401: { code: 'auth', reason: OWNER_REFUSED, retryable: false },
    });
  }
}

/** A JSON answer decoded by `decoder`; a wrong shape is a PlayerError naming plex.tv, the call and the field. */
export function fromJson<T>(answer: Answer, decoder: (body: unknown) => T): T {
  const body = parseJsonBody(answer.body, answer.label, answer.call, PLEX_TV_FIXES.protocol);
  return decode(answer.label, answer.call, PLEX_TV_FIXES.protocol, () => decoder(body));
}

/** The `wanted` elements of an XML answer, children of its MediaContainer root. */
function fromXml(answer: Answer, wanted: string): XmlElement[] {
  const fail = (reason: string): PlayerError =>
    new PlayerError({
      player: answer.label,
      call: answer.call,
      code: 'protocol',
      reason,
      fix: PLEX_TV_FIXES.protocol,
      retryable: false,
    });
  const text = answer.body.replace(/^\uFEFF/, '').trimStart();
  if (!text.startsWith('<')) throw fail(`the answer is ${describeBody(answer.body)}, not XML`);
  let read: XmlDocument;
  try {
    read = readXmlElements(text, new Set([wanted]));
  } catch (err) {
    if (err instanceof XmlError) throw fail(`the answer is not XML this reader takes: ${err.message}`);
    throw err;
  }
  if (read.root !== 'MediaContainer')
    throw fail(`the answer is XML whose root is <${read.root}>, not <MediaContainer>`);
  return read.elements.filter((e) => e.depth === 1);
}

function accountId(value: unknown, where: string): string {
  const id = optId(value, where);
  if (id === undefined || !ACCOUNT_ID.test(id)) throw new ShapeError(where, 'an account id', value);
  return id;
}

function displayName(id: string, ...names: unknown[]): string {
  for (const name of names) {
    const shown = shownText(name);
    if (shown !== undefined) return shown;
  }
  return `user ${id}`;
}

/** GET /api/v2/home/users → {users: [{id, uuid, title, username, admin, guest, protected, restricted…}]}. */
async function homeUsers(ownerToken: string, clientId: string, options: PlexTvOptions): Promise<PlexUser[]> {
  let answer: Answer;
  try {
    answer = await send(
      { host: 'clients', method: 'GET', path: '/api/v2/home/users', token: ownerToken, accept: 'json' },
      clientId,
      options,
    );
  } catch (err) {
    // An account without a Plex Home has no home users.
    if (err instanceof PlayerError && err.status === 404) return [];
    throw err;
  }
  return fromJson(answer, (body) => {
    const users: PlexUser[] = [];
    list(obj(body, 'the answer').users, 'users').forEach((value, i) => {
      const where = `users[${i}]`;
      const user = obj(value, where);
      const id = accountId(user.id, `${where}.id`);
      if (optBool(user.admin, `${where}.admin`) === true) return; // the owner
      const title = optStr(user.title, `${where}.title`);
      const username = optStr(user.username, `${where}.username`);
      users.push({ id, name: displayName(id, title, username), kind: 'home' });
    });
    return users;
  });
}

/** GET plex.tv/api/users (XML): <User id title username home …><Server …/></User>; friends are home="0". */
async function friends(ownerToken: string, clientId: string, options: PlexTvOptions): Promise<PlexUser[]> {
  const answer = await send(
    { host: 'plextv', method: 'GET', path: '/api/users', token: ownerToken, accept: 'xml', listing: true },
    clientId,
    options,
  );
  const users = fromXml(answer, 'User');
  return decode(answer.label, answer.call, PLEX_TV_FIXES.protocol, () =>
    users.flatMap(({ attrs }, i): PlexUser[] => {
      const where = `User[${i}]`;
      const id = accountId(attrs.id, `${where}.id`);
      if (attrs.home === '1') return []; // a home user: listed from the home users
      return [{ id, name: displayName(id, attrs.title, attrs.username), kind: 'friend' }];
    }),
  );
}

/** The owner's home users and friends (names as Plex shows them: title / username). */
export async function getPlexUsers(
  ownerToken: string,
  clientId: string,
  options: PlexTvOptions = {},
): Promise<PlexUser[]> {
  const [home, others] = await Promise.all([
    homeUsers(ownerToken, clientId, options),
    friends(ownerToken, clientId, options),
  ]);
  // plex.tv at times lists a home user among the friends too.
  const seen = new Set(home.map((u) => u.id));
  const users = [...home];
  for (const user of others) {
    if (seen.has(user.id)) continue;
    seen.add(user.id);
    users.push(user);
  }
  return users;
}

function noAccess(
  label: string,
  call: string,
  user: PlexUser,
  machineIdentifier: string,
  why: string,
): PlayerError {
  return new PlayerError({
    player: label,
    call,
    code: 'not-found',
    reason: `${user.kind === 'home' ? 'home user' : 'friend'} "${user.name}" has no access to the Plex server ${machineIdentifier}: ${why}`,
    fix: 'Share this server with the user in Plex (Settings → Manage Library Access), or pick another user',
    retryable: false,
  });
}

export function receivedToken(value: unknown, where: string): string | undefined {
  const token = optStr(value, where);
  if (token === undefined || token === '') return undefined;
  if (!TOKEN.test(token)) throw new ShapeError(where, 'a token (printable characters, no spaces)', value);
  return token;
}

/** Home user: switch (owner's token, PIN when protected) → plex.tv token → resources → this server's token. */
async function homeUserToken(
  user: PlexUser,
  ownerToken: string,
  clientId: string,
  machineIdentifier: string,
  options: PlexTvOptions & { pin?: string },
): Promise<string> {
  const pin = options.pin === undefined || options.pin === '' ? undefined : options.pin;
  const who = `home user "${user.name}"`;
  const switched = await send(
    {
      host: 'clients',
      method: 'POST',
      path: `/api/v2/home/users/${encodeURIComponent(user.id)}/switch`,
      params: pin === undefined ? undefined : { pin },
      token: ownerToken,
      accept: 'json',
      refusals: {
        403:
          pin === undefined
            ? {
                code: 'auth',
                reason: `plex.tv refused to switch to ${who} (HTTP 403): a protected home user needs their PIN`,
                fix: "Enter this home user's PIN",
              }
            : {
                code: 'auth',
                reason: `plex.tv refused to switch to ${who} (HTTP 403): the PIN is wrong`,
                fix: "Check this home user's PIN",
              },
        404: {
          code: 'not-found',
          reason: `plex.tv knows no ${who} (id ${user.id}) in the owner's Plex Home`,
          fix: 'Pick the user again: they may have left the Plex Home',
        },
      },
    },
    clientId,
    options,
  );
  const userToken = fromJson(switched, (body) => {
    const token = receivedToken(obj(body, 'the answer').authToken, 'authToken');
    if (token === undefined) throw new ShapeError('authToken', 'a token', token);
    return token;
  });
  const resources = await send(
    {
      host: 'clients',
      method: 'GET',
      path: '/api/v2/resources',
      params: { includeHttps: 1, includeRelay: 1, includeIPv6: 1 },
      token: userToken,
      accept: 'json',
      listing: true,
      refusals: {
        401: {
          code: 'auth',
          reason: `plex.tv refused the token it had just given for ${who} (HTTP 401)`,
          fix: 'Try again later; if it stays so, pick the user again',
        },
      },
    },
    clientId,
    options,
    "home user's",
  );
  const found = fromJson(resources, (body) => {
    const entries = list(body, 'the answer');
    for (let i = 0; i < entries.length; i++) {
      const where = `[${i}]`;
      const entry = obj(entries[i], where);
      if (optStr(entry.clientIdentifier, `${where}.clientIdentifier`) !== machineIdentifier) continue;
      return { token: receivedToken(entry.accessToken, `${where}.accessToken`) };
    }
    return undefined;
  });
  if (!found)
    throw noAccess(
      resources.label,
      resources.call,
      user,
      machineIdentifier,
      'plex.tv lists no such server for them',
    );
  if (found.token === undefined)
    throw noAccess(
      resources.label,
      resources.call,
      user,
      machineIdentifier,
      'plex.tv lists the server without a token for them',
    );
  return found.token;
}

/** Friend: the owner's shared_servers for this server (XML) → the friend's SharedServer accessToken. */
async function friendToken(
  user: PlexUser,
  ownerToken: string,
  clientId: string,
  machineIdentifier: string,
  options: PlexTvOptions,
): Promise<string> {
  const answer = await send(
    {
      host: 'plextv',
      method: 'GET',
      path: `/api/servers/${encodeURIComponent(machineIdentifier)}/shared_servers`,
      token: ownerToken,
      accept: 'xml',
      listing: true,
      refusals: {
        403: {
          code: 'auth',
          reason:
            "plex.tv refused to list this server's shares (HTTP 403): the token is not the server owner's",
          fix: "Use the Plex server owner's token",
        },
        404: {
          code: 'not-found',
          reason: `plex.tv knows no server ${machineIdentifier} of the owner's account`,
          fix: "Use the token of this server's owner",
        },
      },
    },
    clientId,
    options,
  );
  const shares = fromXml(answer, 'SharedServer');
  const token = decode(answer.label, answer.call, PLEX_TV_FIXES.protocol, () => {
    // By account id; by username only where a share names no account id.
    let index = shares.findIndex(({ attrs }) => attrs.userID === user.id);
    if (index < 0) {
      const name = user.name.toLowerCase();
      index = shares.findIndex(
        ({ attrs }) => attrs.userID === undefined && attrs.username?.toLowerCase() === name,
      );
    }
    if (index < 0) return null;
    return receivedToken(shares[index].attrs.accessToken, `SharedServer[${index}].accessToken`);
  });
  if (token === null)
    throw noAccess(
      answer.label,
      answer.call,
      user,
      machineIdentifier,
      'the owner does not share it with them',
    );
  if (token === undefined)
    throw noAccess(
      answer.label,
      answer.call,
      user,
      machineIdentifier,
      'plex.tv holds no token for the share (not accepted yet?)',
    );
  return token;
}

/**
 * A token for server `machineIdentifier` as `user`: home users through switch + resources (a protected home user
 * needs `pin`), friends through shared_servers. Nothing is cached here: the caller keeps it.
 */
export async function plexTokenFor(
  user: PlexUser,
  ownerToken: string,
  clientId: string,
  machineIdentifier: string,
  options: PlexTvOptions & { pin?: string } = {},
): Promise<string> {
  const call = 'user token';
  if (!user.id) throw configError(call, 'no Plex user is chosen');
  if (!machineIdentifier) throw configError(call, "the Plex server's machine identifier is unknown");
  const kind: string = user.kind; // from a flow's settings: checked, not trusted
  if (kind === 'home') return homeUserToken(user, ownerToken, clientId, machineIdentifier, options);
  if (kind === 'friend') return friendToken(user, ownerToken, clientId, machineIdentifier, options);
  throw configError(call, 'the user is neither a home user nor a friend');
}

// ---------------------------------------------------------------------------------------------------------------
// A small, strict XML reader: enough for plex.tv's flat answers (a MediaContainer of elements with attributes).
// It checks that tags nest and close, reads attributes and the five predefined entities and character references,
// skips comments, CDATA, text and the XML declaration, refuses any DTD (so no entity is ever defined or expanded)
// and caps the number of elements, the depth, attributes per element and the length of a value.

export interface XmlElement {
  name: string;
  /** 0 for the root, 1 for its children… */
  depth: number;
  attrs: Record<string, string | undefined>;
}

export interface XmlDocument {
  root: string;
  /** The start tags whose name was wanted, in document order. */
  elements: XmlElement[];
}

export const XML_LIMITS = { elements: 200_000, depth: 32, attributes: 100, valueChars: 16_384 };

export class XmlError extends Error {
  constructor(what: string, at: number) {
    super(`${what} at character ${at}`);
    this.name = 'XmlError';
  }
}

const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]{0,99}/y;
const SPACE = /[ \t\r\n]+/y;
const REFERENCE = /&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(amp|lt|gt|quot|apos));|&/g;
const NAMED: Partial<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeValue(raw: string, at: number): string {
  if (raw.includes('<')) throw new XmlError('a "<" in an attribute value', at);
  return raw.replace(
    REFERENCE,
    (whole, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
      if (name !== undefined) return NAMED[name] ?? '';
      if (hex === undefined && dec === undefined)
        throw new XmlError('an "&" that starts no known reference', at);
      const code = hex !== undefined ? parseInt(hex, 16) : parseInt(dec ?? '', 10);
      const legal =
        code === 0x9 ||
        code === 0xa ||
        code === 0xd ||
        (code >= 0x20 && code <= 0xd7ff) ||
        (code >= 0xe000 && code <= 0xfffd) ||
        (code >= 0x10000 && code <= 0x10ffff);
      if (!legal)
        throw new XmlError(`a reference to a character XML does not allow (${whole.length} characters)`, at);
      return String.fromCodePoint(code);
    },
  );
}

function match(re: RegExp, text: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(text)?.[0];
}

/** Reads `text` as one XML document; returns its root's name and the start tags named in `wanted`. */
export function readXmlElements(text: string, wanted: ReadonlySet<string>): XmlDocument {
  const open: string[] = [];
  const elements: XmlElement[] = [];
  let root: string | undefined;
  let count = 0;
  let i = 0;
  const skipTo = (end: string, from: number, what: string): number => {
    const close = text.indexOf(end, from);
    if (close < 0) throw new XmlError(`${what} that never ends`, from);
    return close + end.length;
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const textEnd = lt < 0 ? text.length : lt;
    if (open.length === 0 && text.slice(i, textEnd).trim() !== '')
      throw new XmlError('text outside the root element', i);
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<?', i)) {
      if (root !== undefined) throw new XmlError('a processing instruction after the root element began', i);
      i = skipTo('?>', i + 2, 'a processing instruction');
    } else if (text.startsWith('<!--', i)) {
      i = skipTo('-->', i + 4, 'a comment');
    } else if (text.startsWith('<![CDATA[', i)) {
      if (open.length === 0) throw new XmlError('CDATA outside the root element', i);
      i = skipTo(']]>', i + 9, 'a CDATA section');
    } else if (text.startsWith('<!', i)) {
      throw new XmlError('a document type declaration (not read)', i);
    } else if (text.startsWith('</', i)) {
      const name = match(NAME, text, i + 2);
      if (name === undefined) throw new XmlError('an end tag without a name', i);
      let j = i + 2 + name.length;
      j += match(SPACE, text, j)?.length ?? 0;
      if (text[j] !== '>') throw new XmlError(`an end tag </${name}> that does not close`, i);
      if (open.at(-1) !== name) throw new XmlError(`an end tag </${name}> that closes no open <${name}>`, i);
      open.pop();
      i = j + 1;
    } else {
      const name = match(NAME, text, i + 1);
      if (name === undefined) throw new XmlError('a "<" that starts no tag', i);
      if (root !== undefined && open.length === 0) throw new XmlError('a second root element', i);
      root ??= name;
      if (++count > XML_LIMITS.elements) throw new XmlError(`more than ${XML_LIMITS.elements} elements`, i);
      // No prototype: an attribute named __proto__ or constructor is just a name.
      const attrs = Object.create(null) as Record<string, string | undefined>;
      let attributes = 0;
      let j = i + 1 + name.length;
      let selfClosing = false;
      for (;;) {
        const space = match(SPACE, text, j)?.length ?? 0;
        j += space;
        if (text.startsWith('/>', j)) {
          selfClosing = true;
          j += 2;
          break;
        }
        if (text[j] === '>') {
          j += 1;
          break;
        }
        const attr = match(NAME, text, j);
        if (attr === undefined || space === 0) throw new XmlError(`a malformed tag <${name}>`, i);
        if (++attributes > XML_LIMITS.attributes)
          throw new XmlError(`more than ${XML_LIMITS.attributes} attributes on <${name}>`, i);
        j += attr.length;
        j += match(SPACE, text, j)?.length ?? 0;
        if (text[j] !== '=') throw new XmlError(`an attribute ${attr} without a value`, j);
        j += 1;
        j += match(SPACE, text, j)?.length ?? 0;
        const quote = text[j];
        if (quote !== '"' && quote !== "'") throw new XmlError(`an unquoted value of ${attr}`, j);
        const end = text.indexOf(quote, j + 1);
        if (end < 0) throw new XmlError(`a value of ${attr} that never ends`, j);
        if (end - j - 1 > XML_LIMITS.valueChars)
          throw new XmlError(`a value of ${attr} longer than ${XML_LIMITS.valueChars} characters`, j);
        if (Object.hasOwn(attrs, attr)) throw new XmlError(`the attribute ${attr} twice on <${name}>`, j);
        attrs[attr] = decodeValue(text.slice(j + 1, end), j);
        j = end + 1;
      }
      if (wanted.has(name)) elements.push({ name, depth: open.length, attrs });
      if (!selfClosing) {
        if (open.length >= XML_LIMITS.depth)
          throw new XmlError(`elements nested deeper than ${XML_LIMITS.depth}`, i);
        open.push(name);
      }
      i = j;
    }
  }
  if (root === undefined) throw new XmlError('no root element', text.length);
  if (open.length > 0) throw new XmlError(`the answer ends inside <${open.at(-1) ?? ''}>`, text.length);
  return { root, elements };
}
