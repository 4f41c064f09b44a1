/**
 * Jellyfin and Emby discovery: a text query broadcast to UDP 7359, answered by each server with a small JSON
 * object `{Address, Id, Name, EndpointAddress}`. Knows nothing of Node-RED.
 */
import {
  DiscoveryOptions,
  DiscoveryResult,
  Found,
  MAX_ID,
  MAX_NAME,
  askOverUdp,
  cleanText,
  discoveryResult,
  discoveryTimeout,
} from '../discovery';
import { isObject } from '../../core/values';

export const SERVER_DISCOVERY_TARGET = { address: '255.255.255.255', port: 7359 } as const;

/** Jellyfin answers only its own question, Emby only its own: which one was asked tells which server answered. */
const QUESTIONS = { jellyfin: 'who is JellyfinServer?', emby: 'who is EmbyServer?' } as const;

/** The server in one answer to the `kind` question; none when it is not such an answer. */
export function readServerAnswer(kind: 'jellyfin' | 'emby', answer: Buffer): Found[] {
  const body: unknown = JSON.parse(answer.toString('utf8')); // garbage throws, and the caller ignores it
  if (!isObject(body)) return [];
  const { Address: address, Id: rawId, Name: rawName } = body;
  if (typeof address !== 'string' || address.length > 2048) return [];
  if (
    (rawId !== undefined && typeof rawId !== 'string') ||
    (rawName !== undefined && typeof rawName !== 'string')
  )
    return [];
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return [];
  }
  // Only a web address is something we would later send an API key to; file:, javascript: and friends are not.
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return [];
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  // Keep a base path ("/jellyfin" behind a proxy); drop the trailing slash, a query and a fragment.
  const path = url.pathname.replace(/\/+$/, '');
  const id = cleanText(rawId ?? '', MAX_ID);
  return [
    {
      kind,
      name: cleanText(rawName ?? '', MAX_NAME) || host,
      host,
      port,
      url: `${url.protocol}//${url.host}${path}`,
      ...(id ? { id } : {}),
    },
  ];
}

/**
 * The Jellyfin and Emby servers on this network that answer within the timeout (both asked at once, each from its
 * own socket so that an answer's kind is certain). A server found under both kinds is listed as Jellyfin.
 * Never rejects.
 */
export async function discoverJellyfin(options: DiscoveryOptions = {}): Promise<DiscoveryResult> {
  const ask = (kind: 'jellyfin' | 'emby') =>
    askOverUdp({
      query: Buffer.from(QUESTIONS[kind], 'ascii'),
      to: options.target ?? SERVER_DISCOVERY_TARGET,
      timeoutMs: discoveryTimeout(options),
      broadcast: true,
      read: (answer) => readServerAnswer(kind, answer),
    });
  const outcomes = await Promise.all([ask('jellyfin'), ask('emby')]);
  return discoveryResult(
    outcomes,
    'No Jellyfin or Emby server answered. Perhaps auto discovery is off (Jellyfin: Dashboard → Networking → ' +
      '"Enable Auto Discovery"), or the server is on another network segment (VLAN, guest Wi-Fi).',
  );
}
