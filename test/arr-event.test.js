'use strict';
// Radarr and Sonarr webhook bodies (../shared/reference/webhooks.md) → change items, through a real flow.
require('should');
const { helper, nodes, run, withOutputs } = require('./lib/nodes');
const bodies = require('./fixtures/arr-bodies.json');

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
