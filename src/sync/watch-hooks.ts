/**
 * Watch activity from servers that push webhooks (Jellyfin's webhook plugin, Plex's webhooks): each body tells of
 * one session, and becomes the same observation and the same events as watch-activity's. The item's path is not
 * in the body (Plex; Jellyfin's plugin before its recent versions): it is looked up on the server, when one is
 * given. Knows nothing of Node-RED.
 */
import { PlaybackSession, episodeTitle } from '../core/playback';
import type { JellyfinClient } from '../players/jellyfin/client';
import { getItemById } from '../players/jellyfin/library';
import type { JellyfinPlaybackHook } from '../players/jellyfin/webhook';
import type { PlexClient } from '../players/plex/client';
import { getPlexItem } from '../players/plex/library';
import type { PlexPlayHook } from '../players/plex/webhook';
import type { PathMapper } from './path-mapping';
import type { WatchEvent, WatchObservation, WatchTracker } from './watch';
import { observationOf } from './watch-source';

/** What one webhook body does to its session. */
export interface HookStep {
  observation: WatchObservation;
  /** The play ended (Jellyfin's PlaybackStop, Plex's media.stop). */
  stop?: boolean;
  /** The server says it was played to the end (PlayedToCompletion, media.scrobble). */
  playedToEnd?: boolean;
}

/**
 * The events of one webhook body, `now` being when it arrived. A stop or a scrobble of a session never seen
 * (Node-RED started after the play did), or of another item than the session plays now (a stop that came late),
 * gives none: a "started" that was not would be a phantom, and a lone "stopped" has no play to end.
 */
export function applyHook(tracker: WatchTracker, step: HookStep, now = Date.now()): WatchEvent[] {
  const id = step.observation.sessionId;
  const paused = tracker.pausedOf(id);
  if (step.stop || step.playedToEnd) {
    // Of a play not followed, or of the item before the one playing now (a late stop after the next episode
    // started): nothing.
    if (paused === undefined || !tracker.follows(id, step.observation.item)) return [];
    // A stop or a scrobble says nothing of a pause (Plex's media.stop has no state): the play stays as it was, so
    // stopping a paused play is no "resumed".
    step = { ...step, observation: { ...step.observation, paused } };
  }
  const events = tracker.update(step.observation, now);
  if (step.playedToEnd) events.push(...tracker.playedToEnd(id, now));
  if (step.stop) events.push(...tracker.stopped(id, now));
  return events;
}

/** The server to look an item up on, if one is set. */
type Lookup<C> = { client: C; mapper: () => PathMapper | undefined } | undefined;

/** How long a looked-up item is remembered: a play sends a body every few seconds, its item does not change. */
const LOOKUP_TTL_MS = 10 * 60 * 1000;
const LOOKUP_ENTRIES = 200;
const lookups = new WeakMap<object, Map<string, { at: number; value: Promise<unknown> }>>();

/** One server's answer for one item, asked once per LOOKUP_TTL_MS (a failed lookup is not remembered). */
function cached<T>(client: object, key: string, ask: () => Promise<T>, now = Date.now()): Promise<T> {
  let entries = lookups.get(client);
  if (!entries) {
    entries = new Map();
    lookups.set(client, entries);
  }
  const hit = entries.get(key);
  if (hit && now - hit.at < LOOKUP_TTL_MS) return hit.value as Promise<T>;
  const value = ask();
  entries.delete(key);
  entries.set(key, { at: now, value });
  if (entries.size > LOOKUP_ENTRIES) entries.delete(entries.keys().next().value as string);
  value.catch(() => entries.delete(key));
  return value;
}

const KINDS: Record<string, PlaybackSession['kind']> = { audio: 'audio', track: 'audio', photo: 'picture' };

/** A Jellyfin webhook's step, with the item's path from the server (when one is set and it knows the item). */
export async function jellyfinHookStep(
  hook: JellyfinPlaybackHook,
  server: Lookup<JellyfinClient>,
): Promise<HookStep | undefined> {
  // Recent versions of the plugin send the path; older ones only the id.
  const item =
    hook.path === undefined && server
      ? await cached(server.client, hook.itemId, () => getItemById(server.client, hook.itemId))
      : undefined;
  const type = hook.itemType.toLowerCase();
  const session: PlaybackSession = {
    kind: KINDS[type] ?? 'video',
    type,
    id: hook.itemId,
    title: hook.seriesName ? episodeTitle(hook.seriesName, hook.season, hook.episode, hook.name) : hook.name,
    file: hook.path ?? item?.Path,
    paused: hook.paused,
    positionSeconds: hook.positionS,
    durationSeconds: hook.runtimeS,
    user: hook.user,
    device: hook.device,
    client: hook.client,
    sessionId: hook.sessionId,
    year: hook.year,
    show: hook.seriesName,
    season: hook.season,
    episode: hook.episode,
    ids: hook.ids,
  };
  const observation = observationOf(session, 'jellyfin', server?.mapper ?? (() => undefined));
  if (!observation) return undefined;
  return {
    observation,
    stop: hook.type === 'PlaybackStop',
    playedToEnd: hook.playedToCompletion,
  };
}

/** A Plex webhook's step, with the item's file and runtime from the server (when one is set and knows it). */
export async function plexHookStep(
  hook: PlexPlayHook,
  server: Lookup<PlexClient>,
): Promise<HookStep | undefined> {
  const item = server
    ? await cached(server.client, hook.ratingKey, () => getPlexItem(server.client, hook.ratingKey))
    : undefined;
  const session: PlaybackSession = {
    kind: KINDS[hook.type] ?? 'video',
    type: hook.type,
    id: hook.ratingKey,
    title: hook.show ? episodeTitle(hook.show, hook.season, hook.episode, hook.title) : hook.title,
    file: item?.file,
    paused: hook.event === 'media.pause',
    positionSeconds: hook.positionS,
    durationSeconds: hook.runtimeS ?? item?.runtimeS,
    user: hook.user,
    device: hook.device,
    client: hook.client,
    sessionId: hook.sessionId,
    year: hook.year,
    show: hook.show,
    season: hook.season,
    episode: hook.episode,
    ids: hook.ids ?? item?.ids,
  };
  const observation = observationOf(session, 'plex', server?.mapper ?? (() => undefined));
  if (!observation) return undefined;
  return {
    observation,
    stop: hook.event === 'media.stop',
    playedToEnd: hook.event === 'media.scrobble',
  };
}
