/**
 * Jellyfin REST client (10.8 and later), and Emby's: the same library endpoints under `/emby`, with Emby's auth
 * header (`X-Emby-Token`, `X-Emby-Authorization: Emby ...`). Knows nothing of Node-RED.
 */
import type { FixTexts, StatusMeanings } from '../errors';
import { HttpPlayerClient, probeTwoSteps } from '../http-client';
import { obj, optStr } from '../shape';
import type { ProbeResult } from '../../core/probe';

/** Which server the endpoint is: Jellyfin, or Emby (from which Jellyfin was forked, its API still close). */
export type MediaBrowserKind = 'jellyfin' | 'emby';

export interface JellyfinEndpoint {
  /** Jellyfin (the default) or Emby. */
  server?: MediaBrowserKind;
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
  config: 'Fix the setting',
  unreachable: 'Check the URL and that Jellyfin runs (default port 8096)',
  timeout: 'Jellyfin did not answer in time: check that it is up and not overloaded',
  auth: 'Create an API key in Jellyfin (Dashboard → API Keys)',
  tooLarge: 'Check the URL; a very large library may need a larger cap',
  protocol: 'Check the URL: it must point at Jellyfin itself (with its base URL, if one is set)',
  http: 'See the Jellyfin log for details',
  'not-found': 'The item or endpoint does not exist on this server (is the Jellyfin version 10.8 or later?)',
};

/** The same for Emby. */
export const EMBY_FIXES: FixTexts = {
  ...JELLYFIN_FIXES,
  unreachable: 'Check the URL and that Emby runs (default port 8096)',
  timeout: 'Emby did not answer in time: check that it is up and not overloaded',
  auth: 'Create an API key in Emby (Settings → Advanced → API Keys)',
  protocol: 'Check the URL: it must point at Emby itself (the API is called under /emby)',
  http: 'See the Emby log for details',
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

/** "Jellyfin" or "Emby", for labels and texts. */
export function productOf(e: Pick<JellyfinEndpoint, 'server'>): string {
  return e.server === 'emby' ? 'Emby' : 'Jellyfin';
}

export function jellyfinLabel(e: Pick<JellyfinEndpoint, 'name' | 'url' | 'server'>): string {
  const where = e.url.trim() || 'no URL set';
  const product = productOf(e);
  return e.name ? `${product} "${e.name}" (${where})` : `${product} (${where})`;
}

/** Emby's auth headers: its token header and its own scheme (Jellyfin 12 refuses both, so never sent there). */
export function embyAuthorization(apiKey: string, deviceId: string): Record<string, string> {
  return {
    'X-Emby-Token': quoteSafe(apiKey),
    'X-Emby-Authorization':
      `Emby Client="${CLIENT_NAME}", Device="Node-RED", DeviceId="${quoteSafe(deviceId)}", ` +
      `Version="${CLIENT_VERSION}"`,
  };
}

/** Emby serves its API under /emby. */
function baseUrl(e: JellyfinEndpoint): string {
  if (e.server !== 'emby') return e.url;
  const trimmed = e.url.trim().replace(/\/+$/, '');
  return /\/emby$/i.test(trimmed) ? trimmed : `${trimmed}/emby`;
}

/** The only auth header we send: no X-Emby-Token, no api_key query (both are legacy and off in Jellyfin 12). */
export function jellyfinAuthorization(apiKey: string, deviceId: string): string {
  return (
    `MediaBrowser Token="${quoteSafe(apiKey)}", Client="${CLIENT_NAME}", Device="Node-RED", ` +
    `DeviceId="${quoteSafe(deviceId)}", Version="${CLIENT_VERSION}"`
  );
}

/** Jellyfin's answer to 401 and 403. */
const STATUS_MEANINGS: StatusMeanings = {
  401: { code: 'auth', reason: 'the API key was refused (HTTP 401)', retryable: false },
  403: {
    code: 'auth',
    reason: 'the API key may not do this (HTTP 403): use an administrator key',
    retryable: false,
  },
};

export class JellyfinClient extends HttpPlayerClient {
  constructor(readonly endpoint: JellyfinEndpoint) {
    super({
      label: jellyfinLabel(endpoint),
      url: baseUrl(endpoint),
      timeoutMs: endpoint.timeoutMs,
      maxListingBytes: endpoint.maxListingBytes,
      headers: { Accept: 'application/json' },
      fixes: endpoint.server === 'emby' ? EMBY_FIXES : JELLYFIN_FIXES,
      statusMeanings: STATUS_MEANINGS,
      credential: () => {
        if (!endpoint.apiKey) return undefined;
        return endpoint.server === 'emby'
          ? embyAuthorization(endpoint.apiKey, endpoint.deviceId)
          : { Authorization: jellyfinAuthorization(endpoint.apiKey, endpoint.deviceId) };
      },
      missingCredential: 'no API key is set',
    });
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
export function probeJellyfin(endpoint: JellyfinEndpoint): Promise<ProbeResult> {
  const client = new JellyfinClient({ ...endpoint, timeoutMs: 5000 });
  const seen = (info: JellyfinPublicInfo): { name?: string; version?: string } => ({
    name: info.ServerName,
    version: info.Version,
  });
  return probeTwoSteps(
    async () => seen(await client.publicInfo()),
    async () => seen(await client.systemInfo()),
  );
}
