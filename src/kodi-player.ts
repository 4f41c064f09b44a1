/** Config node `kodi-player`: one Kodi box, its shared connection and its path mappings. */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { KodiConnection } from './players/kodi/connection';
import { probeKodi } from './players/kodi/probe';
import { KODI_DEFAULTS, KodiEndpoint, hostForUrl, kodiLabel } from './players/kodi/rpc';
import { DEFAULT_LISTING_BYTES, listingCap } from './players/limits';
import { KodiPlayerNode, resolveMapper } from './node-red/config-nodes';
import { numberSetting } from './node-red/settings';
import { linkStatus, useCatalog } from './node-red/status';
import { originOf, registerTestConnection, text } from './node-red/test-connection';
import { registerDiscovery } from './node-red/discovery';
import { discoverKodi } from './players/kodi/zeroconf';
import { ConnectionUsers } from './node-red/users';
import { forPeople } from './node-red/errors';
import { boardPlayer, connectionView, failureText, usePlayersBoard } from './node-red/players-board';
import { kodiVersion } from './players/kodi/probe';
import { healthBoard } from './sync/health';

interface KodiPlayerDef extends NodeDef {
  host: string;
  httpPort: string | number;
  wsPort: string | number;
  tls?: boolean;
  timeout?: string | number;
  /** The largest answer to a listing, in MB. */
  maxResponse?: string | number;
  mappings?: string;
}

interface KodiCredentials {
  username?: string;
  password?: string;
}

export = function (RED: NodeAPI): void {
  useCatalog(RED);
  usePlayersBoard(RED);
  function KodiPlayer(this: Node<KodiCredentials>, def: KodiPlayerDef): void {
    RED.nodes.createNode(this, def);
    const node = this as unknown as KodiPlayerNode & Node<KodiCredentials>;
    const endpoint = {
      name: def.name,
      host: (def.host || '').trim(),
      httpPort: numberSetting(def.httpPort, KODI_DEFAULTS.httpPort),
      wsPort: numberSetting(def.wsPort, KODI_DEFAULTS.wsPort),
      tls: def.tls === true,
      timeoutMs: numberSetting(def.timeout, KODI_DEFAULTS.timeoutMs / 1000) * 1000,
      maxListingBytes: listingCap(numberSetting(def.maxResponse, DEFAULT_LISTING_BYTES / 1024 / 1024)),
      username: this.credentials.username,
      password: this.credentials.password,
    };
    node.kind = 'kodi';
    node.label = kodiLabel(endpoint);
    node.connection = new KodiConnection(endpoint);
    node.mapper = resolveMapper(RED, def.mappings, node.label);
    const users = new ConnectionUsers(
      () => {
        node.connection.start();
      },
      () => {
        node.connection.stop();
      },
    );
    node.register = (user) => {
      users.register(user);
    };
    node.deregister = (user) => {
      users.deregister(user);
    };
    node.connection.on('debug', (line) => {
      node.debug(line);
    });
    const conn = node.connection;
    const tracker = boardPlayer(node, 'kodi', def.name || node.label, () => ({
      lastSuccessAt: conn.lastSuccessAt,
      lastFailureAt: conn.lastFailureAt,
      lastFailure: failureText(conn.lastFailure),
    }));
    node.connection.on('failure', () => {
      healthBoard.changed(); // the board shows the failure at once
    });
    node.connection.on('state', (state) => {
      tracker.set(connectionView(state));
      // Its version, once it answers (for the Players sidebar).
      if ((state === 'connected' || state === 'http-only') && tracker.version === undefined) {
        kodiVersion(conn).then(
          (version) => {
            tracker.setVersion(version);
          },
          () => undefined, // the state and last failure say why
        );
      }
      users.broadcast(linkStatus(state));
      const problem = node.connection.problem;
      if (problem) node.warn(forPeople(problem).message);
      else if (state === 'connected') node.log(`connected to ${node.label}`);
    });
    node.on('close', (done: () => void) => {
      node.connection.stop();
      node.connection.removeAllListeners();
      done();
    });
  }

  RED.nodes.registerType<Node<KodiCredentials>, KodiPlayerDef, unknown, KodiCredentials>(
    'kodi-player',
    KodiPlayer,
    {
      credentials: { username: { type: 'text' }, password: { type: 'password' } },
    },
  );

  const endpointOf = (settings: Record<string, unknown>): Omit<KodiEndpoint, 'username' | 'password'> => ({
    name: text(settings.name),
    host: text(settings.host).trim(),
    httpPort: numberSetting(settings.httpPort as string | number | undefined, KODI_DEFAULTS.httpPort),
    wsPort: numberSetting(settings.wsPort as string | number | undefined, KODI_DEFAULTS.wsPort),
    tls: settings.tls === true,
  });
  /** Where Kodi's password goes: the web server's origin (the WebSocket carries no credentials). */
  const kodiOrigin = (e: Pick<KodiEndpoint, 'host' | 'httpPort' | 'tls'>): string | undefined =>
    e.host ? originOf(`${e.tls ? 'https' : 'http'}://${hostForUrl(e.host)}:${e.httpPort}`) : undefined;
  registerDiscovery(RED, 'kodi', 'kodi-player', discoverKodi);
  registerTestConnection(RED, 'kodi-player', {
    origin: (settings) => kodiOrigin(endpointOf(settings)),
    probe: (settings, credentials) =>
      probeKodi({ ...endpointOf(settings), username: credentials.username, password: credentials.password }),
  });
};
