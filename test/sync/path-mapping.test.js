'use strict';
require('should');
const { PathMapper, PathMappingError, mapperFromSettings } = require('../../nodes/sync/path-mapping');
const { PathError, folderOf } = require('../../nodes/core/paths');

const docker = [
  { from: '/data/media/movies', to: '/movies' },
  { from: '/data/media/tv', to: '/tv' },
];
const smb = [
  { from: '/mnt/nas/movies', to: 'smb://nas/movies' },
  { from: '/mnt/nas/movies/4k', to: 'smb://nas4k/uhd/' },
];
const windows = [
  { from: '/data/movies', to: 'D:\\Movies' },
  { from: '/data/tv', to: '\\\\NAS\\TV' },
];
const nfs = [{ from: '/srv/media', to: 'nfs://10.0.0.5/export/media' }];

// [description, rules, options, direction, input, expected]
const cases = [
  [
    'Docker: movie file',
    docker,
    {},
    'forward',
    '/data/media/movies/Film (2020)/Film.mkv',
    '/movies/Film (2020)/Film.mkv',
  ],
  ['Docker: folder keeps its trailing slash', docker, {}, 'forward', '/data/media/tv/Show/', '/tv/Show/'],
  ['Docker: the rule root itself', docker, {}, 'forward', '/data/media/movies', '/movies'],
  [
    'Docker: trailing "add"',
    docker,
    { trailing: 'add' },
    'forward',
    '/data/media/movies/Film',
    '/movies/Film/',
  ],
  [
    'Docker: trailing "remove"',
    docker,
    { trailing: 'remove' },
    'forward',
    '/data/media/movies/Film/',
    '/movies/Film',
  ],
  [
    'prefix boundary: movies2 is not movies',
    docker,
    {},
    'forward',
    '/data/media/movies2/X',
    '/data/media/movies2/X',
  ],
  ['prefix boundary: moviesX file', docker, {}, 'forward', '/data/media/moviesX', '/data/media/moviesX'],
  [
    'SMB: slashes and double slash kept',
    smb,
    {},
    'forward',
    '/mnt/nas/movies/Film/Film.mkv',
    'smb://nas/movies/Film/Film.mkv',
  ],
  [
    'SMB: longest prefix wins over the earlier rule',
    smb,
    {},
    'forward',
    '/mnt/nas/movies/4k/Film/',
    'smb://nas4k/uhd/Film/',
  ],
  ['SMB: reverse mapping', smb, {}, 'reverse', 'smb://nas/movies/Film/', '/mnt/nas/movies/Film/'],
  ['SMB: reverse is case-insensitive', smb, {}, 'reverse', 'SMB://NAS/Movies/Film/', '/mnt/nas/movies/Film/'],
  ['NFS: slashes', nfs, {}, 'forward', '/srv/media/tv/Show/S01/', 'nfs://10.0.0.5/export/media/tv/Show/S01/'],
  ['NFS: reverse', nfs, {}, 'reverse', 'nfs://10.0.0.5/export/media/film.mkv', '/srv/media/film.mkv'],
  [
    'Windows drive: backslashes',
    windows,
    {},
    'forward',
    '/data/movies/Film (2020)/Film.mkv',
    'D:\\Movies\\Film (2020)\\Film.mkv',
  ],
  [
    'Windows drive: trailing separator is a backslash',
    windows,
    { trailing: 'add' },
    'forward',
    '/data/movies/Film',
    'D:\\Movies\\Film\\',
  ],
  ['UNC: backslashes', windows, {}, 'forward', '/data/tv/Show/Season 01/', '\\\\NAS\\TV\\Show\\Season 01\\'],
  ['UNC: reverse, case-insensitive', windows, {}, 'reverse', '\\\\nas\\tv\\Show\\', '/data/tv/Show/'],
  [
    'Windows drive: reverse, case-insensitive, forward slashes accepted',
    windows,
    {},
    'reverse',
    'd:/movies/Film/',
    '/data/movies/Film/',
  ],
  ['POSIX target is case-sensitive', docker, {}, 'reverse', '/Movies/Film/', '/Movies/Film/'],
  [
    'spaces and non-ASCII names',
    docker,
    {},
    'forward',
    '/data/media/movies/Amélie (2001) 東京/Amélie.mkv',
    '/movies/Amélie (2001) 東京/Amélie.mkv',
  ],
  [
    'non-ASCII in the rule',
    [{ from: '/médias/films', to: 'smb://nas/Filmé' }],
    {},
    'forward',
    '/médias/films/À bout/',
    'smb://nas/Filmé/À bout/',
  ],
  ['double slashes collapse', docker, {}, 'forward', '/data/media//movies/Film/', '/movies/Film/'],
  ['"." segments are dropped', docker, {}, 'forward', '/data/media/./movies/Film', '/movies/Film'],
  ['no match passes unchanged', docker, {}, 'forward', '/other/place/x.mkv', '/other/place/x.mkv'],
  [
    'no match, trailing "add" only adds a separator',
    docker,
    { trailing: 'add' },
    'forward',
    '/other/place',
    '/other/place/',
  ],
  [
    'no match on Windows input keeps its form',
    docker,
    { trailing: 'add' },
    'forward',
    'C:\\Other',
    'C:\\Other\\',
  ],
  [
    'Windows library side (Radarr on Windows) to POSIX player',
    [{ from: 'C:\\Media\\Movies', to: '/movies' }],
    {},
    'forward',
    'c:\\media\\MOVIES\\Film\\Film.mkv',
    '/movies/Film/Film.mkv',
  ],
  [
    'UNC library side to smb player',
    [{ from: '\\\\nas\\media', to: 'smb://nas/media' }],
    {},
    'forward',
    '\\\\NAS\\Media\\tv\\Show\\',
    'smb://nas/media/tv/Show/',
  ],
  ['root rule', [{ from: '/', to: '/mnt/' }], {}, 'forward', '/movies/Film/', '/mnt/movies/Film/'],
  ['reverse: longest "to" wins', smb, {}, 'reverse', 'smb://nas4k/uhd/Film/', '/mnt/nas/movies/4k/Film/'],
  [
    'tie: the earlier rule wins in reverse',
    [
      { from: '/a', to: '/p' },
      { from: '/b', to: '/p' },
    ],
    {},
    'reverse',
    '/p/x',
    '/a/x',
  ],
  ['identity rule', [{ from: '/movies', to: '/movies' }], {}, 'forward', '/movies/Film/', '/movies/Film/'],
];

