'use strict';
// The ground floor without Node-RED: paths of every style compared on whole segments, change items built from
// untrusted data, how two changes to one folder merge, episode names, and the backoff.
require('should');
const {
  folderOf,
  isUnder,
  parentFolder,
  splitFile,
  looksLikeFile,
  parsePath,
  PathError,
} = require('../../nodes/core/paths');
const { mergeActions, plainItem, ChangeItemError } = require('../../nodes/core/change');
const { episodeTitle } = require('../../nodes/core/playback');
const { backoffDelay } = require('../../nodes/core/time');
const { startResult } = require('../../nodes/core/result');

describe('core: paths', function () {
  const under = [
    ['/movies/Film (2020)/film.mkv', '/movies', true],
    ['/movies2/Film/', '/movies', false],
    ['D:\\Movies\\Film\\', 'd:\\movies', true],
    ['\\\\NAS\\TV\\Show\\', '\\\\nas\\tv', true],
    ['smb://nas/Movies/Film/', 'smb://NAS/movies', true],
    ['/Movies/Film/', '/movies', false],
    ['multipath://abc/', '/movies', false],
  ];
  for (const [path, prefix, expected] of under) {
    it(`${path} ${expected ? 'is' : 'is not'} under ${prefix}`, function () {
      isUnder(path, prefix).should.equal(expected);
    });
  }

  it("finds folders and parents in the path's own style", function () {
    folderOf('/movies/Film/film.mkv').should.equal('/movies/Film/');
    folderOf('C:\\Media\\Film\\film.mkv').should.equal('C:\\Media\\Film\\');
    parentFolder('/tv/Show/Season 01/').should.equal('/tv/Show/');
    parentFolder('smb://nas/tv/Show').should.equal('smb://nas/tv/');
    splitFile('D:\\Movies\\Film\\f.mkv', true).should.eql({ folder: 'D:\\Movies\\Film\\', name: 'f.mkv' });
  });

  it('tells a media file from a folder with dots in its name', function () {
    looksLikeFile('/m/Film.2020.1080p.x264').should.be.false();
    looksLikeFile('/m/Film (2020)/Film.mkv').should.be.true();
    looksLikeFile('/m/Film (2020)/').should.be.false();
  });

  for (const bad of ['movies/Film', '/m/../etc', '', '/m/Film\u0000/', '/m/Film\n/']) {
    it(`refuses ${JSON.stringify(bad)} with a PathError`, function () {
      (() => parsePath(bad)).should.throw(PathError);
    });
  }
});

describe('core: change items', function () {
  it('merges two changes to one folder as a user would expect', function () {
    mergeActions('added', 'updated').should.equal('added');
    mergeActions('added', 'removed').should.equal('removed');
    mergeActions('removed', 'added').should.equal('updated'); // deleted, then there again: an upgrade
    mergeActions('updated', 'updated').should.equal('updated');
  });

  it('builds an item from known fields only, and refuses a wrong one naming the field', function () {
    plainItem({ path: '/m/A/', title: 'A', junk: { big: 1n } }, 'the item').should.eql({
      path: '/m/A/',
      action: 'added',
      ids: {},
      title: 'A',
    });
    (() => plainItem({ path: '/m/A/', year: 'x' }, 'the item')).should.throw(ChangeItemError, {
      message: /the item has "year" "x": give a number/,
    });
  });
});

describe('core: names, time and results', function () {
  it('names episodes the same way for every player', function () {
    episodeTitle('Severance', 1, 2, 'Half Loop').should.equal('Severance S01E02 Half Loop');
    episodeTitle('Severance', -1, 2, 'Special').should.equal('Severance Special');
  });

  it('backs off exponentially up to a cap', function () {
    [0, 1, 5, 40].map((n) => backoffDelay(n, 1000, 30000)).should.eql([1000, 2000, 30000, 30000]);
  });

  it('starts a result with the fields all its outcomes share', function () {
    const { sent, result } = startResult(
      'plex',
      'Attic',
      { libraryPath: '/m/A/', playerPath: '/p/A/', isFile: false },
      'scan',
      { mode: 'path' },
    );
    sent.push({ method: 'GET /x', params: {} });
    result({ status: 'verified', ok: true }).should.match({
      status: 'verified',
      ok: true,
      action: 'scan',
      player: 'Attic',
      playerType: 'plex',
      libraryPath: '/m/A/',
      playerPath: '/p/A/',
      mode: 'path',
      items: [],
      sent: [{ method: 'GET /x' }],
      tookMs: (n) => n >= 0,
    });
  });
});
