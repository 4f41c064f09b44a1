import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ENTRY_FILES = Object.keys(
  JSON.parse(readFileSync(join(import.meta.dirname, 'package.json'), 'utf8'))['node-red'].nodes,
);

/** One no-restricted-imports rule per floor: what it may not import, and why. */
function floors() {
  const up = (names) => `^(\\.\\./)+(${names.join('|')})(/|$)`;
  const entry = {
    regex: up(ENTRY_FILES),
    message: 'node entry files are the top floor: nothing imports them',
  };
  const glue = {
    regex: up(['node-red']),
    message: 'the Node-RED glue (src/node-red/) is imported only by entry files',
  };
  const domain = {
    regex: up(['sync']),
    message: 'the domain (src/sync/) is not imported by the floors below it',
  };
  const nodeRed = {
    name: 'node-red',
    message: 'only the entry files and the glue (src/node-red/) know Node-RED',
  };
  const rule = (patterns, paths = []) => ({
    rules: { 'no-restricted-imports': ['error', { paths, patterns }] },
  });
  return [
    { files: ['src/node-red/**/*.ts'], ...rule([entry]) },
    { files: ['src/sync/**/*.ts'], ...rule([entry, glue], [nodeRed]) },
    { files: ['src/players/**/*.ts'], ...rule([entry, glue, domain], [nodeRed]) },
    {
      files: ['src/core/**/*.ts'],
      ...rule(
        [
          {
            regex: '^\\.\\./',
            message: 'the ground floor (src/core/) imports nothing of the floors above it',
          },
        ],
        [nodeRed],
      ),
    },
  ];
}

export default tseslint.config(
  { ignores: ['node_modules/', 'nodes/**/*.js', '.node-red/', 'test-artifacts/', '.test-runtime/'] },
  js.configs.recommended,
  {
    files: ['src/**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: true }],
      // Node-RED's idiom: `const node = this` in a node constructor.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
    },
  },
  // The floors of src/, each importing only the floors below it: node entry files (src/<type>.ts) → Node-RED glue
  // (src/node-red/) → the domain (src/sync/) → protocol clients (src/players/) → the ground floor (src/core/).
  // Only the entry files and the glue know Node-RED.
  ...floors(),
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node, ...globals.mocha } },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_' }] },
  },
  prettier,
);
