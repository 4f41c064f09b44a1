/** Plex Media Server client. Knows nothing of Node-RED. */
import axios, { AxiosInstance, Method } from 'axios';
import { FixTexts, PlayerError, parseJsonBody, toPlayerError, verdictOf } from '../errors';
import { checkBaseUrl } from '../http-endpoint';
import { DEFAULT_LISTING_BYTES, SMALL_ANSWER_BYTES } from '../limits';
import { encodeQuery } from '../query';
import { Obj, decode, obj, optObj, optStr } from '../shape';
import { ProbeResult, shownText } from '../kodi/probe';

export interface PlexEndpoint {
  name: string;
  url: string;
  token: string;
  /** X-Plex-Client-Identifier: stable for one config node, so Plex sees one device, not a new one per restart. */
  clientId: string;
  timeoutMs?: number;
  /** The largest answer to a listing request, in bytes (other requests: SMALL_ANSWER_BYTES). */
  maxListingBytes?: number;
}

export const PLEX_PRODUCT = 'Node-RED player-sync';
export const PLEX_VERSION = '0.1.0';

export const PLEX_FIXES: FixTexts = {
  config: 'Open the plex-server config node and fix the setting',
  unreachable: 'Check the URL and that Plex Media Server runs (default port 32400)',
  timeout: 'Plex did not answer in time: check that it is up and not overloaded',
  auth:
    'The Plex token is dead or wrong: get a new X-Plex-Token and paste it into the plex-server config node, ' +
    'then deploy (no further requests are sent with this token until then)',
  tooLarge: "Check the URL; for a very large library raise 'Largest answer' in the plex-server config node",
  protocol: 'Check the URL: it must point at Plex Media Server itself',
  http: 'See the Plex Media Server log for details',
  'not-found': 'Plex does not know this item or endpoint',
};

export interface PlexIdentity {
  machineIdentifier?: string;
  version?: string;
}

/** The `MediaContainer` every Plex JSON answer is wrapped in (an empty one when the answer is empty). */
export function container(body: unknown): Obj {
  if (body === undefined) return {};
  return optObj(obj(body, 'the answer').MediaContainer, 'MediaContainer') ?? {};
}

export function plexLabel(e: Pick<PlexEndpoint, 'name' | 'url'>): string {
  const where = e.url.trim() || 'no URL set';
  return e.name ? `Plex "${e.name}" (${where})` : `Plex (${where})`;
}

export interface RequestOptions {
  params?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** The answer grows with the library (a page, a list): it gets the listing cap instead of the small one. */
  listing?: boolean;
  /** Send no token (public endpoints such as /identity). */
  anonymous?: boolean;
}

export interface PlexServerInfo {
  friendlyName?: string;
  version?: string;
  machineIdentifier?: string;
}

export class PlexClient {
  readonly label: string;
  /** Set by the first 401: the token is dead and no further request is sent with it. */
  deadToken?: PlayerError;
  private readonly http?: AxiosInstance;
  private readonly configError?: PlayerError;

  constructor(readonly endpoint: PlexEndpoint) {
    this.label = plexLabel(endpoint);
    const base = checkBaseUrl(endpoint.url, this.label, PLEX_FIXES.config ?? '');
    if (base instanceof PlayerError) {
      this.configError = base;
      return;
    }
    this.http = axios.create({
      baseURL: base,
      timeout: endpoint.timeoutMs ?? 15000,
      headers: {
        Accept: 'application/json',
        'X-Plex-Client-Identifier': endpoint.clientId,
        'X-Plex-Product': PLEX_PRODUCT,
        'X-Plex-Version': PLEX_VERSION,
      },
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      paramsSerializer: { serialize: encodeQuery },
      proxy: false,
    });
  }

  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    const call = `${method.toUpperCase()} ${path}`;
    if (!this.http)
      throw this.configError ?? new PlayerError({ player: this.label, call, code: 'config', reason: '' });
    if (this.deadToken && !options.anonymous) throw this.deadToken;
    if (!this.endpoint.token && !options.anonymous) {
      throw new PlayerError({
        player: this.label,
        call,
        code: 'config',
        reason: 'no token is set',
        fix: PLEX_FIXES.auth,
      });
    }
    let data: unknown;
    try {
      const res = await this.http.request<string>({
        method,
        url: path,
        maxContentLength: options.listing
          ? (this.endpoint.maxListingBytes ?? DEFAULT_LISTING_BYTES)
          : SMALL_ANSWER_BYTES,
        params: options.params,
        headers: options.anonymous
          ? options.headers
          : { ...options.headers, 'X-Plex-Token': this.endpoint.token },
      });
      data = res.data;
    } catch (err) {
      const error = toPlayerError(err, this.label, call, PLEX_FIXES, {
        401: { code: 'auth', reason: 'the token is dead (HTTP 401)', retryable: false },
      });
      if (error.status === 401) this.deadToken = error;
      throw error;
    }
    return parseJsonBody(data, this.label, call, PLEX_FIXES.protocol) as T;
  }

  /**
   * A request whose answer is decoded by `decoder`: a wrong shape is a PlayerError naming Plex, the call and the
   * field.
   */
  async get<T>(
    method: Method,
    path: string,
    options: RequestOptions,
    decoder: (body: unknown) => T,
  ): Promise<T> {
    const body = await this.request<unknown>(method, path, options);
    return decode(this.label, `${method.toUpperCase()} ${path}`, PLEX_FIXES.protocol, () => decoder(body));
  }

  /** Needs no token: tells whether a Plex server answers at the URL. */
  identity(): Promise<PlexIdentity> {
    return this.get('GET', '/identity', { anonymous: true }, (body) => {
      const c = container(body);
      return {
        machineIdentifier: optStr(c.machineIdentifier, 'MediaContainer.machineIdentifier'),
        version: optStr(c.version, 'MediaContainer.version'),
      };
    });
  }

  /** Needs a valid token: the way to check it. */
  serverInfo(): Promise<PlexServerInfo> {
    return this.get('GET', '/', {}, (body) => {
      const c = container(body);
      return {
        friendlyName: optStr(c.friendlyName, 'MediaContainer.friendlyName'),
        version: optStr(c.version, 'MediaContainer.version'),
        machineIdentifier: optStr(c.machineIdentifier, 'MediaContainer.machineIdentifier'),
      };
    });
  }
}

/** "Test connection": /identity without the token, then the token. Never returns the token. */
export async function probePlex(endpoint: PlexEndpoint): Promise<ProbeResult> {
  const client = new PlexClient({ ...endpoint, timeoutMs: 5000 });
  try {
    const identity = await client.identity();
    try {
      const info = await client.serverInfo();
      return {
        ok: true,
        verdict: 'ok',
        name: shownText(info.friendlyName),
        version: shownText(identity.version),
        http: { ok: true },
        auth: { ok: true },
      };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return {
        ok: false,
        verdict: verdictOf(err),
        version: shownText(identity.version),
        http: { ok: true },
        auth: { ok: false, error: message },
      };
    }
  } catch (err) {
    return {
      ok: false,
      verdict: verdictOf(err),
      http: { ok: false, error: err instanceof Error ? err.message : String(err) },
      auth: { ok: false },
    };
  }
}
