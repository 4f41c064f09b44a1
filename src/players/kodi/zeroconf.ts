/**
 * Kodi discovery over zeroconf: a minimal mDNS client of our own (no dependency for one question). Knows nothing
 * of Node-RED.
 *
 * We send one standard DNS query from an ephemeral port to the mDNS group. RFC 6762 §6.7 ("legacy unicast") makes
 * responders answer such a query by unicast to its source port, echoing its id, so we need neither port 5353
 * (often taken by the system's own responder) nor group membership. Kodi announces its JSON-RPC over HTTP as
 * `_xbmc-jsonrpc-h._tcp` while its web server is on; the answer's PTR names the instance, whose SRV gives port and
 * host name, the host's A record the address, and the TXT record Kodi's uuid.
 */
import { randomInt } from 'node:crypto';
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

export const MDNS_TARGET = { address: '224.0.0.251', port: 5353 } as const;
export const KODI_SERVICE = ['_xbmc-jsonrpc-h', '_tcp', 'local'] as const;

const TYPE = { A: 1, PTR: 12, TXT: 16, SRV: 33 } as const;
const CLASS_IN = 1;

/** A DNS name as its labels (a label may hold any byte, dots included, so names are not joined into text). */
export type DnsName = string[];

export type DnsData =
  | { type: 'PTR'; target: DnsName }
  | { type: 'SRV'; priority: number; weight: number; port: number; target: DnsName }
  | { type: 'TXT'; strings: string[] }
  | { type: 'A'; address: string }
  | { type: 'other'; code: number };

export interface DnsRecord {
  name: DnsName;
  ttl: number;
  data: DnsData;
}

export interface DnsMessage {
  id: number;
  /** QR bit: an answer, not a question. */
  response: boolean;
  rcode: number;
  questions: { name: DnsName; type: number }[];
  /** Answers, authority and additional records together: mDNS puts what we need in any of them. */
  records: DnsRecord[];
}

/** Thrown inside the parser only; parseDnsMessage turns it (and anything else) into `undefined`. */
class Malformed extends Error {}

/** A bounds-checked reader over one packet: any read past its end (or past `end`) is a Malformed. */
class Reader {
  constructor(
    readonly buf: Buffer,
    public at = 0,
  ) {}

  need(n: number, end = this.buf.length): void {
    if (this.at + n > end) throw new Malformed('past the end');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.at++] ?? 0;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }

  /**
   * A name, following compression pointers. Each pointer must point before the start of the piece of name it ends
   * (compression only ever refers to a name written earlier), so the targets strictly decrease and no loop, even
   * "label, then a pointer back to that label", can last; the jump count and the 255-byte limit are belts and braces.
   */
  name(): DnsName {
    const labels: DnsName = [];
    let pos = this.at;
    let pieceStart = pos;
    let resumeAt: number | undefined; // where reading goes on after the first pointer
    let wireLength = 1;
    let jumps = 0;
    for (;;) {
      if (pos >= this.buf.length) throw new Malformed('name past the end');
      const len = this.buf[pos] ?? 0;
      if (len === 0) {
        this.at = resumeAt ?? pos + 1;
        return labels;
      }
      if ((len & 0xc0) === 0xc0) {
        if (pos + 2 > this.buf.length) throw new Malformed('pointer past the end');
        const to = this.buf.readUInt16BE(pos) & 0x3fff;
        if (to >= pieceStart || ++jumps > 32) throw new Malformed('pointer loop');
        resumeAt ??= pos + 2;
        pos = pieceStart = to;
        continue;
      }
      if (len > 63) throw new Malformed('unknown label type'); // 0x40 and 0x80 are extended/reserved
      wireLength += len + 1;
      if (wireLength > 255) throw new Malformed('name over 255 bytes');
      if (pos + 1 + len > this.buf.length) throw new Malformed('label past the end');
      labels.push(this.buf.toString('utf8', pos + 1, pos + 1 + len));
      pos += 1 + len;
    }
  }
}

function readData(r: Reader, type: number, end: number): DnsData {
  switch (type) {
    case TYPE.A: {
      if (end - r.at !== 4) throw new Malformed('A is not 4 bytes');
      const a = `${r.u8()}.${r.u8()}.${r.u8()}.${r.u8()}`;
      return { type: 'A', address: a };
    }
    case TYPE.PTR:
      return { type: 'PTR', target: r.name() };
    case TYPE.SRV: {
      r.need(6, end);
      return { type: 'SRV', priority: r.u16(), weight: r.u16(), port: r.u16(), target: r.name() };
    }
    case TYPE.TXT: {
      const strings: string[] = [];
      while (r.at < end) {
        const len = r.u8();
        r.need(len, end);
        strings.push(r.buf.toString('utf8', r.at, r.at + len));
        r.at += len;
      }
      return { type: 'TXT', strings };
    }
    default:
      r.at = end;
      return { type: 'other', code: type };
  }
}

