'use strict';
// Whether Kodi is scanning, as one connection knows it (no Node-RED): asked once, then followed by the scan
// notifications while the WebSocket stays up, so that the check before each targeted scan costs no request; asked
// again whenever the notifications cannot say (just after a scan ended, or with the WebSocket down).
require('should');
const { KodiConnection } = require('../../nodes/players/kodi/connection');
const { isScanning } = require('../../nodes/players/kodi/events');
const { KodiSim } = require('../sim/kodi-sim');
const { until, next } = require('../lib/wait');

describe('Kodi scan state (no Node-RED)', function () {
  let sim;
  let conn;
  beforeEach(async function () {
    sim = await new KodiSim().start();
    conn = new KodiConnection({
      name: 'Den',
      host: '127.0.0.1',
      httpPort: sim.httpPort,
      wsPort: sim.wsPort,
      tls: false,
      username: sim.username,
      password: sim.password,
    });
    conn.start();
    await until(() => conn.state === 'connected', 'the connection');
  });
  afterEach(async function () {
    conn.stop();
    await sim.stop();
  });

  const asked = () => sim.requests.filter((r) => r.method === 'XBMC.GetInfoBooleans').length;

  it('asks once, then knows from the notifications: a scan started and ended elsewhere', async function () {
    (await isScanning(conn)).should.be.false();
    asked().should.equal(1);
    (await isScanning(conn)).should.be.false();
    asked().should.equal(1, 'idle, known: not asked again');

    const started = next(conn, 'notification', 'OnScanStarted');
    sim.startExternalScan();
    await started;
    (await isScanning(conn)).should.be.true();
    asked().should.equal(1, 'a scan announced: known without asking');

    const finished = next(conn, 'notification', 'OnScanFinished');
    sim.endExternalScan();
    await finished;
    // Just after OnScanFinished Kodi may still be winding the scan down: it is asked, not assumed idle.
    (await isScanning(conn)).should.be.false();
    asked().should.equal(2);
    (await isScanning(conn, true)).should.be.false();
    asked().should.equal(3, 'ask: always asked');
  });

  it('with the WebSocket down, Kodi is asked every time', async function () {
    (await isScanning(conn)).should.be.false();
    const before = asked();
    sim.wss.clients.forEach((ws) => ws.terminate());
    await until(() => !conn.websocketUp, 'the WebSocket to drop');
    sim.scanning = true; // a scan the notifications did not tell of
    (await isScanning(conn)).should.be.true();
    asked().should.equal(before + 1);
  });
});
