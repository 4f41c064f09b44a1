/**
 * Plex "G'Day Mate" (GDM) discovery: an M-SEARCH to the GDM multicast group, answered by each Plex Media Server
 * with HTTP-like header lines. Knows nothing of Node-RED.
 */
import type dgram from 'node:dgram';
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

/** Plex Media Servers listen on this group and port; players and clients use other ports. */
export const GDM_SERVER_TARGET = { address: '239.0.0.250', port: 32414 } as const;

const M_SEARCH = Buffer.from('M-SEARCH * HTTP/1.0\r\n\r\n', 'ascii');

/** The header lines of a GDM answer, keys in lower case; undefined when it is not a `200 OK` answer. */
function gdmHeaders(answer: Buffer): Map<string, string> | undefined {
  const lines = answer.toString('utf8').split(/\r?\n/);
  if (!/^HTTP\/1\.[01] 200\b/.test(lines[0] ?? '')) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** The server in one GDM answer: only media servers (players answer GDM too, with other content types). */
export function readGdmAnswer(answer: Buffer, from: dgram.RemoteInfo): Found[] {
  const headers = gdmHeaders(answer);
  if (headers?.get('content-type')?.toLowerCase() !== 'plex/media-server') return [];
  const portText = headers.get('port') ?? '';
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) return [];
  // The sender's address, not the Host header: that is where the answer came from, so it is reachable from here.
  const host = from.address;
  const id = cleanText(headers.get('resource-identifier') ?? '', MAX_ID);
  const version = cleanText(headers.get('version') ?? '', 64);
  return [
    {
      kind: 'plex',
      name: cleanText(headers.get('name') ?? '', MAX_NAME) || host,
      host,
      port,
      url: `http://${host}:${port}`,
      ...(id ? { id } : {}),
      ...(version ? { version } : {}),
    },
  ];
}

/** The Plex Media Servers on this network that answer GDM within the timeout. Never rejects. */
export async function discoverPlex(options: DiscoveryOptions = {}): Promise<DiscoveryResult> {
  const outcome = await askOverUdp({
    query: M_SEARCH,
    to: options.target ?? GDM_SERVER_TARGET,
    timeoutMs: discoveryTimeout(options),
    broadcast: true,
    // GDM is for this network only: the answer must not be sought past the first router.
    multicastTtl: 1,
    read: readGdmAnswer,
  });
  return discoveryResult(
    [outcome],
    'No Plex Media Server answered. Perhaps local network discovery (GDM) is off in the server’s ' +
      'Settings → Network, or the server is on another network segment (VLAN, guest Wi-Fi).',
  );
}
