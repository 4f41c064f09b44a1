/**
 * What watch-activity, jellyfin-webhook and plex-webhook share: the watch settings (threshold, minimum, progress,
 * filters), the tracker with its completions in the store, and the message each event becomes, the same for all.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { Store } from '../sync/store';
import { CompletionRecord, WatchEvent, WatchObservation, WatchTracker, checkCompletion } from '../sync/watch';
import { numberSetting } from './settings';

export interface WatchDef extends NodeDef {
  threshold?: string | number;
  minimum?: string | number;
  progress?: string | number;
  users?: string;
  excludeUsers?: string;
  devices?: string;
  types?: string;
}

export interface WatchOutput {
  tracker: WatchTracker;
  /** Whether an observation passes the node's filters (users, excluded users, devices, item types). */
  wanted: (o: WatchObservation) => boolean;
  /** The message of one event. */
  message: (e: WatchEvent) => NodeMessage;
  /** Ends the tracker's sessions and closes its store (on the node's close). */
  close: () => Promise<void>;
}

/** A comma-separated list of names, lower case; empty means "any". */
const namesOf = (text: string | undefined): string[] =>
  (text ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

export function useWatchOutput(
  RED: NodeAPI,
  node: Node,
  def: WatchDef,
  /** The player's name and kind, and its config node's id (where there is one: watched-sync uses it). */
  player: { name: string; type: string; id?: string },
  /** Progress events every so many seconds unless set (0: none, for a source that has no positions between events). */
  progressDefaultS = 60,
): WatchOutput {
  const userDir = (RED.settings as { userDir?: string }).userDir;
  const completions = new Store(userDir).collection<CompletionRecord>(
    `watch-${node.id.replace(/[^A-Za-z0-9._-]/g, '_')}`,
    checkCompletion,
  );
  try {
    completions.load();
    if (completions.damage) {
      node.warn(
        `${node.type}: its completions were damaged (${completions.damage.reason}); the good ones kept`,
      );
    }
  } catch (err) {
    node.warn(`${node.type}: cannot read its completions: ${(err as Error).message}`);
  }
  const tracker = new WatchTracker(
    {
      thresholdPercent: numberSetting(def.threshold, 85),
      minimumWatchedS: numberSetting(def.minimum, 120),
      progressEveryMs: numberSetting(def.progress, progressDefaultS) * 1000,
    },
    completions,
  );
  const pruner = setInterval(() => {
    tracker.prune();
  }, 3600 * 1000);
  const users = namesOf(def.users);
  const excluded = namesOf(def.excludeUsers);
  const devices = namesOf(def.devices);
  const types = namesOf(def.types);
  return {
    tracker,
    wanted: (o) => {
      const user = (o.user ?? '').toLowerCase();
      if (users.length > 0 && !users.includes(user)) return false;
      if (excluded.includes(user)) return false;
      if (devices.length > 0 && !devices.includes((o.device ?? '').toLowerCase())) return false;
      return types.length === 0 || types.includes(o.item.type.toLowerCase());
    },
    message: (e) => ({
      topic: e.topic,
      payload: {
        player: player.name,
        playerType: player.type,
        playerId: player.id,
        user: e.user,
        device: e.device,
        client: e.client,
        sessionId: e.sessionId,
        item: e.item,
        positionS: e.positionS,
        runtimeS: e.runtimeS,
        percent: e.percent,
        watchedS: e.watchedS,
        startedAt: new Date(e.startedAt).toISOString(),
      },
    }),
    close: async () => {
      clearInterval(pruner);
      tracker.forget();
      await completions.close();
    },
  };
}