/** The DNS message in `buf`, or undefined when it is malformed in any way. Never throws. */
export function parseDnsMessage(buf: Buffer): DnsMessage | undefined {
  try {
    const r = new Reader(buf);
    const id = r.u16();
    const flags = r.u16();
    const [qd, an, ns, ar] = [r.u16(), r.u16(), r.u16(), r.u16()];
    // A question takes at least 5 bytes, a record 11: counts that cannot fit are refused before any loop runs.
    if (qd * 5 + (an + ns + ar) * 11 > buf.length - 12) return undefined;
    const questions: DnsMessage['questions'] = [];
    for (let i = 0; i < qd; i++) {
      const name = r.name();
      const type = r.u16();
      r.u16(); // class (its top bit is mDNS's "unicast answer wanted")
      questions.push({ name, type });
    }
    const records: DnsRecord[] = [];
    for (let i = 0; i < an + ns + ar; i++) {
      const name = r.name();
      const type = r.u16();
      const cls = r.u16() & 0x7fff; // the top bit is mDNS's cache-flush bit
      const ttl = r.u32();
      const length = r.u16();
      r.need(length);
      const end = r.at + length;
      const data = readData(r, type, end);
      // The data must fill its length exactly: a name running past it, or bytes left over, is a broken record.
      if (r.at !== end) return undefined;
      if (cls === CLASS_IN) records.push({ name, ttl, data });
    }
    return { id, response: (flags & 0x8000) !== 0, rcode: flags & 0x000f, questions, records };
  } catch {
    return undefined; // Malformed, or any read Node refuses: either way not a packet we can use
  }
}

/** A standard query (RD off, as mDNS wants) for one name and type, class IN. */
export function encodeDnsQuery(id: number, name: readonly string[], type: number): Buffer {
  const labels = name.map((label) => {
    const bytes = Buffer.from(label, 'utf8');
    if (bytes.length < 1 || bytes.length > 63) throw new RangeError(`bad DNS label "${label}"`);
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  });
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4); // one question
  const tail = Buffer.alloc(5); // root label, type, class
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(CLASS_IN, 3);
  return Buffer.concat([header, ...labels, tail]);
}

const sameName = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((label, i) => label.toLowerCase() === b[i]?.toLowerCase());

/** A unicast IPv4 address we could connect to (not 0.x, multicast, reserved or broadcast). */
const usableIpv4 = (address: string): boolean => {
  const first = Number(address.split('.')[0]);
  return first > 0 && first < 224;
};

/** The Kodi instances in one answer to query `id`. */
export function readKodiAnswer(id: number, answer: Buffer, from: dgram.RemoteInfo): Found[] {
  const message = parseDnsMessage(answer);
  if (message?.response !== true || message.id !== id || message.rcode !== 0) return [];
  const { records } = message;
  const found: Found[] = [];
  for (const ptr of records) {
    if (ptr.data.type !== 'PTR' || !sameName(ptr.name, KODI_SERVICE)) continue;
    const instance = ptr.data.target;
    // The instance must be "<label>._xbmc-jsonrpc-h._tcp.local": one label in front of the service.
    if (instance.length !== KODI_SERVICE.length + 1 || !sameName(instance.slice(1), KODI_SERVICE)) continue;
    const srv = records.find((r) => r.data.type === 'SRV' && sameName(r.name, instance))?.data;
    if (srv?.type !== 'SRV' || srv.port === 0) continue;
    const target = srv.target;
    const a = records.find(
      (r) => r.data.type === 'A' && sameName(r.name, target) && usableIpv4(r.data.address),
    )?.data;
    const host = a?.type === 'A' ? a.address : from.address;
    const txt = records.find((r) => r.data.type === 'TXT' && sameName(r.name, instance))?.data;
    const uuid =
      txt?.type === 'TXT' ? txt.strings.find((s) => s.toLowerCase().startsWith('uuid=')) : undefined;
    const kodiId = cleanText(uuid?.slice(5) ?? '', MAX_ID);
    found.push({
      kind: 'kodi',
      name: cleanText(instance[0] ?? '', MAX_NAME) || host,
      host,
      port: srv.port,
      url: `http://${host}:${srv.port}`,
      ...(kodiId ? { id: kodiId } : {}),
    });
  }
  return found;
}

/** The Kodis on this network that announce their web server over zeroconf within the timeout. Never rejects. */
export async function discoverKodi(options: DiscoveryOptions = {}): Promise<DiscoveryResult> {
  const id = randomInt(1, 0x10000); // a fresh id: answers to someone else's query are not ours
  const outcome = await askOverUdp({
    query: encodeDnsQuery(id, KODI_SERVICE, TYPE.PTR),
    to: options.target ?? MDNS_TARGET,
    timeoutMs: discoveryTimeout(options),
    multicastTtl: 255, // RFC 6762 §11; 224.0.0.251 is link-local, no router forwards it anyway
    read: (answer, from) => readKodiAnswer(id, answer, from),
  });
  return discoveryResult(
    [outcome],
    'No Kodi answered. Perhaps "Announce services to other systems" is off (Settings → Services → General, ' +
      'Zeroconf), or "Allow remote control via HTTP" is off (Settings → Services → Control: Kodi announces its ' +
      'web server only while it runs), or Kodi is on another network segment (VLAN, guest Wi-Fi).',
  );
}
