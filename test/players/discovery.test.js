'use strict';
// LAN discovery (no Node-RED): Plex GDM, Jellyfin/Emby on UDP 7359, Kodi over mDNS, each asked on loopback only
// (options.target) against the responders of ../sim/discovery-sim.js. Good answers are found with the right
// fields; hostile ones are dropped without a crash; silence ends in a note; no socket or timer is left behind.
require('should');
const { discoveryTimeout, MAX_ANSWERS } = require('../../nodes/players/discovery');
const { discoverPlex } = require('../../nodes/players/plex/gdm');
const { discoverJellyfin } = require('../../nodes/players/jellyfin/discovery');
const { discoverKodi, parseDnsMessage, encodeDnsQuery } = require('../../nodes/players/kodi/zeroconf');
const sim = require('../sim/discovery-sim');

/** Short enough for tests that wait out the whole collecting time, long enough for loopback answers. */
const WAIT_MS = 300;

/** Runs `discover` with `target`, and how long it took. */
async function timed(discover, options) {
  const started = Date.now();
  const result = await discover({ timeoutMs: WAIT_MS, ...options });
  return { ...result, tookMs: Date.now() - started };
}

/** UDP sockets and timers alive now: a run that leaks either shows up as a difference. */
const handles = () => {
  const all = process.getActiveResourcesInfo();
  return {
    udp: all.filter((r) => r === 'UDPWrap').length,
    timers: all.filter((r) => r === 'Timeout').length,
  };
};

/** libuv frees closed handles after the check phase: two setImmediate turns later they are gone. */
const settled = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

/** A DNS response header: id, flags (response), then the four counts. */
function header(id, qd, an, ns = 0, ar = 0) {
  const b = Buffer.alloc(12);
  [id, 0x8400, qd, an, ns, ar].forEach((v, i) => b.writeUInt16BE(v, 2 * i));
  return b;
}

