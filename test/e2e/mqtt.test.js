'use strict';
// The MQTT example as a user runs it: Debian's mosquitto on loopback, Node-RED's own MQTT nodes, the real Kodi.
// `mosquitto_pub` on media/new drives kodi-scan → wait-scan-finished; on media/deleted, kodi-remove.
require('should');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { helper, nodes } = require('../lib/nodes');
const { sharedKodi, freePort, missingKodiPackages } = require('../kodi-real/kodi-harness');
const { missingPackages, skipUnlessInstalled } = require('../lib/skips');
const { until, next } = require('../lib/wait');

const MOSQUITTO = '/usr/sbin/mosquitto';
const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';
const mqttNodes = require('@node-red/nodes/core/network/10-mqtt.js');
const commentNode = require('@node-red/nodes/core/common/90-comment.js');

/** The longest one step may take (mosquitto to run, Kodi to scan): a limit for a fault, not a pause. */
const LIMIT_MS = 120000;

/** mosquitto on a free loopback port, logging everything to stderr (unbuffered), so a test can see a client's SUBSCRIBE arrive. */
async function startBroker() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'player-sync-mqtt-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type all\n`,
  );
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  await until(() => /mosquitto version .* running/.test(log), 'mosquitto to run', LIMIT_MS);
  return {
    port,
    log: () => log,
    publish(topic, message) {
      execFileSync(MOSQUITTO_PUB, [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-q',
        '1',
        '-t',
        topic,
        '-m',
        message,
      ]);
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('MQTT example with mosquitto and the real Kodi', function () {
  this.timeout(4 * LIMIT_MS);
  let kodi;
  let broker;

  before(async function () {
    const mosquitto = missingPackages([
      { pkg: 'mosquitto', file: MOSQUITTO },
      { pkg: 'mosquitto-clients', file: MOSQUITTO_PUB },
    ]);
    skipUnlessInstalled(this, [...mosquitto, ...missingKodiPackages()], 'the MQTT test');
    kodi = await sharedKodi(this);
    broker = await startBroker();
    await new Promise((resolve) => helper.startServer(resolve));
  });
  after(async function () {
    await helper.unload();
    if (broker) await broker.stop();
    if (kodi) await new Promise((resolve) => helper.stopServer(resolve));
  });

  /** examples/kodi-scan-from-mqtt.json pointed at this broker and Kodi; its debug nodes become helper nodes. */
  function exampleFlow() {
    const flow = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'kodi-scan-from-mqtt.json'), 'utf8'),
    );
    const onTab = (n) => (n.wires === undefined ? n : { ...n, z: 'mqtt-tab' }); // as the Import menu puts it
    return [{ id: 'mqtt-tab', type: 'tab' }, ...flow.map(onTab)].map((n) => {
      switch (n.type) {
        case 'mqtt-broker':
          return { ...n, broker: '127.0.0.1', port: String(broker.port), clientid: 'player-sync-test' };
        case 'kodi-player':
          return { ...n, host: '127.0.0.1', httpPort: String(kodi.httpPort), wsPort: String(kodi.wsPort) };
        case 'path-mappings':
          return { ...n, rules: [{ from: '/data/media/movies', to: kodi.movies }] };
        case 'debug':
          return { id: n.id, type: 'helper', z: n.z, name: n.name, wires: [] };
        default:
          return n;
      }
    });
  }

  it('a path published on media/new is scanned and verified; on media/deleted it is removed', async function () {
    const flow = exampleFlow();
    const kodiId = flow.find((n) => n.type === 'kodi-player').id;
    await helper.load(
      [
        mqttNodes,
        commentNode,
        nodes.kodiPlayer,
        nodes.pathMappings,
        nodes.kodiScan,
        nodes.waitScanFinished,
        nodes.kodiRemove,
      ],
      flow,
      { [kodiId]: { username: kodi.username, password: kodi.password } },
    );
    // Both "mqtt in" nodes have subscribed (the broker says so), so nothing published next can be missed.
    await until(
      () => /media\/new/.test(broker.log()) && /media\/deleted/.test(broker.log()),
      `the flow to subscribe to media/new and media/deleted; mosquitto said:\n${broker.log()}`,
      LIMIT_MS,
    );

    const movie = kodi.addMovie('MQTT Movie', 2022);
    const verified = next(
      helper.getNode('ex-mq-verified'),
      'input',
      'the verified, Kodi idle output',
      LIMIT_MS,
    );
    broker.publish('media/new', '/data/media/movies/MQTT Movie (2022)/');
    const msg = await verified;
    msg.topic.should.equal('media/new');
    msg.payload.should.match({
      status: 'verified',
      libraryPath: '/data/media/movies/MQTT Movie (2022)/',
      items: [{ type: 'movie', title: 'MQTT Movie', file: movie.file }],
    });
    const inKodi = await kodi.rpc('VideoLibrary.GetMovies', {
      filter: { field: 'title', operator: 'is', value: 'MQTT Movie' },
    });
    inKodi.movies.should.have.length(1);
    (await kodi.rpc('XBMC.GetInfoBooleans', { booleans: ['Library.IsScanningVideo'] }))[
      'Library.IsScanningVideo'
    ].should.be.false('wait-scan-finished let it through once Kodi was idle');

    fs.rmSync(movie.folder, { recursive: true, force: true });
    const removed = next(helper.getNode('ex-mq-removed'), 'input', 'the removed output', LIMIT_MS);
    broker.publish('media/deleted', '/data/media/movies/MQTT Movie (2022)/');
    (await removed).payload.should.match({ status: 'removed' });
    const after = await kodi.rpc('VideoLibrary.GetMovies', {
      filter: { field: 'title', operator: 'is', value: 'MQTT Movie' },
    });
    (after.movies || []).should.be.empty();
  });
});
