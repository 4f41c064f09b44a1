// LAN discovery responders on loopback: Plex GDM, Jellyfin/Emby (UDP 7359) and an mDNS responder as Kodi's
// zeroconf (Avahi, Bonjour) answers a legacy unicast query. Each is a UDP socket on 127.0.0.1 with an ephemeral
// port, answering with whatever datagrams a test gives it, so hostile answers are as easy to send as good ones.
'use strict';
const dgram = require('node:dgram');

class UdpResponder {
  /** `answer(msg, rinfo)` returns the datagrams (Buffers or strings) to send back to the asker, in order. */
  constructor(answer) {
    this.answer = answer;
    this.received = []; // the queries, as Buffers
    this.port = 0;
  }

  async start() {
    this.socket = dgram.createSocket('udp4');
    this.socket.on('message', (msg, rinfo) => {
      this.received.push(msg);
      for (const reply of this.answer(msg, rinfo) || []) this.socket.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.port = this.socket.address().port;
    return this;
  }

  get target() {
    return { address: '127.0.0.1', port: this.port };
  }

  close() {
    return new Promise((resolve) => this.socket.close(resolve));
  }
}

const start = (answer) => new UdpResponder(answer).start();

// --- Plex GDM -------------------------------------------------------------------------------------------------

/** A GDM answer as Plex Media Server sends it; `fields` override or add header lines (undefined drops one). */
function gdmAnswer(fields = {}) {
  const all = {
    'Content-Type': 'plex/media-server',
    'Resource-Identifier': 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2',
    Name: 'Sim Plex',
    Port: '32400',
    'Updated-At': '1700000000',
    Version: '1.41.3.9314-a0bfb8370',
    Host: 'sim-plex',
    ...fields,
  };
  const lines = Object.entries(all)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}`);
  return Buffer.from(['HTTP/1.0 200 OK', ...lines, '', ''].join('\r\n'));
}

/** A Plex Media Server answering M-SEARCH with `replies` (default: one good answer). */
function gdmResponder(replies = [gdmAnswer()]) {
  return start((msg) => (msg.toString() === 'M-SEARCH * HTTP/1.0\r\n\r\n' ? replies : []));
}

// --- Jellyfin / Emby ------------------------------------------------------------------------------------------

const serverAnswer = (fields = {}) =>
  Buffer.from(
    JSON.stringify({
      Address: 'http://192.168.1.5:8096',
      Id: '0123456789abcdef0123456789abcdef',
      Name: 'Sim Jellyfin',
      EndpointAddress: null,
      ...fields,
    }),
  );

/** Answers "who is <product>Server?" (case-insensitively, as Jellyfin does) with `replies`, and nothing else. */
function serverResponder(product, replies) {
  const question = `who is ${product}server?`;
  return start((msg) => (msg.toString().toLowerCase().includes(question) ? replies : []));
}
const jellyfinResponder = (replies = [serverAnswer()]) => serverResponder('jellyfin', replies);
const embyResponder = (replies = [serverAnswer({ Name: 'Sim Emby', Id: 'e'.repeat(32) })]) =>
  serverResponder('emby', replies);

// --- mDNS (Kodi) ----------------------------------------------------------------------------------------------

/** A DNS message writer with name compression (suffixes already written become pointers). */
class DnsWriter {
  constructor() {
    this.parts = [];
    this.length = 0;
    this.names = new Map(); // lower-case suffix -> offset
  }
  bytes(buf) {
    this.parts.push(buf);
    this.length += buf.length;
  }
  u16(...values) {
    const b = Buffer.alloc(2 * values.length);
    values.forEach((v, i) => b.writeUInt16BE(v, 2 * i));
    this.bytes(b);
  }
  name(labels) {
    for (let i = 0; i < labels.length; i++) {
      const key = labels.slice(i).join('.').toLowerCase();
      const at = this.names.get(key);
      if (at !== undefined) return this.u16(0xc000 | at);
      this.names.set(key, this.length);
      const label = Buffer.from(labels[i]);
      this.bytes(Buffer.concat([Buffer.from([label.length]), label]));
    }
    this.bytes(Buffer.from([0]));
  }
  /** `data(writer)` writes the record data; its length is filled in after. */
  record(labels, type, data, ttl = 120) {
    this.name(labels);
    this.u16(type, 0x8001); // class IN with mDNS's cache-flush bit, as responders set it
    this.u16(ttl >>> 16, ttl & 0xffff);
    const lengthAt = this.parts.length;
    this.u16(0);
    const before = this.length;
    data(this);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(this.length - before);
    this.parts[lengthAt] = length;
  }
  buffer() {
    return Buffer.concat(this.parts);
  }
}

const SERVICE = ['_xbmc-jsonrpc-h', '_tcp', 'local'];

/** The question in a query (name labels, type), or undefined: enough for a responder that trusts its tests. */
function readQuestion(msg) {
  const labels = [];
  let at = 12;
  while (at < msg.length && msg[at] !== 0) {
    labels.push(msg.toString('utf8', at + 1, at + 1 + msg[at]));
    at += 1 + msg[at];
  }
  return { id: msg.readUInt16BE(0), labels, type: msg.readUInt16BE(at + 1) };
}

/**
 * Kodi's legacy unicast answer: the question echoed, the PTR as answer, SRV, TXT and A as additional records.
 * `address: null` leaves out the A record.
 */
function kodiAnswer(
  id,
  { instance = 'Kodi (livingroom)', host = 'livingroom', port = 8080, uuid, address = '192.168.1.50' } = {},
) {
  const w = new DnsWriter();
  w.u16(id, 0x8400, 1, 1, 0, address === null ? 2 : 3); // response, authoritative
  w.name(SERVICE);
  w.u16(12, 1);
  const name = [instance, ...SERVICE];
  w.record(SERVICE, 12, (d) => d.name(name));
  w.record(name, 33, (d) => {
    d.u16(0, 0, port);
    d.name([host, 'local']);
  });
  w.record(name, 16, (d) => {
    for (const s of ['txtvers=1', ...(uuid ? [`uuid=${uuid}`] : [])]) {
      d.bytes(Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]));
    }
  });
  if (address !== null)
    w.record([host, 'local'], 1, (d) => d.bytes(Buffer.from(address.split('.').map(Number))));
  return w.buffer();
}

/**
 * An mDNS responder: a PTR query for Kodi's service is answered by unicast to its source, with what `replies(id)`
 * gives (default: one good answer). The id is the query's, as RFC 6762 §6.7 wants.
 */
function mdnsResponder(replies = (id) => [kodiAnswer(id, { uuid: 'c0ffee00-1111-2222-3333-444455556666' })]) {
  return start((msg) => {
    const q = readQuestion(msg);
    return q.type === 12 && q.labels.join('.').toLowerCase() === SERVICE.join('.') ? replies(q.id) : [];
  });
}

module.exports = {
  UdpResponder,
  gdmAnswer,
  gdmResponder,
  serverAnswer,
  jellyfinResponder,
  embyResponder,
  DnsWriter,
  kodiAnswer,
  mdnsResponder,
  SERVICE,
};
