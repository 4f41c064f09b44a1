/** "Is someone watching?": the same decision for every player. */
import type { PlaybackSession } from '../core/playback';

export interface ActivityOptions {
  /** A paused session counts as someone watching (default true). */
  countPaused: boolean;
  /** Audio and picture sessions do not count (default true). */
  ignoreAudioAndPictures: boolean;
}

export interface ActivityDecision {
  active: boolean;
  /** The sessions that count. */
  sessions: PlaybackSession[];
  /** The sessions seen but not counted, with why. */
  ignored: { session: PlaybackSession; why: string }[];
}

export function decideActivity(all: PlaybackSession[], options: ActivityOptions): ActivityDecision {
  const sessions: PlaybackSession[] = [];
  const ignored: ActivityDecision['ignored'] = [];
  for (const session of all) {
    if (options.ignoreAudioAndPictures && session.kind !== 'video') {
      ignored.push({ session, why: `${session.kind} is ignored` });
    } else if (session.paused && !options.countPaused) {
      ignored.push({ session, why: 'paused' });
    } else {
      sessions.push(session);
    }
  }
  return { active: sessions.length > 0, sessions, ignored };
}
