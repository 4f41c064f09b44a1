/** Plex Media Server client. Knows nothing of Node-RED. */
import type { FixTexts, PlayerError } from '../errors';
import { HttpPlayerClient, probeTwoSteps } from '../http-client';
import { obj, optObj, optStr } from '../shape';
import type { ProbeResult } from '../../core/probe';
import { Obj } from '../../core/values';

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
  config: 'Fix the setting',
  unreachable: 'Check the URL and that Plex Media Server runs (default port 32400)',
  timeout: 'Plex did not answer in time: check that it is up and not overloaded',
  auth:
    'The Plex token is dead or wrong: get a new X-Plex-Token (no further requests are sent with this token until ' +
    'a new one is deployed)',
  tooLarge: 'Check the URL; a very large library may need a larger cap',
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

export interface PlexServerInfo {
  friendlyName?: string;
  version?: string;
  machineIdentifier?: string;
}

export class PlexClient extends HttpPlayerClient {
  constructor(readonly endpoint: PlexEndpoint) {
    super({
      label: plexLabel(endpoint),
      url: endpoint.url,
      timeoutMs: endpoint.timeoutMs,
      maxListingBytes: endpoint.maxListingBytes,
      headers: {
        Accept: 'application/json',
        'X-Plex-Client-Identifier': endpoint.clientId,
        'X-Plex-Product': PLEX_PRODUCT,
        'X-Plex-Version': PLEX_VERSION,
      },
      fixes: PLEX_FIXES,
      statusMeanings: { 401: { code: 'auth', reason: 'the token is dead (HTTP 401)', retryable: false } },
      credential: () => (endpoint.token ? { 'X-Plex-Token': endpoint.token } : undefined),
      missingCredential: 'no token is set',
      deadOn401: true,
    });
  }

  /** Set by the first 401: the token is dead and no further request is sent with it. */
  get deadToken(): PlayerError | undefined {
    return this.deadCredential;
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
export function probePlex(endpoint: PlexEndpoint): Promise<ProbeResult> {
  const client = new PlexClient({ ...endpoint, timeoutMs: 5000 });
  return probeTwoSteps(
    async () => ({ version: (await client.identity()).version }),
    async () => ({ name: (await client.serverInfo()).friendlyName }),
  );
}
