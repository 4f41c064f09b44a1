'use strict';
// Radarr and Sonarr webhook bodies (../shared/reference/webhooks.md) → change items, through a real flow.
require('should');
const { helper, nodes, run, withOutputs } = require('../lib/nodes');
const bodies = require('../fixtures/arr-bodies.json');
const { arrToChanges, ArrEventError } = require('../../nodes/sync/arr-event');
const { plainItem } = require('../../nodes/core/change');

const radarr = bodies['radarr-download'];
const sonarr = bodies['sonarr-download'];
const clone = (o, extra = {}) => ({ ...JSON.parse(JSON.stringify(o)), ...extra });

describe('arr-event', function () {
  before(function (done) {
    helper.startServer(done);
  });
  after(function (done) {
    helper.stopServer(done);
  });
  beforeEach(async function () {
    await helper.load(
      [nodes.arrEvent],
      [
        { id: 'tab', type: 'tab' },
        ...withOutputs({ id: 'arr', type: 'arr-event', z: 'tab' }, 1),
        ...withOutputs({ id: 'each', type: 'arr-event', z: 'tab', output: 'split' }, 1),
        { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
      ],
    );
  });
  afterEach(async function () {
    await helper.unload();
  });

  const items = async (payload) => {
    const out = await run('arr', { payload });
    (out.error === undefined).should.be.true(out.error && out.error.message);
    return out.msg.payload;
  };

  it('Radarr Download → the movie folder, added, with ids, title and year', async function () {
    (await items(radarr)).should.eql([
      {
        source: 'Radarr',
        event: 'Download',
        type: 'movie',
        ids: { imdb: 'tt1375666', tmdb: 27205 },
        title: 'Inception',
        year: 2010,
        path: '/movies/Inception (2010)/',
        file: '/movies/Inception (2010)/Inception (2010).mkv',
        action: 'added',
      },
    ]);
  });

  it('an upgrade is an update', async function () {
    (
      await items(clone(radarr, { isUpgrade: true, deletedFiles: [{ path: radarr.movieFile.path }] }))
    )[0].action.should.equal('updated');
  });

  it('Sonarr Download → the season folder, with season and episode', async function () {
    (await items(sonarr)).should.match([
      {
        type: 'episode',
        path: '/tv/Severance/Season 01/',
        action: 'added',
        season: 1,
        episode: 1,
        ids: { tvdb: 371980, imdb: 'tt11280740' },
        title: 'Severance',
      },
    ]);
  });

  it('Sonarr "Import Complete" (episodeFiles[]) → one item per folder', async function () {
    const body = clone(sonarr, {
      episodeFiles: [
        { path: '/tv/Severance/Season 01/S01E01.mkv' },
        { path: '/tv/Severance/Season 01/S01E02.mkv' },
        { path: '/tv/Severance/Season 02/S02E01.mkv' },
      ],
      destinationPath: '/tv/Severance',
    });
    delete body.episodeFile;
    (await items(body))
      .map((i) => i.path)
      .should.eql(['/tv/Severance/Season 01/', '/tv/Severance/Season 02/']);
  });

  it('Rename within a folder is one update; a move to another folder also removes the old one', async function () {
    const same = {
      eventType: 'Rename',
      instanceName: 'Radarr',
      movie: radarr.movie,
      renamedMovieFiles: [
        {
          previousPath: '/movies/Inception (2010)/old.mkv',
          path: '/movies/Inception (2010)/Inception (2010).mkv',
        },
      ],
    };
    (await items(same)).map((i) => [i.action, i.path]).should.eql([['updated', '/movies/Inception (2010)/']]);
    const moved = {
      ...same,
      renamedMovieFiles: [
        { previousPath: '/movies/Inception/old.mkv', path: '/movies/Inception (2010)/Inception (2010).mkv' },
      ],
    };
    (await items(moved))
      .map((i) => [i.action, i.path])
      .should.eql([
        ['updated', '/movies/Inception (2010)/'],
        ['removed', '/movies/Inception/'],
      ]);
    const sonarrRename = {
      eventType: 'Rename',
      instanceName: 'Sonarr',
      series: sonarr.series,
      renamedEpisodeFiles: [
        { previousPath: '/tv/Severance/Season 01/a.mkv', path: '/tv/Severance/Season 01/b.mkv' },
      ],
    };
    (await items(sonarrRename)).should.match([
      { action: 'updated', type: 'episode', path: '/tv/Severance/Season 01/' },
    ]);
  });

  it('deletes: MovieDelete, SeriesDelete, MovieFileDelete, EpisodeFileDelete', async function () {
    (await items({ eventType: 'MovieDelete', movie: radarr.movie, deletedFiles: true })).should.match([
      { action: 'removed', type: 'movie', path: '/movies/Inception (2010)/' },
    ]);
    (await items({ eventType: 'SeriesDelete', series: sonarr.series, deletedFiles: false })).should.match([
      { action: 'removed', type: 'tvshow', path: '/tv/Severance/' },
    ]);
    (
      await items({
        eventType: 'MovieFileDelete',
        movie: radarr.movie,
        movieFile: radarr.movieFile,
        deleteReason: 'manual',
      })
    ).should.match([{ action: 'removed', file: '/movies/Inception (2010)/Inception (2010).mkv' }]);
    (
      await items({
        eventType: 'MovieFileDelete',
        movie: radarr.movie,
        movieFile: radarr.movieFile,
        deleteReason: 'upgrade',
      })
    )[0].action.should.equal('updated');
    (
      await items({
        eventType: 'EpisodeFileDelete',
        series: sonarr.series,
        episodes: sonarr.episodes,
        episodeFile: sonarr.episodeFile,
        deleteReason: 'missingFromDisk',
      })
    ).should.match([
      { action: 'removed', type: 'episode', file: sonarr.episodeFile.path, path: '/tv/Severance/Season 01/' },
    ]);
  });

  it('Windows paths from an *arr on Windows keep their style', async function () {
    const body = clone(radarr);
    body.movieFile.path = 'D:\\Movies\\Inception (2010)\\Inception (2010).mkv';
    (await items(body))[0].path.should.equal('D:\\Movies\\Inception (2010)\\');
  });

  it('the Test event gives a "test" result, so the app\'s Test button succeeds', async function () {
    const out = await items({
      eventType: 'Test',
      instanceName: 'Radarr',
      movie: { folderPath: 'C:\\testpath' },
    });
    out.should.match({ result: 'test', eventType: 'Test', source: 'Radarr' });
  });

  it('events that touch no files are ignored, not errors', async function () {
    for (const eventType of [
      'Grab',
      'Health',
      'HealthRestored',
      'ApplicationUpdate',
      'MovieAdded',
      'SeriesAdd',
      'ManualInteractionRequired',
    ]) {
      (await items({ eventType, instanceName: 'Radarr' })).should.match({ result: 'ignored', eventType });
    }
  });

  it('a body that arrives as a JSON string is parsed', async function () {
    (await items(JSON.stringify(radarr)))[0].path.should.equal('/movies/Inception (2010)/');
  });

  it('plain {path, action} items pass through validated', async function () {
    (await items({ path: '/movies/X (2000)/', action: 'updated' })).should.match([
      { path: '/movies/X (2000)/', action: 'updated', ids: {} },
    ]);
    (await items([{ path: '/a/' }, { path: '/b/', action: 'removed', type: 'movie' }]))
      .map((i) => i.action)
      .should.eql(['added', 'removed']);
  });

  const bad = [
    [
      'an unknown event type',
      { eventType: 'Explode', instanceName: 'Radarr' },
      /unknown event type "Explode"/,
    ],
    [
      'a Download without paths',
      { eventType: 'Download', instanceName: 'Sonarr', series: {} },
      /Download from Sonarr has no file or folder path/,
    ],
    ['text that is not JSON', 'hello there', /the body is text but not JSON \(starts with "hello there"\)/],
    ['a plain item without a path', { action: 'added' }, /has no "path"/],
    ['a relative path', { path: 'movies/x' }, /is relative/],
    ['an unknown action', { path: '/x/', action: 'moved' }, /action "moved": use added, updated, removed/],
  ];
  for (const [what, payload, message] of bad) {
    it(`${what} is a clear error, and the next good body works`, async function () {
      const out = await run('arr', { payload });
      out.error.message.should.match(message);
      out.error.message.should.match(/^Error: arr-event: /);
      (await items(radarr)).should.have.length(1);
    });
  }

  // Hostile and odd bodies: each must end in an ArrEventError naming the field, and the node must keep working.
  const sonarrWith = (extra, drop = []) => {
    const body = clone(sonarr, extra);
    for (const key of drop) delete body[key];
    return body;
  };
  const radarrWith = (extra, drop = []) => {
    const body = clone(radarr, extra);
    for (const key of drop) delete body[key];
    return body;
  };
  const renameOf = (app, files) =>
    app === 'Radarr'
      ? { eventType: 'Rename', instanceName: 'Radarr', movie: radarr.movie, renamedMovieFiles: files }
      : { eventType: 'Rename', instanceName: 'Sonarr', series: sonarr.series, renamedEpisodeFiles: files };
  const throwingGetter = {
    get path() {
      throw new TypeError("Cannot read properties of undefined (reading 'x')");
    },
  };
  const hostile = [
    // 1. lists that are not lists, elements that are not objects, objects that are not objects
    [
      '"episodes" as an object',
      sonarrWith({ episodes: { 0: {} } }),
      /"episodes" must be a list, not an object/,
    ],
    [
      '"episodeFiles" as a string',
      sonarrWith({ episodeFiles: '/tv/x.mkv' }),
      /"episodeFiles" must be a list/,
    ],
    ['"episodeFiles" as a number', sonarrWith({ episodeFiles: 3 }), /"episodeFiles" must be a list, not 3/],
    ['"episodeFiles" as null', sonarrWith({ episodeFiles: null }), /"episodeFiles" must be a list, not null/],
    [
      '"renamedMovieFiles" as an object',
      renameOf('Radarr', { path: '/movies/x.mkv' }),
      /"renamedMovieFiles" must be a list.*send \[/,
    ],
    [
      '"renamedEpisodeFiles" as a string',
      renameOf('Sonarr', 'a.mkv'),
      /"renamedEpisodeFiles" must be a list/,
    ],
    [
      'an "episodeFiles" element that is a number',
      sonarrWith({
        episodeFiles: [{ path: '/tv/S/Season 01/a.mkv' }, { path: '/tv/S/Season 01/b.mkv' }, 42],
      }),
      /"episodeFiles\[2\]" must be an object .*not 42/,
    ],
    [
      'an "episodes" element that is null',
      sonarrWith({ episodes: [null] }),
      /"episodes\[0\]" must be an object/,
    ],
    [
      'a "renamedMovieFiles" element that is a string',
      renameOf('Radarr', [{ path: '/movies/a/b.mkv' }, 'b.mkv']),
      /"renamedMovieFiles\[1\]" must be an object/,
    ],
    ['"movie" as a string', radarrWith({ movie: 'Inception' }), /"movie" must be an object such as \{/],
    ['"series" as a list', sonarrWith({ series: [] }), /"series" must be an object .*not a list/],
    ['"movieFile" as a number', radarrWith({ movieFile: 5 }), /"movieFile" must be an object/],
    [
      '"episodeFile" as true',
      sonarrWith({ episodeFile: true }),
      /"episodeFile" must be an object .*not true/,
    ],
    ['"episodes" with 1001 entries', sonarrWith({ episodes: Array(1001).fill({}) }), /"episodes" has 1001/],
    // 2. relativePath that is absolute or climbs out; paths of the wrong type
    [
      'an absolute "episodeFile.relativePath"',
      sonarrWith({ episodeFile: { relativePath: '/etc/passwd' } }),
      /"episodeFile.relativePath" "\/etc\/passwd" is absolute: send a path relative to "series.path"/,
    ],
    [
      'a ".." in "movieFile.relativePath"',
      radarrWith({ movieFile: { relativePath: '../../etc/x.mkv' } }),
      /"movieFile.relativePath" .* contains a "\.\." segment: send a path inside "movie.folderPath"/,
    ],
    [
      'a Windows-absolute "episodeFiles[1].relativePath"',
      sonarrWith(
        { episodeFiles: [{ relativePath: 'Season 01/a.mkv' }, { relativePath: 'C:\\Windows\\x.mkv' }] },
        ['episodeFile'],
      ),
      /"episodeFiles\[1\].relativePath" .* is absolute/,
    ],
    [
      'a backslash ".." in "episodeFile.relativePath" of an EpisodeFileDelete',
      {
        eventType: 'EpisodeFileDelete',
        series: sonarr.series,
        episodeFile: { relativePath: 'Season 01\\..\\..\\x.mkv' },
      },
      /"episodeFile.relativePath" .* contains a "\.\." segment/,
    ],
    [
      'a line break in "movieFile.relativePath"',
      radarrWith({ movieFile: { relativePath: 'a\nb.mkv' } }),
      /"movieFile.relativePath" contains a control character/,
    ],
    [
      'a "movieFile.relativePath" that is a number',
      radarrWith({ movieFile: { relativePath: 7 } }),
      /"movieFile.relativePath" must be a string, not 7/,
    ],
    [
      'a "movieFile.path" that is a number',
      radarrWith({ movieFile: { path: 12 } }),
      /"movieFile.path" must be a string/,
    ],
    // 3. control characters and lengths in paths from bodies
    [
      'a NUL in "movieFile.path"',
      radarrWith({ movieFile: { path: '/movies/Inception (2010)/x\u0000.mkv' } }),
      /"movieFile.path" contains a control character \(NUL or a line break\): no player can hold such a path/,
    ],
    [
      'a line break in "episodeFile.path"',
      sonarrWith({ episodeFile: { path: '/tv/Severance/Season 01/a\n.mkv' } }),
      /"episodeFile.path" contains a control character/,
    ],
    [
      'a DEL in "renamedEpisodeFiles[0].previousPath"',
      renameOf('Sonarr', [{ previousPath: '/tv/S/Season 01/a\u007f.mkv', path: '/tv/S/Season 01/b.mkv' }]),
      /"renamedEpisodeFiles\[0\].previousPath" contains a control character/,
    ],
    [
      'a "series.path" of 5000 characters',
      { eventType: 'SeriesDelete', series: { path: '/' + 'x'.repeat(4999) } },
      /"series.path" is 5000 characters long: send a path of at most 4096/,
    ],
    [
      'a relative "movie.folderPath"',
      { eventType: 'MovieDelete', movie: { folderPath: 'movies/Inception' } },
      /"movie.folderPath": path "movies\/Inception" is relative/,
    ],
    // 3. plain items: known fields type-checked and bounded
    [
      'a plain "year" that is text',
      [{ path: '/a/' }, { path: '/b/', year: 'abc' }],
      /item 2 has "year" "abc": give a number/,
    ],
    [
      'a plain "title" that is a number',
      { path: '/a/', title: 42 },
      /the item has "title" 42: give a string/,
    ],
    [
      'a plain "season" that is text',
      { path: '/a/', season: '1' },
      /the item has "season" "1": give a number/,
    ],
    [
      'a plain "episode" that is NaN',
      { path: '/a/', episode: NaN },
      /the item has "episode" NaN: give a number/,
    ],
    [
      'plain "episodes" that is not a list',
      { path: '/a/', episodes: '1,2' },
      /"episodes" "1,2": give a list/,
    ],
    ['a plain "episodes" entry that is text', { path: '/a/', episodes: [1, 'two'] }, /"episodes\[1\]" "two"/],
    ['plain "episodes" of 1001 entries', { path: '/a/', episodes: Array(1001).fill(1) }, /1001 "episodes"/],
    [
      'a plain "ids" that is text',
      { path: '/a/', ids: 'tt1375666' },
      /the item has "ids" "tt1375666": give an object/,
    ],
    ['a plain "path" that is a number', { path: 12 }, /the item has "path" 12: give the library path/],
    [
      'a plain "path" of 4097 characters',
      { path: '/' + 'p'.repeat(4096) },
      /"path" of 4097 characters: give at most 4096/,
    ],
    [
      'a plain "file" of 5000 characters',
      { path: '/a/', file: '/' + 'f'.repeat(4999) },
      /"file" of 5000 characters/,
    ],
    [
      'a plain "title" of 1001 characters',
      { path: '/a/', title: 't'.repeat(1001) },
      /"title" of 1001 characters: give at most 1000/,
    ],
    [
      'a plain "source" of 1001 characters',
      { path: '/a/', source: 's'.repeat(1001) },
      /"source" of 1001 characters/,
    ],
    [
      'a plain "event" that is an object',
      { path: '/a/', event: {} },
      /the item has "event" an object: give a string/,
    ],
    [
      'a NUL in a plain "path"',
      { path: '/movies/a\u0000b/' },
      /the item has a "path" that contains a control character \(NUL or a line break\): no player can hold such a path/,
    ],
    [
      'a line break in a plain "file"',
      { path: '/a/', file: '/a/b\r\n.mkv' },
      /"file" that contains a control character/,
    ],
    ['a relative plain "file"', { path: '/a/', file: 'b.mkv' }, /the item "file": path "b.mkv" is relative/],
    [
      'a hole in a list of plain items',
      Object.assign(new Array(2), { 1: { path: '/a/' } }),
      /item 1 is not an object with a path \(it is nothing\)/,
    ],
    // Node-RED itself cannot clone such a message for a Catch node, so this one is checked on the module only.
    [
      'a getter that throws',
      throwingGetter,
      /the item could not be read \(Cannot read properties.*\): send plain JSON/,
      { moduleOnly: true },
    ],
    ['binary data', Buffer.from('{"path":"/a/"}'), /the body is binary data \(a Buffer\)/],
    [
      '"movie" as binary data',
      radarrWith({ movie: Buffer.from('{}') }),
      /"movie" must be an object .*not binary data/,
    ],
    ['a body of blanks', ' \n ', /the body is empty text: send the webhook's JSON body/],
    // 4. text that is not JSON: a short echo, without its control characters
    ['text with control characters', 'oops\u0000\r\nnot json', /not JSON \(starts with "oops not json"\)/],
    [
      'an eventType of 100 kB',
      { eventType: 'X'.repeat(100000) },
      /unknown event type "X{40}…": arr-event understands/,
    ],
  ];
  for (const [what, payload, message, { moduleOnly = false } = {}] of hostile) {
    it(`hostile: ${what} is an ArrEventError naming the field, and the next good body works`, async function () {
      let thrown;
      try {
        arrToChanges(payload);
      } catch (err) {
        thrown = err;
      }
      (thrown instanceof ArrEventError).should.be.true(`not an ArrEventError: ${thrown}`);
      thrown.message.should.match(message);
      thrown.message.should.not.match(/[\u0000-\u001f\u007f]/); // eslint-disable-line no-control-regex
      thrown.message.length.should.be.below(400);
      if (moduleOnly) return;
      const out = await run('arr', { payload });
      out.error.message.should.match(message);
      out.error.message.should.match(/^Error: arr-event: /);
      (await items(radarr)).should.have.length(1);
      (await items(sonarr))[0].path.should.equal('/tv/Severance/Season 01/');
    });
  }

  it('Sonarr: a file with only "relativePath" is built on "series.path", in its separator style', async function () {
    const built = async (seriesPath, relativePath, eventType = 'Download') =>
      (
        await items({
          eventType,
          instanceName: 'Sonarr',
          series: { ...sonarr.series, path: seriesPath },
          episodes: sonarr.episodes,
          episodeFile: { relativePath },
        })
      )[0];
    (await built('/tv/Severance', 'Season 01/S01E01.mkv')).should.match({
      file: '/tv/Severance/Season 01/S01E01.mkv',
      path: '/tv/Severance/Season 01/',
      season: 1,
      episode: 1,
    });
    // no doubled separator; a relativePath with backslashes follows the base's slashes
    (await built('/tv/Severance/', 'Season 01\\S01E01.mkv')).file.should.equal(
      '/tv/Severance/Season 01/S01E01.mkv',
    );
    (await built('D:\\TV\\Severance\\', 'Season 01/S01E01.mkv')).should.match({
      file: 'D:\\TV\\Severance\\Season 01\\S01E01.mkv',
      path: 'D:\\TV\\Severance\\Season 01\\',
    });
    (await built('\\\\nas\\tv\\Severance', 'Season 01\\S01E01.mkv')).file.should.equal(
      '\\\\nas\\tv\\Severance\\Season 01\\S01E01.mkv',
    );
    (await built('/tv/Severance', './Season 01//S01E01.mkv', 'EpisodeFileDelete')).should.match({
      action: 'removed',
      file: '/tv/Severance/Season 01/S01E01.mkv',
    });
    // "path", when there, wins over "relativePath"
    (
      await items({ ...sonarr, episodeFile: { path: '/tv/Other/S01E01.mkv', relativePath: '../x' } })
    )[0].file.should.equal('/tv/Other/S01E01.mkv');
    // Import Complete: episodeFiles[] that carry only relativePath
    const body = sonarrWith(
      {
        episodeFiles: [
          { relativePath: 'Season 01/S01E01.mkv' },
          { path: '/tv/Severance/Season 01/S01E02.mkv' },
          { relativePath: 'Season 02\\S02E01.mkv' },
        ],
      },
      ['episodeFile'],
    );
    (await items(body))
      .map((i) => i.path)
      .should.eql(['/tv/Severance/Season 01/', '/tv/Severance/Season 02/']);
  });

  it('Radarr: a file with only "relativePath" is built on "movie.folderPath" (Download and MovieFileDelete)', async function () {
    (await items(radarrWith({ movieFile: { relativePath: 'Inception (2010).mkv' } }))).should.eql([
      {
        source: 'Radarr',
        event: 'Download',
        type: 'movie',
        ids: { imdb: 'tt1375666', tmdb: 27205 },
        title: 'Inception',
        year: 2010,
        path: '/movies/Inception (2010)/',
        file: '/movies/Inception (2010)/Inception (2010).mkv',
        action: 'added',
      },
    ]);
    (
      await items({
        eventType: 'MovieFileDelete',
        movie: { ...radarr.movie, folderPath: 'C:\\Movies\\Inception (2010)' },
        movieFile: { relativePath: 'Extras/Inception (2010).mkv' },
        deleteReason: 'manual',
      })
    ).should.match([
      {
        action: 'removed',
        file: 'C:\\Movies\\Inception (2010)\\Extras\\Inception (2010).mkv',
        path: 'C:\\Movies\\Inception (2010)\\Extras\\',
      },
    ]);
    // without a folder to build on, the movie folder itself is the change
    (await items(radarrWith({ movieFile: {} })))[0].should.match({ path: '/movies/Inception (2010)/' });
  });

  it('metadata of the wrong type is left out, not copied and not an error', async function () {
    const [movie] = await items(
      radarrWith({
        movie: { ...radarr.movie, title: 5, year: '2010', tmdbId: '27205', imdbId: 1375666 },
        isUpgrade: 'true',
        instanceName: { name: 'Radarr' },
      }),
    );
    movie.should.eql({
      event: 'Download',
      type: 'movie',
      ids: {},
      path: '/movies/Inception (2010)/',
      file: '/movies/Inception (2010)/Inception (2010).mkv',
      action: 'added',
    });
    const [episode] = await items(
      sonarrWith({
        series: { ...sonarr.series, tvdbId: 'x', imdbId: ['tt1'], year: NaN },
        episodes: [{ seasonNumber: '1', episodeNumber: 'one' }, { episodeNumber: 2 }],
        isUpgrade: 1,
      }),
    );
    episode.should.eql({
      source: 'Sonarr',
      event: 'Download',
      type: 'episode',
      ids: {},
      title: 'Severance',
      episode: 2,
      episodes: [2],
      path: '/tv/Severance/Season 01/',
      file: sonarr.episodeFile.path,
      action: 'added',
    });
  });

  it('plainItem keeps known fields only: circular, BigInt and Buffer values under other keys are dropped', async function () {
    const circular = { name: 'loop' };
    circular.self = circular;
    const payload = {
      path: '/movies/X (2000)/',
      action: 'updated',
      type: 'movie',
      title: 'X',
      year: 2000,
      ids: { imdb: 'tt0000001', tmdb: 'not a number', tvdb: 7, other: 10n },
      circular,
      big: 10n,
      buffer: Buffer.alloc(1024),
      toJSON: () => 'hijacked',
      __proto__: { inherited: true },
    };
    const expected = {
      path: '/movies/X (2000)/',
      action: 'updated',
      type: 'movie',
      title: 'X',
      year: 2000,
      ids: { imdb: 'tt0000001', tvdb: 7 },
    };
    for (const item of [plainItem(payload, 'msg.payload'), (await items(payload))[0]]) {
      item.should.eql(expected);
      for (const key of ['circular', 'big', 'buffer', 'toJSON', 'inherited'])
        item.should.not.have.property(key);
      JSON.parse(JSON.stringify(item)).should.eql(expected);
    }
    // null counts as absent; every known field comes through
    plainItem(
      {
        path: '/tv/S/Season 01/',
        file: '/tv/S/Season 01/a.mkv',
        action: null,
        type: 'episode',
        ids: null,
        title: null,
        season: 1,
        episode: 2,
        episodes: [2, 3],
        source: 'Sonarr',
        event: 'Download',
      },
      'x',
    ).should.eql({
      path: '/tv/S/Season 01/',
      file: '/tv/S/Season 01/a.mkv',
      action: 'added',
      type: 'episode',
      ids: {},
      season: 1,
      episode: 2,
      episodes: [2, 3],
      source: 'Sonarr',
      event: 'Download',
    });
  });

  it('the echo of a body that is not JSON is short and holds no control characters', function () {
    let thrown;
    try {
      arrToChanges('\u0007bell\u0000 and NUL\n' + 'x'.repeat(1000));
    } catch (err) {
      thrown = err;
    }
    thrown.should.be.instanceOf(ArrEventError);
    thrown.message.should.match(/^the body is text but not JSON \(starts with "bell and NUL x{17}"\)/);
  });

  it('"one message per change item" sends each item on its own', async function () {
    const body = clone(sonarr, {
      episodeFiles: [{ path: '/tv/S/Season 01/a.mkv' }, { path: '/tv/S/Season 02/b.mkv' }],
    });
    delete body.episodeFile;
    const seen = [];
    const got = new Promise((resolve) => {
      helper.getNode('each-1').on('input', (m) => {
        seen.push(m.payload.path);
        if (seen.length === 2) resolve();
      });
    });
    helper.getNode('each').receive({ payload: body });
    await got;
    seen.should.eql(['/tv/S/Season 01/', '/tv/S/Season 02/']);
  });
});
