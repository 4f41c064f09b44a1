/**
 * Flow node `watch-activity`: who watches what on one player (Kodi, Jellyfin or Plex), as one message per event:
 * started, paused, resumed, progress, stopped, completed. What the player pushes comes first (Kodi's playback
 * notifications bring a look at once; Jellyfin's and Plex's sockets bring the sessions themselves); polling is the
 * fallback (every second while something plays, every 5 s when idle, both settable).
 */
import type { Node, NodeAPI } from 'node-red';
import type { WatchEvent, WatchObservation } from './sync/watch';
import { WatchDef, useWatchOutput } from './node-red/watch-output';
import { WatchSource, jellyfinWatchSource, kodiWatchSource, plexWatchSource } from './sync/watch-source';
import { PlayerRefs, errorStatus, usePlayer } from './node-red/flow-node';
import { numberSetting } from './node-red/settings';
import { done, failed, useCatalog, working } from './node-red/status';
import type { AnyPlayerNode } from './node-red/config-nodes';
import { forPeople } from './node-red/errors';

interface WatchActivityDef extends WatchDef, PlayerRefs {
  pollPlaying?: string | number;
  pollIdle?: string | number;
}

/** While the player pushes every session with its position, a look now and then all the same (a lost message). */
const SAFETY_LOOK_MS = 60_000;

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
      return jellyfinWatchSource(player.client, player.socket, mapper);
    case 'plex':
      return plexWatchSource(player.client, player.socket, mapper);
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
    const output = useWatchOutput(RED, node, def, {
      name: player.name || player.label,
      type: player.kind,
      id: player.id,
    });
    const { tracker, wanted } = output;
    const send = (e: WatchEvent): void => {
      node.send(output.message(e));
    };
    const pollPlayingMs = Math.max(0.2, numberSetting(def.pollPlaying, 1)) * 1000;
    const pollIdleMs = Math.max(0.2, numberSetting(def.pollIdle, 5)) * 1000;

    const source = sourceFor(player);
    // Read through a function: each may change while a look awaits the player.
    const state = { closed: false, looking: false, again: false, failing: false, pushes: 0 };
    const closed = (): boolean => state.closed;
    const again = (): boolean => state.again;
    /** Sets of sessions pushed so far: a look begun before the latest push brings older news, and is dropped. */
    const pushes = (): number => state.pushes;
    let timer: NodeJS.Timeout | undefined;
    const apply = (all: WatchObservation[]): void => {
      const observations = all.filter(wanted);
      for (const e of tracker.observe(observations)) send(e);
      const first = observations.at(0);
      if (first) node.status(working(`${first.paused ? '⏸' : '▶'} ${first.item.title}`.slice(0, 60)));
      else node.status(done('idle'));
    };
    /**
     * The next look on the schedule: while something plays, every pollPlaying (positions), or only now and then
     * when the player pushes every session with its position; when idle, every pollIdle, or never while the player
     * pushes changes (it will say when something starts).
     */
    const schedule = (): void => {
      clearTimeout(timer);
      timer = undefined;
      const push = source.pushing();
      const delay =
        tracker.active > 0
          ? push === 'all'
            ? SAFETY_LOOK_MS
            : pollPlayingMs
          : push === 'none'
            ? pollIdleMs
            : undefined;
      if (delay === undefined) return;
      timer = setTimeout(() => {
        void look();
      }, delay);
    };
    /** Looks at the player now, gives the events, and plans the next look. */
    const look = async (): Promise<void> => {
      if (closed()) return;
      if (state.looking) {
        state.again = true; // news during a look: one more look right after it
        return;
      }
      state.looking = true;
      clearTimeout(timer);
      const generation = pushes();
      try {
        const observations = await source.look();
        if (closed()) return;
        state.failing = false;
        if (generation === pushes()) apply(observations);
        else state.again = true; // sessions were pushed meanwhile: this look is older news; one more, now
      } catch (err) {
        if (closed()) return;
        tracker.lost(); // what plays there meanwhile is unknown: no time counted that a position does not prove
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
      schedule();
    };
    const unlisten = source.listen((observations) => {
      if (closed()) return;
      if (!observations) {
        void look();
        return;
      }
      state.pushes++;
      apply(observations);
      if (!state.looking) schedule();
    });
    void look();

    node.on('close', (_removed: boolean, closeDone: () => void) => {
      state.closed = true;
      clearTimeout(timer);
      unlisten();
      output.close().then(closeDone, () => {
        closeDone();
      });
    });
  }

  RED.nodes.registerType('watch-activity', WatchActivity);
};
