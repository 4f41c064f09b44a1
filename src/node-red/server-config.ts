/**
 * The config nodes of the REST servers (`jellyfin-server`, `plex-server`): one client per node, checked when the
 * first flow node registers, its path mappings, and its Test connection. Each server gives its endpoint and calls.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { ProbeResult } from '../core/probe';
import { DEFAULT_LISTING_BYTES, listingCap } from '../players/limits';
import { PlayerConfigNode, resolveMapper } from './config-nodes';
import { probeOnFirstUser } from './probe';
import type { LiveSocket } from '../players/live-socket';
import { numberSetting } from './settings';
import { useCatalog } from './status';
import { originOf, registerTestConnection, text } from './test-connection';
import type { HttpPlayerClient } from '../players/http-client';
import { ConnectionView, healthBoard } from '../sync/health';
import { PlayerError } from '../players/errors';
import { boardPlayer, failureText, usePlayersBoard } from './players-board';

/** How often a server that does not answer is asked again, for the Players board (its flow nodes ask anyway). */
const RECHECK_MS = 30000;

export interface ServerDef extends NodeDef {
  url?: string;
  timeout?: string | number;
  /** The largest answer to a listing, in MB. */
  maxResponse?: string | number;
  mappings?: string;
}

/** The settings every server endpoint has. */
export interface ServerEndpointBase {
  name: string;
  url: string;
  timeoutMs?: number;
  maxListingBytes?: number;
}

/** A server's config node: its kind and its client. */
type ServerNode<K extends string, C> = PlayerConfigNode<K> & { client: C; socket?: LiveSocket };

export interface ServerSpec<
  K extends 'jellyfin' | 'plex',
  E extends ServerEndpointBase,
  C extends HttpPlayerClient,
> {
  type: string;
  kind: K;
  /** The credential's key in Node-RED's credential store (`apiKey`, `token`). */
  secret: string;
  /**
   * The endpoint from settings (the deployed node's or the dialog's) and the credential; `id` is the config node's
   * id, absent for a Test connection.
   */
  endpoint(base: ServerEndpointBase, settings: Record<string, unknown>, secret: string, id?: string): E;
  label(endpoint: E): string;
  client(endpoint: E): C;
  /** A call that needs the credential: the check when the first flow node registers; gives the version. */
  check(client: C): Promise<{ version?: string }>;
  probe(endpoint: E): Promise<ProbeResult>;
  /** The server's push socket (Plex's notifications, Jellyfin's sessions), shared by the config node's flow nodes. */
  socket?(endpoint: E): LiveSocket | undefined;
  /** See TestConnectionHooks.issuedFor. */
  issuedFor?(id: string): string | undefined;
}

export function registerServerConfig<
  K extends 'jellyfin' | 'plex',
  E extends ServerEndpointBase,
  C extends HttpPlayerClient,
>(RED: NodeAPI, spec: ServerSpec<K, E, C>): void {
  useCatalog(RED);
  usePlayersBoard(RED);
  function ServerConfig(this: Node<Record<string, string | undefined>>, def: ServerDef): void {
    RED.nodes.createNode(this, def);
    const node = this as unknown as ServerNode<K, C> & Node<Record<string, string | undefined>>;
    const endpoint = spec.endpoint(
      {
        name: def.name,
        url: def.url || '',
        timeoutMs: numberSetting(def.timeout, 15) * 1000,
        maxListingBytes: listingCap(numberSetting(def.maxResponse, DEFAULT_LISTING_BYTES / 1024 / 1024)),
      },
      def as unknown as Record<string, unknown>,
      this.credentials[spec.secret] ?? '',
      def.id,
    );
    node.kind = spec.kind;
    node.label = spec.label(endpoint);
    node.client = spec.client(endpoint);
    node.mapper = resolveMapper(RED, def.mappings, node.label);
    node.socket = spec.socket?.(endpoint);
    if (node.socket) {
      node.socket.on('state', () => {
        const reason = node.socket?.up ? undefined : node.socket?.reason;
        if (reason) node.log(`${node.label}: notifications off (${reason}); waiting by polling`);
      });
    }
    // On the Players board: down when a call could not reach it (or its credential was refused), WebSocket while
    // its push socket is up, polling when it answers without one.
    const { client, socket } = node;
    const tracker = boardPlayer(node, spec.kind, def.name || node.label, () => ({
      lastSuccessAt: client.lastSuccessAt,
      lastFailureAt: client.lastFailureAt,
      lastFailure: failureText(client.lastFailure),
    }));
    // The check, also when a call timed out: a server that does not answer its check in time is down.
    const check = (): Promise<unknown> =>
      spec.check(client).then(
        (info) => {
          tracker.setVersion(info.version);
        },
        (err: unknown) => {
          if (err instanceof PlayerError && err.code === 'timeout') client.noteReachable(false);
          throw err;
        },
      );
    let checking = false;
    const checkOnce = (): void => {
      if (checking || users.count === 0) return;
      checking = true;
      void check()
        .catch(() => undefined) // the board says why
        .finally(() => {
          checking = false;
        });
    };
    const users = probeOnFirstUser(node, check, socket);
    const current = (): ConnectionView => {
      if (users.count === 0) return 'idle';
      if (client.reachable === false) return 'down';
      if (socket?.up) return 'websocket';
      return client.reachable === true ? 'polling' : 'connecting';
    };
    const update = (): void => {
      tracker.set(current());
    };
    const offReachability = client.onReachability(update);
    // A failure is on the board at once; a call that timed out is checked (slow, or gone?).
    const offFailure = client.onFailure((err) => {
      healthBoard.changed();
      if (err.code === 'timeout') checkOnce();
    });
    const onSocket = (): void => {
      update();
      // The socket went: ask once whether the server went with it (down) or only its socket (polling); the socket
      // back while the server was down: ask whether the rest of it answers again.
      const ask = socket && (socket.state === 'polling' || (socket.up && client.reachable === false));
      if (ask) checkOnce();
    };
    socket?.on('state', onSocket);
    // Without its push socket (refused, or a server that has none), nothing else would notice the server going or
    // coming back while no flow node calls it: checked every 30 s.
    const recheck = setInterval(() => {
      if (client.reachable === false || !socket?.up) checkOnce();
    }, RECHECK_MS);
    recheck.unref();
    node.on('close', () => {
      clearInterval(recheck);
      offReachability();
      offFailure();
      socket?.off('state', onSocket);
    });
    node.register = (user) => {
      users.register(user);
      update();
    };
    node.deregister = (user) => {
      users.deregister(user);
      update();
    };
  }

  RED.nodes.registerType(spec.type, ServerConfig, {
    credentials: { [spec.secret]: { type: 'password' } },
  });

  registerTestConnection(RED, spec.type, {
    origin: (settings) => originOf(text(settings.url)),
    issuedFor: (id) => spec.issuedFor?.(id),
    probe: (settings, credentials) =>
      spec.probe(
        spec.endpoint(
          { name: text(settings.name), url: text(settings.url) },
          settings,
          credentials[spec.secret] ?? '',
        ),
      ),
  });
}
