'use strict';
// Who is watching on a Kodi, from its answers (no Node-RED, no server): a player that stops between Kodi's list of
// players and the questions about it is nobody watching, not a failure that would end the queued work for good.
require('should');
const { getKodiPlayback } = require('../../nodes/players/kodi/playback');
const { KodiRpcError } = require('../../nodes/players/kodi/rpc');
const { PlayerError } = require('../../nodes/players/errors');

/** A Kodi that answers from `answers[method]` (a value, or a function of the params that may throw). */
function kodi(answers) {
  return {
    label: 'Kodi "Den" (127.0.0.1:8080)',
    calls: [],
    async call(method, params) {
      this.calls.push(method);
      const answer = answers[method];
      return typeof answer === 'function' ? answer(params) : answer;
    },
  };
}

const playing = {
  'Player.GetActivePlayers': [{ playerid: 1, type: 'video' }],
  'Player.GetItem': { item: { type: 'movie', id: 7, title: 'Inception', file: '/m/Inception.mkv' } },
  'Player.GetProperties': { speed: 1, percentage: 12.34, time: { hours: 0, minutes: 1, seconds: 2 } },
};

describe('Kodi playback (no server)', function () {
  it('lists what plays, with title, progress and whether it is paused', async function () {
    const sessions = await getKodiPlayback(kodi(playing));
    sessions.should.match([
      { kind: 'video', type: 'movie', title: 'Inception', paused: false, progress: 12.3 },
    ]);
  });

  it('a player that stopped between the list and the questions about it is nobody watching', async function () {
    for (const code of [-32602, -32100]) {
      const stopped = kodi({
        ...playing,
        'Player.GetItem': () => {
          throw new KodiRpcError('Kodi "Den"', 'Player.GetItem', { code, message: 'gone' });
        },
      });
      (await getKodiPlayback(stopped)).should.eql([]);
    }
  });

  it('a Kodi that cannot be reached is still an error (the queue retries it), not "nobody watching"', async function () {
    const down = kodi({
      ...playing,
      'Player.GetProperties': () => {
        throw new PlayerError({
          player: 'Kodi "Den"',
          call: 'Player.GetProperties',
          code: 'unreachable',
          reason: 'connection refused',
          fix: 'start Kodi',
          retryable: true,
        });
      },
    });
    await getKodiPlayback(down).should.be.rejectedWith(PlayerError, { code: 'unreachable' });
  });
});