describe('path mapping', function () {
  for (const [what, rules, options, direction, input, expected] of cases) {
    it(`${what}: ${input} → ${expected}`, function () {
      const mapper = new PathMapper(rules, options);
      const result = direction === 'forward' ? mapper.toPlayer(input) : mapper.toLibrary(input);
      result.path.should.equal(expected);
    });
  }

  it('has at least 30 table cases', function () {
    cases.length.should.be.aboveOrEqual(30);
  });

  it('says which rule matched, or that none did', function () {
    const mapper = new PathMapper(smb);
    mapper.toPlayer('/mnt/nas/movies/4k/x').should.match({ matched: true, rule: 1 });
    mapper.toPlayer('/elsewhere/x').should.match({ matched: false, rule: -1 });
  });

  const rejected = [
    ['a relative path', docker, 'movies/Film', /relative/],
    ['a ".." segment', docker, '/data/media/movies/../../etc/passwd', /"\.\."/],
    ['an empty path', docker, '', /empty/],
    ['a drive-relative path', docker, 'C:movies', /relative/],
  ];
  for (const [what, rules, input, message] of rejected) {
    it(`rejects ${what} with a clear error`, function () {
      const mapper = new PathMapper(rules);
      (() => mapper.toPlayer(input)).should.throw(PathError, { message });
    });
  }

  it('"mapping required" turns no match into an error that names the rules and the fix', function () {
    const mapper = new PathMapper(docker, { required: true });
    (() => mapper.toPlayer('/other/x')).should.throw(
      /no mapping rule matches "\/other\/x".*"\/data\/media\/movies".*untick/,
    );
  });

  const badRules = [
    ['a rule without "from"', [{ from: '', to: '/movies' }], /rule 1 has no "from"/],
    ['a rule without "to"', [{ from: '/a', to: ' ' }], /rule 1 \("\/a"\) has no "to"/],
    ['a relative rule', [{ from: '/a', to: 'movies' }], /rule 1: path "movies" is relative/],
    ['a ".." in a rule', [{ from: '/a/../b', to: '/b' }], /rule 1: .*"\.\."/],
    [
      'the same "from" twice',
      [
        { from: '/a', to: '/b' },
        { from: '/a/', to: '/c' },
      ],
      /rules 1 and 2 both map "\/a"/,
    ],
    [
      'a mapping loop',
      [
        { from: '/a', to: '/b' },
        { from: '/b', to: '/a' },
      ],
      /mapping loop: \/a → \/b → \/a/,
    ],
    [
      'a longer loop',
      [
        { from: '/a', to: '/b' },
        { from: '/b', to: '/c' },
        { from: '/c', to: '/a' },
      ],
      /mapping loop/,
    ],
  ];
  for (const [what, rules, message] of badRules) {
    it(`refuses ${what}`, function () {
      (() => new PathMapper(rules)).should.throw(PathMappingError, { message });
    });
  }

  it('allows a chain that is not a loop', function () {
    new PathMapper([
      { from: '/a', to: '/b' },
      { from: '/b', to: '/c' },
    ])
      .toPlayer('/a/x')
      .path.should.equal('/b/x');
  });

  it('builds from untrusted settings with defaults', function () {
    const mapper = mapperFromSettings({ rules: docker, trailing: 'bogus' });
    mapper.options.should.eql({ trailing: 'keep', required: false });
    mapperFromSettings({}).size.should.equal(0);
  });

  it("finds the folder of a file, in the path's own style", function () {
    folderOf('/movies/Film/Film.mkv').should.equal('/movies/Film/');
    folderOf('/movies/Film/').should.equal('/movies/Film/');
    folderOf('D:\\Movies\\Film\\Film.mkv').should.equal('D:\\Movies\\Film\\');
    folderOf('smb://nas/movies/Film/Film.mkv').should.equal('smb://nas/movies/Film/');
  });
});
