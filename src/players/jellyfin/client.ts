/** Jellyfin REST client (10.8 and later). Knows nothing of Node-RED. */
import axios, { AxiosInstance, Method } from 'axios';
import { FixTexts, PlayerError, parseJsonBody, toPlayerError, verdictOf } from '../errors';
import { checkBaseUrl } from '../http-endpoint';
import { DEFAULT_LISTING_BYTES, SMALL_ANSWER_BYTES } from '../limits';
import { encodeQuery } from '../query';
import { decode, obj, optStr } from '../shape';
import { ProbeResult, shownText } from '../kodi/probe';

export interface JellyfinEndpoint {
  name: string;
  url: string;
  apiKey: string;
  /** The user whose view is used where the API needs one (API keys have no user). */
  userId?: string;
  /** A stable id for this Node-RED installation's connection (Jellyfin lists it as a device). */
  deviceId: string;
  timeoutMs?: number;
  /** The largest answer to a listing request, in bytes (other requests: SMALL_ANSWER_BYTES). */
  maxListingBytes?: number;
}

export const CLIENT_NAME = 'Node-RED player-sync';
export const CLIENT_VERSION = '0.1.0';

export const JELLYFIN_FIXES: FixTexts = {
  config: 'Open the jellyfin-server config node and fix the setting',
  unreachable: 'Check the URL and that Jellyfin runs (default port 8096)',
  timeout: 'Jellyfin did not answer in time: check that it is up and not overloaded',
  auth: 'Create an API key in Jellyfin (Dashboard → API Keys) and paste it into the jellyfin-server config node',
  tooLarge:
    "Check the URL; for a very large library raise 'Largest answer' in the jellyfin-server config node",
  protocol: 'Check the URL: it must point at Jellyfin itself (with its base URL, if one is set)',
  http: 'See the Jellyfin log for details',
  'not-found': 'The item or endpoint does not exist on this server (is the Jellyfin version 10.8 or later?)',
};

export interface JellyfinPublicInfo {
  ServerName?: string;
  Version?: string;
  Id?: string;
}

function decodeInfo(body: unknown): JellyfinPublicInfo {
  const o = obj(body, 'the answer');
  return {
    ServerName: optStr(o.ServerName, 'ServerName'),
    Version: optStr(o.Version, 'Version'),
    Id: optStr(o.Id, 'Id'),
  };
}

/** Characters that would break the quoted Authorization parameters. */
function quoteSafe(value: string): string {
  return value.replace(/["\\\r\n]/g, '');
}

export function jellyfinLabel(e: Pick<JellyfinEndpoint, 'name' | 'url'>): string {
  const where = e.url.trim() || 'no URL set';
  return e.name ? `Jellyfin "${e.name}" (${where})` : `Jellyfin (${where})`;
}

/** The only auth header we send: no X-Emby-Token, no api_key query (both are legacy and off in Jellyfin 12). */
export function jellyfinAuthorization(apiKey: string, deviceId: string): string {
  return (
    `MediaBrowser Token="${quoteSafe(apiKey)}", Client="${CLIENT_NAME}", Device="Node-RED", ` +
    `DeviceId="${quoteSafe(deviceId)}", Version="${CLIENT_VERSION}"`
  );
}

export interface RequestOptions {
  params?: Record<string, string | number | boolean | undefined>;
  data?: unknown;
  /** The answer grows with the library (a page, a list): it gets the listing cap instead of the small one. */
  listing?: boolean;
  /** Send no Authorization header (public endpoints). */
  anonymous?: boolean;
}

export class JellyfinClient {
  readonly label: string;
  private readonly http?: AxiosInstance;
  private readonly configError?: PlayerError;

  constructor(readonly endpoint: JellyfinEndpoint) {
    this.label = jellyfinLabel(endpoint);
    const base = checkBaseUrl(endpoint.url, this.label, JELLYFIN_FIXES.config ?? '');
    if (base instanceof PlayerError) {
      this.configError = base;
      return;
    }
    this.http = axios.create({
      baseURL: base,
      timeout: endpoint.timeoutMs ?? 15000,
      headers: { Accept: 'application/json' },
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
    if (!options.anonymous && !this.endpoint.apiKey) {
      throw new PlayerError({
        player: this.label,
        call,
        code: 'config',
        reason: 'no API key is set',
        fix: JELLYFIN_FIXES.auth,
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
        data: options.data,
        headers: options.anonymous
          ? {}
          : { Authorization: jellyfinAuthorization(this.endpoint.apiKey, this.endpoint.deviceId) },
      });
      data = res.data;
    } catch (err) {
      throw toPlayerError(err, this.label, call, JELLYFIN_FIXES, {
        401: { code: 'auth', reason: 'the API key was refused (HTTP 401)', retryable: false },
        403: {
          code: 'auth',
          reason: 'the API key may not do this (HTTP 403): use an administrator key',
          retryable: false,
        },
      });
    }
    return parseJsonBody(data, this.label, call, JELLYFIN_FIXES.protocol) as T;
  }

  /**
   * A request whose answer is decoded by `decoder`: a wrong shape is a PlayerError naming Jellyfin, the call and
   * the field.
   */
  async get<T>(
    method: Method,
    path: string,
    options: RequestOptions,
    decoder: (body: unknown) => T,
  ): Promise<T> {
    const body = await this.request<unknown>(method, path, options);
    return decode(this.label, `${method.toUpperCase()} ${path}`, JELLYFIN_FIXES.protocol, () =>
      decoder(body),
    );
  }

  publicInfo(): Promise<JellyfinPublicInfo> {
    return this.get('GET', '/System/Info/Public', { anonymous: true }, decodeInfo);
  }

  /** Needs a valid key: the way to check the credentials. */
  systemInfo(): Promise<JellyfinPublicInfo> {
    return this.get('GET', '/System/Info', {}, decodeInfo);
  }
}

/** "Test connection": the public info without a key, then the key. Never returns the key. */
export async function probeJellyfin(endpoint: JellyfinEndpoint): Promise<ProbeResult> {
  const client = new JellyfinClient({ ...endpoint, timeoutMs: 5000 });
  try {
    const info = await client.publicInfo();
    try {
      await client.systemInfo();
      return {
        ok: true,
        verdict: 'ok',
        name: shownText(info.ServerName),
        version: shownText(info.Version),
        http: { ok: true },
        auth: { ok: true },
      };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return {
        ok: false,
        verdict: verdictOf(err),
        name: shownText(info.ServerName),
        version: shownText(info.Version),
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
