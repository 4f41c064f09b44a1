'use strict';
// Radarr and Sonarr webhook bodies → change items, without Node-RED: what a user of Radarr/Sonarr expects each
// event to change in the library (../shared/reference/webhooks.md). The fixture holds real Download bodies; the
// other events are built from them the way the senders build theirs (same movie, series and files).
require('should');
const bodies = require('../fixtures/arr-bodies.json');
const { arrToChanges } = require('../../nodes/sync/arr-event');
const { plainItem } = require('../../nodes/core/change');

const copy = (o) => JSON.parse(JSON.stringify(o));
const radarr = bodies['radarr-download'];
const sonarr = bodies['sonarr-download'];

const inception = {
  source: 'Radarr',
  type: 'movie',
  ids: { imdb: 'tt1375666', tmdb: 27205 },
  title: 'Inception',
  year: 2010,
};
const severance = {
  source: 'Sonarr',
  type: 'episode',
  ids: { imdb: 'tt11280740', tvdb: 371980 },
  title: 'Severance',
};

/** The items of a body that changes files; fails with the outcome when the body gave none. */
function itemsOf(body) {
  const outcome = arrToChanges(body);
  outcome.result.should.equal('changes', JSON.stringify(outcome));
  return outcome.items;
}

/** What a user reads off an item first: what happens, to which folder, which file, what kind of item. */
const summary = (items) => items.map((i) => [i.action, i.path, i.file, i.type]);

