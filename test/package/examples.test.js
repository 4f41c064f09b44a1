'use strict';
// The examples: importable JSON, our nodes and core nodes only, every flow node of the package used, each with a
// comment node.
require('should');
const fs = require('node:fs');
const path = require('node:path');

const pkg = require('../../package.json');
const dir = path.join(__dirname, '..', '..', 'examples');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
const html = (type) => fs.readFileSync(path.join(__dirname, '..', '..', 'nodes', `${type}.html`), 'utf8');
const isConfigType = (type) => /category:\s*'config'/.test(html(type));
const CORE = new Set([
  'comment',
  'inject',
  'debug',
  'change',
  'switch',
  'function',
  'template',
  'delay',
  'http in',
  'http response',
  'http request',
  'mqtt in',
  'mqtt out',
  'mqtt-broker',
  'catch',
  'status',
  'complete',
  'link in',
  'link out',
  'json',
]);

describe('examples', function () {
  const ours = Object.keys(pkg['node-red'].nodes);

  it('N02 uses every flow node of the package at least once', function () {
    const used = new Set(
      files.flatMap((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).map((n) => n.type)),
    );
    const flowTypes = ours.filter((t) => !isConfigType(t));
    flowTypes.filter((t) => !used.has(t)).should.eql([]);
  });

  for (const file of files) {
    describe(file, function () {
      const flow = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      it('uses only our nodes and core nodes', function () {
        flow
          .map((n) => n.type)
          .filter((t) => !ours.includes(t) && !CORE.has(t))
          .should.eql([]);
      });
      it('has a comment node that says what it does', function () {
        flow.filter((n) => n.type === 'comment' && n.name.length > 20).should.not.be.empty();
      });
      it('wires only to nodes that exist, and references existing config nodes', function () {
        const ids = new Set(flow.map((n) => n.id));
        for (const n of flow) {
          for (const port of n.wires || [])
            for (const target of port) ids.has(target).should.be.true(`${n.id} → ${target}`);
          const refs = n.wires ? ['kodi', 'jellyfin', 'plex', 'broker'] : ['mappings']; // mqtt-broker.broker is a host
          for (const key of refs) {
            if (n[key]) ids.has(n[key]).should.be.true(`${n.id}.${key} → ${n[key]}`);
          }
          for (const p of n.players || []) ids.has(p.id).should.be.true(`${n.id}.players → ${p.id}`);
        }
      });
    });
  }
});
