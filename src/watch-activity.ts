/**
 * Flow node `watch-activity`: who watches what on one player (Kodi, Jellyfin or Plex), as one message per event:
 * started, paused, resumed, progress, stopped, completed. Kodi's playback notifications bring a look at once; every
 * player is also looked at on a schedule (every second while something plays, every 5 s when idle, both settable).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { Store } from './sync/store';
import { CompletionRecord, WatchEvent, WatchObservation, WatchTracker, checkCompletion } from './sync/watch';
import { WatchSource, jellyfinWatchSource, kodiWatchSource, plexWatchSource } from './sync/watch-source';
import { PlayerRefs, errorStatus, usePlayer } from './node-red/flow-node';
import { numberSetting } from './node-red/settings';
import { done, failed, useCatalog, working } from './node-red/status';
import type { AnyPlayerNode } from './node-red/config-nodes';
import { forPeople } from './node-red/errors';

interface WatchActivityDef extends NodeDef, PlayerRefs {
  threshold?: string | number;
  minimum?: string | number;
  progress?: string | number;
  pollPlaying?: string | number;
  pollIdle?: string | number;
  users?: string;
  excludeUsers?: string;
  devices?: string;
  types?: string;
}

/** A comma-separated list of names, lower case; empty means "any". */
const listOf = (text: string | undefined): string[] =>
  (text ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

function sourceFor(player: AnyPlayerNode): WatchSource {
  const mapper = (): ReturnType<AnyPlayerNode['mapper']> | undefined => {
    try {
      return player.mapper();
    } catch {
      return undefined;
    }
  };
  switch (player.kind) {
    case 'kodi':
      return kodiWatchSource(player.connection, mapper);
    case 'jellyfin':
      return jellyfinWatchSource(player.client, mapper);
    case 'plex':
      return plexWatchSource(player.client, mapper);
  }
}

export = function (RED: NodeAPI): void {
  useCatalog(RED);
  function WatchActivity(this: Node, def: WatchActivityDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const { player, problem } = usePlayer(RED, node, def, ['kodi', 'jellyfin', 'plex']);
    if (!player) {
      node.error(`watch-activity: ${problem ?? 'no player'}`);
      return;
    }
    const userDir = (RED.settings as { userDir?: string }).userDir;
    const completions = new Store(userDir).collection<CompletionRecord>(
      `watch-${node.id.replace(/[^A-Za-z0-9._-]/g, '_')}`,
      checkCompletion,
    );
    try {
      completions.load();
      if (completions.damage) {
        node.warn(
          `watch-activity: its completions were damaged (${completions.damage.reason}); the good ones kept`,
        );
      }
    } catch (err) {
      node.warn(`watch-activity: cannot read its completions: ${(err as Error).message}`);
    }
    const tracker = new WatchTracker(
      {
        thresholdPercent: numberSetting(def.threshold, 85),
        minimumWatchedS: numberSetting(def.minimum, 120),
        progressEveryMs: numberSetting(def.progress, 0) * 1000,
      },
      completions,
    );
    const pollPlayingMs = Math.max(0.2, numberSetting(def.pollPlaying, 1)) * 1000;
    const pollIdleMs = Math.max(0.2, numberSetting(def.pollIdle, 5)) * 1000;
    const users = listOf(def.users);
    const excluded = listOf(def.excludeUsers);
    const devices = listOf(def.devices);
    const types = listOf(def.types);
    const wanted = (o: WatchObservation): boolean => {
      const user = (o.user ?? '').toLowerCase();
      if (users.length > 0 && !users.includes(user)) return false;
      if (excluded.includes(user)) return false;
      if (devices.length > 0 && !devices.includes((o.device ?? '').toLowerCase())) return false;
      return types.length === 0 || types.includes(o.item.type.toLowerCase());
    };
    const playerName = player.name || player.label;
    const send = (e: WatchEvent): void => {
      node.send({
        topic: e.topic,
        payload: {
          player: playerName,
          playerType: player.kind,
          user: e.user,
          device: e.device,
          sessionId: e.sessionId,
          item: e.item,
          positionS: e.positionS,
          runtimeS: e.runtimeS,
          percent: e.percent,
          watchedS: e.watchedS,
          startedAt: new Date(e.startedAt).toISOString(),
        },
      });
    };

    const source = sourceFor(player);
    // Read through a function: each may change while a look awaits the player.
    const state = { closed: false, looking: false, again: false, failing: false };
    const closed = (): boolean => state.closed;
    const again = (): boolean => state.again;
    let timer: NodeJS.Timeout | undefined;
    /** Looks at the player now, gives the events, and plans the next look. */
    const look = async (): Promise<void> => {
      if (closed()) return;
      if (state.looking) {
        state.again = true; // a notification during a look: one more look right after it
        return;
      }
      state.looking = true;
      clearTimeout(timer);
      try {
        const observations = (await source.look()).filter(wanted);
        if (closed()) return;
        state.failing = false;
        for (const e of tracker.observe(observations)) send(e);
        const first = observations.at(0);
        if (first) node.status(working(`${first.paused ? '⏸' : '▶'} ${first.item.title}`.slice(0, 60)));
        else node.status(done('idle'));
      } catch (err) {
        if (!state.failing) node.warn(`watch-activity: ${forPeople(err).message}`);
        state.failing = true;
        node.status(failed(errorStatus(err)));
      } finally {
        state.looking = false;
      }
      if (closed()) return;
      if (again()) {
        state.again = false;
        void look();
        return;
      }
      timer = setTimeout(
        () => {
          void look();
        },
        tracker.active > 0 ? pollPlayingMs : pollIdleMs,
      );
    };
    const unsubscribe = source.onChange?.(() => void look());
    const pruner = setInterval(() => {
      tracker.prune();
    }, 3600 * 1000);
    void look();

    node.on('close', (_removed: boolean, closeDone: () => void) => {
      state.closed = true;
      clearTimeout(timer);
      clearInterval(pruner);
      unsubscribe?.();
      tracker.forget();
      completions.close().then(closeDone, () => {
        closeDone();
      });
    });
  }

  RED.nodes.registerType('watch-activity', WatchActivity);
};
