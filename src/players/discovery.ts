/**
 * LAN discovery of media servers, the part the protocols share: one UDP query, the answers collected for a few
 * seconds, and a result that says in our own words why nothing was found. Knows nothing of Node-RED.
 *
 * Anything on the network can answer a discovery query, so every answer is treated as hostile: answers are capped
 * in size and number, and one that cannot be read is dropped without a trace (the next one may be fine).
 */
import dgram from 'node:dgram';

export interface Found {
  kind: 'plex' | 'jellyfin' | 'emby' | 'kodi';
  /** The server's name as it announces itself (cleaned of control characters and capped). */
  name: string;
  host: string;
  port: number;
  /** Where to reach it, e.g. `http://192.168.1.5:32400`: what a config node's URL field takes. */
  url: string;
  id?: string;
  version?: string;
}

export interface DiscoveryOptions {
  /** Ask this address and port instead of the protocol's multicast or broadcast one (tests, or one known host). */
  target?: { address: string; port: number };
  /** How long to collect answers; default and hard maximum DISCOVERY_TIMEOUT_MS. */
  timeoutMs?: number;
}

export interface DiscoveryResult {
  found: Found[];
  /** Why nothing was found, or why the query could not be sent: for people, never a raw error. */
  note?: string;
}

/** Discovery blocks an editor dialog while it runs: answers come within milliseconds, so 3 s is plenty. */
export const DISCOVERY_TIMEOUT_MS = 3000;
/** Real answers are a few hundred bytes; a larger datagram is not an answer we read. */
export const MAX_ANSWER_BYTES = 4096;
/** No home has more servers than this; past it, someone is flooding the socket and we stop listening. */
export const MAX_ANSWERS = 64;

/** The collecting time: the caller's, within (0, DISCOVERY_TIMEOUT_MS], else the default. */
export function discoveryTimeout(options: DiscoveryOptions): number {
  const t = options.timeoutMs;
  return t !== undefined && Number.isFinite(t) && t > 0
    ? Math.min(t, DISCOVERY_TIMEOUT_MS)
    : DISCOVERY_TIMEOUT_MS;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Text from an answer, safe to show and store: control characters gone, trimmed, at most `max` characters. */
export function cleanText(value: string, max: number): string {
  return value.replace(CONTROL_CHARACTERS, '').trim().slice(0, max);
}

/** Longest name and id we keep from an answer. */
export const MAX_NAME = 200;
export const MAX_ID = 128;

export interface UdpQuery {
  /** The one datagram sent. */
  query: Buffer;
  to: { address: string; port: number };
  timeoutMs: number;
  /** SO_BROADCAST: needed to send to 255.255.255.255. */
  broadcast?: boolean;
  /** IP TTL of multicast datagrams. */
  multicastTtl?: number;
  /** The servers in one answer; may throw on garbage (the answer is then ignored). */
  read: (answer: Buffer, from: dgram.RemoteInfo) => Found[];
}

export interface UdpOutcome {
  found: Found[];
  /** Set when the query could not be sent: why, in our words. */
  failed?: string;
}

/** Why a send failed, from the code Node gives: the causes people can act on. */
function sendFailure(to: { address: string; port: number }, err: unknown): string {
  const code = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? '') : '';
  const why =
    code === 'ENETUNREACH' || code === 'EHOSTUNREACH' || code === 'EADDRNOTAVAIL'
      ? 'this machine has no network route for it (no network, or no route for multicast or broadcast)'
      : code === 'EPERM' || code === 'EACCES'
        ? 'the system or a firewall does not allow it'
        : 'the address or port is not usable';
  return `the discovery query could not be sent to ${to.address}:${to.port}${code ? ` (${code})` : ''}: ${why}`;
}

/**
 * Sends `query` once from an ephemeral port and collects what `read` finds in the answers until `timeoutMs` has
 * passed or MAX_ANSWERS datagrams came. Never rejects; always closes the socket and clears its timer.
 * Found servers are deduplicated by url, the first answer winning.
 */
export function askOverUdp(ask: UdpQuery): Promise<UdpOutcome> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const found = new Map<string, Found>();
    let answers = 0;
    let done = false;
    const finish = (failed?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeAllListeners('message');
      // Resolve once the socket is really closed, so a caller (or a test) sees no handle left behind.
      socket.close(() => {
        resolve(
          failed === undefined ? { found: [...found.values()] } : { found: [...found.values()], failed },
        );
      });
    };
    const timer = setTimeout(finish, ask.timeoutMs);
    // An 'error' event without a listener would crash Node-RED; any socket error ends the run with a note.
    socket.on('error', (err) => {
      finish(sendFailure(ask.to, err));
    });
    socket.on('message', (msg, rinfo) => {
      answers += 1;
      if (msg.length <= MAX_ANSWER_BYTES) {
        try {
          for (const server of ask.read(msg, rinfo))
            if (!found.has(server.url)) found.set(server.url, server);
        } catch {
          // garbage: ignored, the next answer may be fine
        }
      }
      if (answers >= MAX_ANSWERS) finish();
    });
    socket.bind(0, () => {
      try {
        if (ask.broadcast) socket.setBroadcast(true);
        if (ask.multicastTtl !== undefined) socket.setMulticastTTL(ask.multicastTtl);
        socket.send(ask.query, ask.to.port, ask.to.address, (err) => {
          if (err) finish(sendFailure(ask.to, err));
        });
      } catch (err) {
        // a bad port or address throws at once instead of calling back
        finish(sendFailure(ask.to, err));
      }
    });
  });
}

/**
 * The result of one or more runs: servers from all of them (deduplicated by url, earlier runs first) and, when
 * none answered, a note: why the query could not be sent, or `silence`, the reasons a server may keep quiet.
 */
export function discoveryResult(outcomes: UdpOutcome[], silence: string): DiscoveryResult {
  const found = new Map<string, Found>();
  for (const outcome of outcomes) for (const f of outcome.found) if (!found.has(f.url)) found.set(f.url, f);
  if (found.size > 0) return { found: [...found.values()] };
  const failed = outcomes.find((o) => o.failed !== undefined)?.failed;
  return {
    found: [],
    note:
      failed !== undefined
        ? `Nothing found: ${failed}.`
        : `${silence} Or Node-RED runs in a container without host networking (answers do not reach it), ` +
          'or a firewall drops the answers. You can still enter the address by hand.',
  };
}
