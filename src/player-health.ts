/**
 * Flow node `player-health`: the Players board for flows. A message in gets the whole health report out (players,
 * queues, store: what GET <admin>/player-sync/health answers). On its own it sends one message when a player's
 * connection changes (topic "state"), one when a player has been down for the alert time (topic "down", once per
 * outage: what Home Assistant alerts on), and one when a player that was reported down answers again (topic "up").
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { ConnectionView, PlayerView, healthBoard } from './sync/health';
import { usePlayersBoard } from './node-red/players-board';
import { handleInput } from './node-red/flow-node';
import { numberSetting } from './node-red/settings';
import { done, failed, statusText, useCatalog, waiting } from './node-red/status';

/** The longest "alert after": a week (a timer cannot wait much longer than 24 days). */
const MAX_MINUTES = 10080;

interface PlayerHealthDef extends NodeDef {
  /** Minutes a player is down before the "down" message. */
  alertAfter?: string | number;
  /** Send a message on every change of state (true), or only "down" and "up" (false). */
  everyChange?: boolean;
}

/** What the node remembers of each player between two looks at the board. */
interface Seen {
  state: ConnectionView;
  since: number;
  alerted: boolean;
  timer?: NodeJS.Timeout;
}

export = function (RED: NodeAPI): void {
  useCatalog(RED);
  usePlayersBoard(RED);
  function PlayerHealth(this: Node, def: PlayerHealthDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const minutes = numberSetting(def.alertAfter, 10);
    const fits = Number.isFinite(minutes) && minutes >= 0 && minutes <= MAX_MINUTES;
    const alertMs = (fits ? minutes : 10) * 60000;
    if (!fits)
      node.warn(
        `player-health: "alert after" must be 0 to ${MAX_MINUTES} minutes, not ${String(def.alertAfter)}: 10 used`,
      );
    const everyChange = def.everyChange !== false;
    const seen = new Map<string, Seen>();
    let closed = false;

    const payloadOf = (p: PlayerView, now: number): Record<string, unknown> => ({
      ...p,
      since: new Date(p.since).toISOString(),
      forS: Math.round((now - p.since) / 1000),
      ...(p.lastSuccessAt !== undefined ? { lastSuccessAt: new Date(p.lastSuccessAt).toISOString() } : {}),
      ...(p.lastFailureAt !== undefined ? { lastFailureAt: new Date(p.lastFailureAt).toISOString() } : {}),
    });

    /** Red with the players down; yellow while one answers without pushing (or is being reached); green. */
    // Shown only when it changes (a version coming in changes no status).
    let shown = '';
    const showStatus = (players: PlayerView[]): void => {
      const active = players.filter((p) => p.state !== 'idle');
      const downs = active.filter((p) => p.state === 'down');
      const waitingOn = active.filter((p) => p.state !== 'websocket' && p.state !== 'down');
      const status =
        downs.length > 0
          ? failed(statusText('playersDown', { names: downs.map((p) => p.name).join(', ') }))
          : waitingOn.length > 0
            ? waiting(statusText('playersWaiting', { count: waitingOn.length }))
            : done(statusText('playersUp', { count: active.length }));
      const key = `${status.fill ?? ''}|${status.text ?? ''}`;
      if (key === shown) return;
      shown = key;
      node.status(status);
    };

    /** The "down" message, once the player has been down for the alert time. */
    const alertLater = (id: string, s: Seen): void => {
      clearTimeout(s.timer);
      const wait = Math.max(0, s.since + alertMs - Date.now());
      s.timer = setTimeout(() => {
        s.timer = undefined;
        if (closed || s.state !== 'down' || s.alerted) return;
        const player = healthBoard.snapshotPlayers().find((p) => p.id === id);
        if (!player || player.state !== 'down') return;
        s.alerted = true;
        node.send({ topic: 'down', payload: { ...payloadOf(player, Date.now()), alert: true } });
      }, wait);
    };

    const look = (): void => {
      if (closed) return;
      const players = healthBoard.snapshotPlayers();
      const now = Date.now();
      for (const p of players) {
        const before = seen.get(p.id);
        // Idle or connecting after down (its flow nodes redeployed, say) is not back: still down, since then.
        if (before?.state === 'down' && (p.state === 'idle' || p.state === 'connecting')) continue;
        if (before && before.state === p.state) {
          // Down again after a spell of idle when its alert time passed: the alert is due now.
          if (p.state === 'down' && !before.alerted && !before.timer) alertLater(p.id, before);
          continue;
        }
        const s: Seen = { state: p.state, since: p.since, alerted: false };
        if (before) {
          clearTimeout(before.timer);
          // Back after a "down" message: say so, whatever else changes are sent.
          if (before.alerted && p.state !== 'down')
            node.send({
              topic: 'up',
              payload: {
                ...payloadOf(p, now),
                alert: false,
                wasDownS: Math.round((now - before.since) / 1000),
              },
            });
          if (everyChange)
            node.send({ topic: 'state', payload: { ...payloadOf(p, now), previous: before.state } });
        }
        seen.set(p.id, s);
        if (p.state === 'down') alertLater(p.id, s);
      }
      // A player taken out (its config node deleted): forgotten, its timer with it.
      for (const [id, s] of seen) {
        if (players.some((p) => p.id === id)) continue;
        clearTimeout(s.timer);
        seen.delete(id);
      }
      showStatus(players);
    };
    healthBoard.on('players', look);
    // The config nodes start before the flow nodes: their players are on the board already.
    look();

    node.on(
      'input',
      handleInput(node, (msg, send) => {
        const snapshot = healthBoard.snapshot();
        send({ ...msg, topic: 'health', payload: snapshot });
      }),
    );
    node.on('close', () => {
      closed = true;
      healthBoard.off('players', look);
      for (const s of seen.values()) clearTimeout(s.timer);
      seen.clear();
    });
  }

  RED.nodes.registerType('player-health', PlayerHealth);
};