describe('LAN discovery (no Node-RED)', function () {
  const responders = [];
  const started = async (responder) => {
    responders.push(await responder);
    return responders[responders.length - 1];
  };
  afterEach(async function () {
    await Promise.all(responders.splice(0).map((r) => r.close()));
  });

  it('the collecting time is the caller’s up to 3 s, 3 s by default and for nonsense', function () {
    discoveryTimeout({}).should.equal(3000);
    discoveryTimeout({ timeoutMs: 500 }).should.equal(500);
    discoveryTimeout({ timeoutMs: 60_000 }).should.equal(3000);
    for (const timeoutMs of [0, -1, NaN, Infinity]) discoveryTimeout({ timeoutMs }).should.equal(3000);
  });

  describe('Plex GDM', function () {
    it('finds the server: its name, the sender’s address, the Port header, its id and version', async function () {
      const plex = await started(sim.gdmResponder());
      const { found, note, tookMs } = await timed(discoverPlex, { target: plex.target });
      found.should.eql([
        {
          kind: 'plex',
          name: 'Sim Plex',
          host: '127.0.0.1', // rinfo.address, not the Host header
          port: 32400,
          url: 'http://127.0.0.1:32400',
          id: 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2',
          version: '1.41.3.9314-a0bfb8370',
        },
      ]);
      (note === undefined).should.be.true();
      plex.received.map(String).should.eql(['M-SEARCH * HTTP/1.0\r\n\r\n']);
      tookMs.should.be.below(WAIT_MS + 250); // collected until the timeout, then resolved at once
    });

    it('drops garbage, oversized, wrong content type and bad ports; a repeated answer counts once', async function () {
      const plex = await started(
        sim.gdmResponder([
          Buffer.from([0xff, 0x00, 0xfe, 0x0d, 0x0a]),
          'HTTP/1.0 404 Not Found\r\nContent-Type: plex/media-server\r\nPort: 1\r\n\r\n',
          sim.gdmAnswer({ 'Content-Type': 'plex/media-player', Port: '32500' }), // a player, not a server
          sim.gdmAnswer({ 'Content-Type': undefined, Port: '32501' }),
          sim.gdmAnswer({ Port: 'abc' }),
          sim.gdmAnswer({ Port: '70000' }),
          sim.gdmAnswer({ Port: '0' }),
          sim.gdmAnswer({ Port: '32600', Name: 'x'.repeat(5000) }), // over 4 KiB
          sim.gdmAnswer({ Name: 'Bad\u0007 name\u001b[31m' }),
          sim.gdmAnswer(),
        ]),
      );
      const { found } = await timed(discoverPlex, { target: plex.target });
      found.map((f) => [f.url, f.name]).should.eql([['http://127.0.0.1:32400', 'Bad name[31m']]);
    });

    it('nobody answering: nothing found and a note saying why that may be', async function () {
      const quiet = await started(sim.gdmResponder([]));
      const { found, note, tookMs } = await timed(discoverPlex, { target: quiet.target });
      found.should.eql([]);
      note.should.match(/local network discovery \(GDM\) is off/);
      tookMs.should.be.aboveOrEqual(WAIT_MS - 20).and.below(WAIT_MS + 250);
    });
  });

  describe('Jellyfin and Emby', function () {
    it('finds a Jellyfin by its answer to the Jellyfin question', async function () {
      const jf = await started(sim.jellyfinResponder());
      const { found, note, tookMs } = await timed(discoverJellyfin, { target: jf.target });
      found.should.eql([
        {
          kind: 'jellyfin',
          name: 'Sim Jellyfin',
          host: '192.168.1.5',
          port: 8096,
          url: 'http://192.168.1.5:8096',
          id: '0123456789abcdef0123456789abcdef',
        },
      ]);
      (note === undefined).should.be.true();
      jf.received.map(String).sort().should.eql(['who is EmbyServer?', 'who is JellyfinServer?']);
      tookMs.should.be.below(WAIT_MS + 250);
    });

    it('finds an Emby (kind emby) by its answer to the Emby question; keeps a base path', async function () {
      const emby = await started(
        sim.embyResponder([sim.serverAnswer({ Name: 'Sim Emby', Address: 'https://emby.lan:8920/emby/' })]),
      );
      const { found } = await timed(discoverJellyfin, { target: emby.target });
      found.should.eql([
        {
          kind: 'emby',
          name: 'Sim Emby',
          host: 'emby.lan',
          port: 8920,
          url: 'https://emby.lan:8920/emby',
          id: '0123456789abcdef0123456789abcdef',
        },
      ]);
    });

    it('drops answers whose Address is no web address, bad JSON, wrong types and oversized ones', async function () {
      const jf = await started(
        sim.jellyfinResponder([
          'not json {',
          '[1,2,3]',
          'null',
          sim.serverAnswer({ Address: 'file:///etc/passwd' }),
          sim.serverAnswer({ Address: 'javascript:alert(1)' }),
          sim.serverAnswer({ Address: 'http://user:secret@192.168.1.6:8096' }),
          sim.serverAnswer({ Address: 'not a url' }),
          sim.serverAnswer({ Address: 42 }),
          sim.serverAnswer({ Address: undefined }),
          sim.serverAnswer({ Address: 'http://192.168.1.7:8096', Name: { evil: true } }),
          sim.serverAnswer({ Address: 'http://192.168.1.8:8096', Id: 7 }),
          sim.serverAnswer({ Address: 'http://192.168.1.9:8096', Name: 'x'.repeat(5000) }),
          sim.serverAnswer({
            Address: 'http://192.168.1.10:8096',
            Name: 'y'.repeat(1000),
            Id: 'z'.repeat(1000),
          }),
        ]),
      );
      const { found } = await timed(discoverJellyfin, { target: jf.target });
      found.should.have.length(1);
      found[0].url.should.equal('http://192.168.1.10:8096');
      found[0].name.should.have.length(200); // capped
      found[0].id.should.have.length(128);
    });

    it('nobody answering: nothing found and a note naming Jellyfin’s auto discovery setting', async function () {
      const quiet = await started(sim.jellyfinResponder([]));
      const { found, note, tookMs } = await timed(discoverJellyfin, { target: quiet.target });
      found.should.eql([]);
      note.should.match(/Auto Discovery/).and.match(/Dashboard → Networking/);
      tookMs.should.be.below(WAIT_MS + 250);
    });
  });

  describe('Kodi over mDNS', function () {
    it('finds Kodi from PTR, SRV, TXT and A sent by unicast to the query’s port', async function () {
      const kodi = await started(sim.mdnsResponder());
      const { found, note, tookMs } = await timed(discoverKodi, { target: kodi.target });
      found.should.eql([
        {
          kind: 'kodi',
          name: 'Kodi (livingroom)',
          host: '192.168.1.50',
          port: 8080,
          url: 'http://192.168.1.50:8080',
          id: 'c0ffee00-1111-2222-3333-444455556666',
        },
      ]);
      (note === undefined).should.be.true();
      tookMs.should.be.below(WAIT_MS + 250);
      // the query: one question, PTR, class IN, for _xbmc-jsonrpc-h._tcp.local
      const query = parseDnsMessage(kodi.received[0]);
      query.response.should.be.false();
      query.questions.should.eql([{ name: sim.SERVICE, type: 12 }]);
    });

    it('without an A record the sender’s address is the host; several instances in one answer', async function () {
      const kodi = await started(
        sim.mdnsResponder((id) => [
          sim.kodiAnswer(id, { address: null, port: 8081 }),
          sim.kodiAnswer(id, { instance: 'Kodi (bedroom)', host: 'bedroom', address: '192.168.1.51' }),
        ]),
      );
      const { found } = await timed(discoverKodi, { target: kodi.target });
      found
        .map((f) => [f.name, f.url, f.id])
        .should.eql([
          ['Kodi (livingroom)', 'http://127.0.0.1:8081', undefined],
          ['Kodi (bedroom)', 'http://192.168.1.51:8080', undefined],
        ]);
    });

    it('drops hostile packets: loops, truncation, counts past the end, wrong ids, other services', async function () {
      const kodi = await started(
        sim.mdnsResponder((id) => {
          const good = sim.kodiAnswer(id, { uuid: 'good' });
          const truncated = good.subarray(0, good.length - 3);
          const countsTooLarge = Buffer.from(good);
          countsTooLarge.writeUInt16BE(0xffff, 10); // 65535 additional records
          const rdlengthPastEnd = Buffer.concat([
            header(id, 0, 1),
            Buffer.from([0, 0, 1, 0, 1, 0, 0, 0, 0, 0x10, 0]),
          ]);
          return [
            Buffer.from('garbage'),
            Buffer.alloc(0),
            Buffer.concat([header(id, 0, 1), Buffer.from([0xc0, 12])]), // a pointer to itself
            Buffer.concat([header(id, 0, 1), Buffer.from([1, 0x61, 0xc0, 12])]), // "a", then back to "a"
            Buffer.concat([header(id, 0, 1), Buffer.from([0xc0, 14, 0xc0, 12])]), // two pointing at each other
            truncated,
            countsTooLarge,
            rdlengthPastEnd,
            sim.kodiAnswer((id + 1) & 0xffff, { instance: 'Not asked' }), // someone else's query id
            sim.kodiAnswer(id, { port: 9000, address: '192.168.1.60' }).fill(0, 0, 2), // id 0
            Buffer.concat([sim.kodiAnswer(id, { instance: 'Big' }), Buffer.alloc(4096)]), // over 4 KiB
            good,
          ];
        }),
      );
      const { found } = await timed(discoverKodi, { target: kodi.target });
      found.map((f) => [f.name, f.id]).should.eql([['Kodi (livingroom)', 'good']]);
    });

    it('the DNS parser refuses malformed messages itself, and reads a good one', function () {
      const good = sim.kodiAnswer(0x1234, { uuid: 'u' });
      const message = parseDnsMessage(good);
      message.id.should.equal(0x1234);
      message.records.map((r) => r.data.type).should.eql(['PTR', 'SRV', 'TXT', 'A']);
      const bad = [
        Buffer.alloc(11), // shorter than a header
        Buffer.concat([header(1, 0, 1), Buffer.from([0xc0, 12])]),
        Buffer.concat([header(1, 0, 1), Buffer.from([1, 0x61, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])]),
        Buffer.concat([header(1, 0, 1), Buffer.from([0x40, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])]), // label type 01
        Buffer.concat([header(1, 0, 1), Buffer.from([63]), Buffer.alloc(10)]), // label past the end
        Buffer.concat([header(1, 0, 1), Buffer.from([0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 3, 1, 2, 3])]), // A of 3 bytes
        Buffer.concat([header(1, 0, 1), Buffer.from([0, 0, 16, 0, 1, 0, 0, 0, 0, 0, 2, 5, 0x61])]), // TXT past rdata
        Buffer.concat([header(1, 0xffff, 0xffff), Buffer.alloc(40)]),
        good.subarray(0, good.length - 1),
        // a name of 5 × 63-byte labels: over 255 bytes
        Buffer.concat([
          header(1, 1, 0),
          ...Array.from({ length: 5 }, () => Buffer.alloc(64, 63)),
          Buffer.alloc(5),
        ]),
      ];
      for (const packet of bad)
        (parseDnsMessage(packet) === undefined).should.be.true(packet.toString('hex'));
      (() => encodeDnsQuery(1, ['x'.repeat(64)], 12)).should.throw(/bad DNS label/);
    });

    it('nobody answering: nothing found and a note naming Kodi’s zeroconf setting', async function () {
      const quiet = await started(sim.mdnsResponder(() => []));
      const { found, note, tookMs } = await timed(discoverKodi, { target: quiet.target });
      found.should.eql([]);
      note.should.match(/Announce services to other systems/).and.match(/Settings → Services → General/);
      tookMs.should.be.below(WAIT_MS + 250);
    });
  });

  describe('the shared UDP run', function () {
    it('stops listening after 64 answers, well before the timeout', async function () {
      const many = Array.from({ length: 100 }, (_, i) => sim.gdmAnswer({ Port: String(1000 + i) }));
      const plex = await started(sim.gdmResponder(many));
      const started0 = Date.now();
      const { found } = await discoverPlex({ target: plex.target, timeoutMs: 3000 });
      (Date.now() - started0).should.be.below(1500);
      found.should.have.length(MAX_ANSWERS); // each answer a different port, so each one counted
    });

    it('a query that cannot be sent resolves at once with a note in our words, not a rejection', async function () {
      await settled();
      const before = handles();
      for (const discover of [discoverPlex, discoverJellyfin, discoverKodi]) {
        const { found, note } = await discover({
          target: { address: '127.0.0.1', port: 0 },
          timeoutMs: 2000,
        });
        found.should.eql([]);
        note.should.match(/^Nothing found: the discovery query could not be sent to 127\.0\.0\.1:0/);
      }
      await settled();
      // each run's socket closed and its 2 s timer cleared (Mocha's own timers may come and go, never more of them)
      handles().udp.should.equal(before.udp);
      handles().timers.should.be.belowOrEqual(before.timers);
    });

    it('a send the system refuses (broadcast without SO_BROADCAST) ends in a note, nothing leaves', async function () {
      // Kodi's query is the one sent without SO_BROADCAST: the kernel refuses it before anything is sent.
      const { found, note } = await discoverKodi({
        target: { address: '255.255.255.255', port: 5353 },
        timeoutMs: 2000,
      });
      found.should.eql([]);
      note.should.match(/could not be sent to 255\.255\.255\.255:5353 \((EACCES|EPERM|ENETUNREACH)\): /);
    });

    it('closes its socket and clears its timer: nothing is left open, and the next run works', async function () {
      const plex = await started(sim.gdmResponder());
      const kodi = await started(sim.mdnsResponder());
      const jf = await started(sim.jellyfinResponder());
      await settled();
      const before = handles();
      for (let i = 0; i < 2; i++) {
        (await discoverPlex({ target: plex.target, timeoutMs: 100 })).found.should.have.length(1);
        (await discoverKodi({ target: kodi.target, timeoutMs: 100 })).found.should.have.length(1);
        (await discoverJellyfin({ target: jf.target, timeoutMs: 100 })).found.should.have.length(1);
        await settled();
        handles().udp.should.equal(before.udp);
        handles().timers.should.be.belowOrEqual(before.timers);
      }
    });
  });
});
