'use strict';
require('should');
const { helper, nodes, logText } = require('../lib/nodes');

describe('path-mappings config node', function () {
  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  afterEach(async function () {
    await helper.unload();
  });

  const load = (rules, extra = {}) =>
    helper.load(
      [nodes.pathMappings, nodes.kodiPlayer],
      [
        { id: 'm1', type: 'path-mappings', name: 'NAS', rules, required: false, trailing: 'keep', ...extra },
        {
          id: 'k1',
          type: 'kodi-player',
          name: 'Den',
          host: '127.0.0.1',
          httpPort: 1,
          wsPort: 2,
          mappings: 'm1',
        },
      ],
    );

  it("gives its player's nodes a working mapper", async function () {
    await load([{ from: '/data/movies', to: 'smb://nas/movies' }]);
    helper.getNode('k1').mapper().toPlayer('/data/movies/Film/').path.should.equal('smb://nas/movies/Film/');
  });

  it('a mapping loop is a clear error at deploy, and again for every node that uses it', async function () {
    await load([
      { from: '/a', to: '/b' },
      { from: '/b', to: '/a' },
    ]);
    logText().should.match(/path mappings \\"NAS\\": mapping loop: \/a → \/b → \/a/);
    (() => helper.getNode('k1').mapper()).should.throw(
      /Kodi "Den" \(127\.0\.0\.1:1\): path mappings "NAS" are invalid: mapping loop/,
    );
  });

  it('a rule without "from" is a clear error', async function () {
    await load([{ from: '', to: '/movies' }]);
    logText().should.match(/rule 1 has no \\"from\\" \(the library path\): fill it in or delete the rule/);
  });

  it('no path-mappings node means paths pass unchanged', async function () {
    await helper.load(
      [nodes.kodiPlayer],
      [{ id: 'k1', type: 'kodi-player', host: '127.0.0.1', httpPort: 1, wsPort: 2, mappings: '' }],
    );
    helper.getNode('k1').mapper().toPlayer('/data/x/').should.match({ path: '/data/x/', matched: false });
  });

  it('a reference to a deleted path-mappings node is a clear error', async function () {
    await helper.load(
      [nodes.kodiPlayer],
      [
        {
          id: 'k1',
          type: 'kodi-player',
          name: 'Den',
          host: '127.0.0.1',
          httpPort: 1,
          wsPort: 2,
          mappings: 'gone',
        },
      ],
    );
    (() => helper.getNode('k1').mapper()).should.throw(
      /Kodi "Den".*its path-mappings config node is missing/,
    );
  });
});