describe('arr webhook bodies → change items (no Node-RED)', function () {
  // Every body of the fixture file, with what a user expects from it.
  const expected = {
    'radarr-download': [
      {
        ...inception,
        event: 'Download',
        path: '/movies/Inception (2010)/',
        file: '/movies/Inception (2010)/Inception (2010).mkv',
        action: 'added',
      },
    ],
    'sonarr-download': [
      {
        ...severance,
        event: 'Download',
        season: 1,
        episode: 1,
        episodes: [1],
        path: '/tv/Severance/Season 01/',
        file: '/tv/Severance/Season 01/Severance - S01E01 - Good News About Hell.mkv',
        action: 'added',
      },
    ],
  };

  it('every fixture body has an expectation here', function () {
    Object.keys(bodies).sort().should.eql(Object.keys(expected).sort());
  });

  for (const [name, items] of Object.entries(expected)) {
    it(`${name}: the folder of the new file is added, with the file and the ids and names the body gives`, function () {
      itemsOf(copy(bodies[name])).should.eql(items);
    });

    it(`${name}: the same body posted as text (a text/plain webhook) gives the same items`, function () {
      itemsOf(JSON.stringify(bodies[name])).should.eql(items);
    });

    it(`${name}: its items are what player-sync journals, unchanged`, function () {
      for (const item of itemsOf(copy(bodies[name]))) plainItem(item, 'the item').should.eql(item);
    });
  }

  it('a custom instance name (a second Radarr) is the source of the items', function () {
    itemsOf({ ...copy(radarr), instanceName: 'Radarr 4K' })[0].source.should.equal('Radarr 4K');
  });

  describe('events that change nothing', function () {
    it("Test (the app's Test button, with its hard-coded C:\\testpath) is 'test', not a change", function () {
      const tests = [
        { ...copy(radarr), eventType: 'Test', movie: { ...radarr.movie, folderPath: 'C:\\testpath' } },
        { ...copy(sonarr), eventType: 'Test', series: { ...sonarr.series, path: 'C:\\testpath' } },
      ];
      for (const body of tests) {
        delete body.movieFile;
        delete body.episodeFile;
        arrToChanges(body).should.match({
          result: 'test',
          eventType: 'Test',
          source: body.instanceName,
          reason: /nothing to sync/,
        });
        arrToChanges(body).should.not.have.property('items');
      }
    });

    it("Grab (a release sent to the download client, no file yet) is 'ignored'", function () {
      const grab = {
        movie: radarr.movie,
        remoteMovie: radarr.remoteMovie,
        release: { quality: 'Bluray-1080p', releaseTitle: 'Inception.2010.1080p.BluRay', size: 12884901888 },
        downloadClient: 'qBittorrent',
        downloadId: 'ABCDEF',
        eventType: 'Grab',
        instanceName: 'Radarr',
        applicationUrl: '',
      };
      arrToChanges(grab).should.match({ result: 'ignored', eventType: 'Grab', source: 'Radarr' });
      arrToChanges(grab).reason.should.match(/Grab touches no library files/);
    });

    it("Health (an app warning) is 'ignored'", function () {
      const health = {
        level: 'warning',
        message: 'Indexers unavailable due to failures for more than 6 hours',
        type: 'IndexerLongTermStatusCheck',
        wikiUrl: 'https://wiki.servarr.com/sonarr/system#indexers-are-unavailable-due-to-failures',
        eventType: 'Health',
        instanceName: 'Sonarr',
        applicationUrl: '',
      };
      arrToChanges(health).should.match({ result: 'ignored', eventType: 'Health', source: 'Sonarr' });
    });
  });

  describe('upgrades', function () {
    it("a Radarr upgrade Download (isUpgrade, deletedFiles) is one 'updated' of the movie folder", function () {
      const body = {
        ...copy(radarr),
        isUpgrade: true,
        deletedFiles: [{ path: '/movies/Inception (2010)/Inception (2010).mkv', quality: 'WEBDL-720p' }],
      };
      summary(itemsOf(body)).should.eql([
        ['updated', '/movies/Inception (2010)/', '/movies/Inception (2010)/Inception (2010).mkv', 'movie'],
      ]);
    });

    it("a Sonarr upgrade Download is one 'updated' of the season folder", function () {
      const body = { ...copy(sonarr), isUpgrade: true, deletedFiles: [{ path: sonarr.episodeFile.path }] };
      itemsOf(body).should.match([
        { action: 'updated', path: '/tv/Severance/Season 01/', type: 'episode', season: 1, episode: 1 },
      ]);
    });

    it("the file delete before an upgrade (deleteReason 'upgrade') is an update, not a removal", function () {
      const body = {
        movie: radarr.movie,
        movieFile: radarr.movieFile,
        deleteReason: 'upgrade',
        eventType: 'MovieFileDelete',
        instanceName: 'Radarr',
        applicationUrl: '',
      };
      summary(itemsOf(body)).should.eql([
        ['updated', '/movies/Inception (2010)/', '/movies/Inception (2010)/Inception (2010).mkv', 'movie'],
      ]);
    });
  });

  describe('Sonarr "On Import Complete" (one Download body for a whole season pack)', function () {
    const importComplete = (files, episodes) => {
      const body = {
        ...copy(sonarr),
        episodes,
        episodeFiles: files.map((p, n) => ({ id: 6000 + n, path: p, quality: 'WEBDL-1080p' })),
        fileCount: files.length,
        destinationPath: '/tv/Severance',
      };
      delete body.episodeFile; // Import Complete has episodeFiles[] instead
      return body;
    };
    const ep = (season, episode) => ({ seasonNumber: season, episodeNumber: episode, title: `E${episode}` });

    it('a one-season pack of 3 files is one item for the season folder, with all 3 episodes', function () {
      const body = importComplete(
        [1, 2, 3].map((n) => `/tv/Severance/Season 01/Severance - S01E0${n}.mkv`),
        [ep(1, 1), ep(1, 2), ep(1, 3)],
      );
      itemsOf(body).should.match([
        {
          ...severance,
          action: 'added',
          path: '/tv/Severance/Season 01/',
          season: 1,
          episodes: [1, 2, 3],
        },
      ]);
      itemsOf(body).should.have.length(1);
    });

    it('a pack spanning two seasons is one item per season folder, each with a file of its own folder', function () {
      const body = importComplete(
        [
          '/tv/Severance/Season 01/Severance - S01E08.mkv',
          '/tv/Severance/Season 01/Severance - S01E09.mkv',
          '/tv/Severance/Season 02/Severance - S02E01.mkv',
        ],
        [ep(1, 8), ep(1, 9), ep(2, 1)],
      );
      const items = itemsOf(body);
      items
        .map((i) => [i.action, i.path, i.type])
        .should.eql([
          ['added', '/tv/Severance/Season 01/', 'episode'],
          ['added', '/tv/Severance/Season 02/', 'episode'],
        ]);
      for (const i of items) i.file.startsWith(i.path).should.be.true(`${i.file} lies in ${i.path}`);
    });
  });

  describe('Rename', function () {
    it("a Radarr Rename that moves the file to another folder: the new folder 'updated', the old file 'removed'", function () {
      const body = {
        movie: radarr.movie,
        renamedMovieFiles: [
          {
            id: 345,
            previousRelativePath: 'Inception.mkv',
            previousPath: '/movies/Inception/Inception.mkv',
            relativePath: 'Inception (2010).mkv',
            path: '/movies/Inception (2010)/Inception (2010).mkv',
          },
        ],
        eventType: 'Rename',
        instanceName: 'Radarr',
        applicationUrl: '',
      };
      const items = itemsOf(body);
      summary(items).should.eql([
        ['updated', '/movies/Inception (2010)/', '/movies/Inception (2010)/Inception (2010).mkv', 'movie'],
        ['removed', '/movies/Inception/', '/movies/Inception/Inception.mkv', 'movie'],
      ]);
      items.every((i) => i.event === 'Rename' && i.title === 'Inception').should.be.true();
    });

    it("a Sonarr Rename of two files from 'Season 1' to 'Season 01': one update of the new folder, each old file removed", function () {
      const body = {
        series: sonarr.series,
        renamedEpisodeFiles: [1, 2].map((n) => ({
          previousPath: `/tv/Severance/Season 1/Severance.S01E0${n}.mkv`,
          path: `/tv/Severance/Season 01/Severance - S01E0${n}.mkv`,
        })),
        eventType: 'Rename',
        instanceName: 'Sonarr',
        applicationUrl: '',
      };
      summary(itemsOf(body)).should.eql([
        ['updated', '/tv/Severance/Season 01/', '/tv/Severance/Season 01/Severance - S01E01.mkv', 'episode'],
        ['removed', '/tv/Severance/Season 1/', '/tv/Severance/Season 1/Severance.S01E01.mkv', 'episode'],
        ['removed', '/tv/Severance/Season 1/', '/tv/Severance/Season 1/Severance.S01E02.mkv', 'episode'],
      ]);
    });
  });

  describe('deletes', function () {
    it("MovieDelete with its files deleted: the movie folder 'removed'", function () {
      const body = {
        movie: radarr.movie,
        deletedFiles: true,
        eventType: 'MovieDelete',
        instanceName: 'Radarr',
        applicationUrl: '',
      };
      summary(itemsOf(body)).should.eql([['removed', '/movies/Inception (2010)/', undefined, 'movie']]);
    });

    it("EpisodeFileDelete (deleted by hand): that file 'removed', not its whole season folder", function () {
      const body = {
        series: sonarr.series,
        episodes: sonarr.episodes,
        episodeFile: sonarr.episodeFile,
        deleteReason: 'manual',
        eventType: 'EpisodeFileDelete',
        instanceName: 'Sonarr',
        applicationUrl: '',
      };
      summary(itemsOf(body)).should.eql([
        ['removed', '/tv/Severance/Season 01/', sonarr.episodeFile.path, 'episode'],
      ]);
    });
  });
});
