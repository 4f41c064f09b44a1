#!/usr/bin/env node
// After tsc: copies icons/ into nodes/icons/ and checks that every type in package.json's node-red.nodes has its
// code (nodes/<type>.js, compiled by tsc from src/<type>.ts) beside its committed nodes/<type>.html. Output of
// older builds that no longer has a source (nodes/nodes/) is removed.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

const iconsFrom = path.join(root, 'icons');
const iconsTo = path.join(root, 'nodes', 'icons');
fs.rmSync(iconsTo, { recursive: true, force: true });
fs.cpSync(iconsFrom, iconsTo, { recursive: true });
fs.rmSync(path.join(root, 'nodes', 'nodes'), { recursive: true, force: true });

for (const [type, file] of Object.entries(pkg['node-red'].nodes)) {
  const expected = `nodes/${type}.js`;
  if (file !== expected) throw new Error(`package.json node-red.nodes["${type}"] must be "${expected}"`);
  if (!fs.existsSync(path.join(root, 'src', `${type}.ts`))) throw new Error(`src/${type}.ts is missing`);
  if (!fs.existsSync(path.join(root, file))) throw new Error(`${file} was not built from src/${type}.ts`);
  if (!fs.existsSync(path.join(root, 'nodes', `${type}.html`)))
    throw new Error(`nodes/${type}.html is missing`);
}
