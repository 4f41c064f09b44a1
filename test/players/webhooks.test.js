'use strict';
// The webhook bodies Jellyfin's plugin and Plex send (../shared/reference/webhooks.md, protocols-people.md), read
// without Node-RED: every form an `http in` node hands them over in, their fields, and what is refused.
require('should');
const { decodeJellyfinHook } = require('../../nodes/players/jellyfin/webhook');
const { decodePlexHook, plexWebhookJson, multipartField } = require('../../nodes/players/plex/webhook');
const { webhookBody } = require('../../nodes/players/webhook');
const { jellyfinBody, plexBody, multipart } = require('../fixtures/webhook-bodies');

describe('webhook bodies (no Node-RED)', function () {
  it("Jellyfin: the plugin's text/plain JSON, as text, Buffer or object, gives the playback fields", function () {
    const body = jellyfinBody('PlaybackProgress', { PlaybackPositionTicks: 1_234_000_000, IsPaused: true });
    for (const given of [JSON.stringify(body), Buffer.from(JSON.stringify(body)), body]) {
      decodeJellyfinHook(webhookBody(given, 'Jellyfin webhook')).should.eql({
        type: 'PlaybackProgress',
        itemId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
        itemType: 'Episode',
        name: 'Good News About Hell',
        path: undefined, // the plugin before its recent versions sends no path
        year: 2022,
        seriesName: 'Severance',
        season: 1,
        episode: 1,
        ids: { imdb: 'tt11650328', tvdb: 7956016 },
        runtimeS: 3420,
        positionS: 123.4,
        paused: true,
        user: 'anna',
        device: 'Pixel 8',
        client: 'Jellyfin Android',
        sessionId: 'jellyfin|c0ffee00c0ffee00c0ffee00c0ffee00|0f0e0d0c0b0a09080706050403020100',
        playedToCompletion: false,
      });
    }
    decodeJellyfinHook(
      jellyfinBody('PlaybackStop', { PlayedToCompletion: true }),
    ).playedToCompletion.should.be.true();
  });

  it('Jellyfin: other notifications give nothing; bodies that are not the plugin’s are refused by name', function () {
    (decodeJellyfinHook(jellyfinBody('ItemAdded')) === undefined).should.be.true();
    (decodeJellyfinHook(jellyfinBody('UserDataSaved')) === undefined).should.be.true();
    (() => webhookBody('{nope', 'Jellyfin webhook')).should.throw(/not JSON/);
    (() => webhookBody('[1,2]', 'Jellyfin webhook')).should.throw(/not a JSON object/);
    (() => webhookBody('x'.repeat(1024 * 1024 + 1), 'Jellyfin webhook')).should.throw(/over 1 MB/);
    (() => decodeJellyfinHook({ Name: 'x' })).should.throw(/NotificationType is missing/);
    (() => decodeJellyfinHook(jellyfinBody('PlaybackStart', { ItemId: '../../etc' }))).should.throw(/ItemId/);
    (() => decodeJellyfinHook(jellyfinBody('PlaybackStart', { IsPaused: 'perhaps' }))).should.throw(
      /IsPaused/,
    );
    (() => decodeJellyfinHook(jellyfinBody('PlaybackStart', { Year: { a: 1 } }))).should.throw(/Year/);
  });

  it('Plex: the multipart body (with its thumb), the upload fields, or the JSON: the same event', function () {
    const json = plexBody('media.pause', { viewOffset: 61_000 });
    const { body, contentType } = multipart(json, { thumb: true });
    const forms = [
      plexWebhookJson(body, contentType),
      plexWebhookJson({ payload: JSON.stringify(json) }, undefined),
      plexWebhookJson(JSON.stringify(json), 'application/json'),
      plexWebhookJson(json, undefined),
    ];
    for (const form of forms) {
      decodePlexHook(form).should.eql({
        event: 'media.pause',
        ratingKey: '301',
        type: 'episode',
        title: 'Good News About Hell',
        year: 2022,
        show: 'Severance',
        season: 1,
        episode: 1,
        ids: { imdb: 'tt11650328', tvdb: 7956016 },
        positionS: 61,
        runtimeS: 3420,
        user: 'ben',
        device: 'Living Room TV',
        client: undefined,
        sessionId: 'plex|player-uuid-1|ben',
      });
    }
  });

  it('Plex: a multipart body without its part, boundary or shape is refused; other events give nothing', function () {
    const { body, contentType } = multipart(plexBody('media.play'));
    (() => plexWebhookJson(body, 'multipart/form-data')).should.throw(/no boundary/);
    (() => plexWebhookJson(Buffer.from('--x\r\n\r\n--x--'), 'multipart/form-data; boundary=x')).should.throw(
      /no "payload" part/,
    );
    (multipartField(body, contentType, 'nothing') === undefined).should.be.true();
    (decodePlexHook(plexBody('library.new')) === undefined).should.be.true();
    (decodePlexHook(plexBody('media.rate')) === undefined).should.be.true();
    (() => decodePlexHook({ Metadata: {} })).should.throw(/payload.event is missing/);
    (() => decodePlexHook(plexBody('media.play', { ratingKey: undefined }))).should.throw(/ratingKey/);
    (() => decodePlexHook(plexBody('media.play', { viewOffset: 'soon' }))).should.throw(/viewOffset/);
  });
});
