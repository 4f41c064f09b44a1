/** Config node `plex-server`: one Plex Media Server, its token and its path mappings. */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { PlexClient, plexLabel, probePlex } from '../players/plex/client';
import { PlexServerNode, resolveMapper } from './common/config-nodes';
import { probeOnFirstUser } from './common/probe';
import { numberSetting } from './common/settings';
import { originOf, registerTestConnection, text } from './common/test-connection';
import { DEFAULT_LISTING_BYTES, listingCap } from '../players/limits';
import { useCatalog } from './common/status';

interface PlexServerDef extends NodeDef {
  url: string;
  clientId?: string;
  timeout?: string | number;
  /** The largest answer to a listing, in MB. */
  maxResponse?: string | number;
  mappings?: string;
}

interface PlexCredentials {
  token?: string;
}

export = function (RED: NodeAPI): void {
  useCatalog(RED);
  function PlexServer(this: Node<PlexCredentials>, def: PlexServerDef): void {
    RED.nodes.createNode(this, def);
    const node = this as unknown as PlexServerNode & Node<PlexCredentials>;
    const endpoint = {
      name: def.name,
      url: def.url || '',
      token: this.credentials.token ?? '',
      // The editor fills in a UUID when the node is created; older flows fall back to the node id, also stable.
      clientId: def.clientId?.trim() || `player-sync-${def.id}`,
      timeoutMs: numberSetting(def.timeout, 15) * 1000,
      maxListingBytes: listingCap(numberSetting(def.maxResponse, DEFAULT_LISTING_BYTES / 1024 / 1024)),
    };
    node.kind = 'plex';
    node.label = plexLabel(endpoint);
    node.client = new PlexClient(endpoint);
    node.mapper = resolveMapper(RED, def.mappings, node.label);
    const users = probeOnFirstUser(node, () => node.client.serverInfo());
    node.register = (user) => {
      users.register(user);
    };
    node.deregister = (user) => {
      users.deregister(user);
    };
  }

  RED.nodes.registerType<Node<PlexCredentials>, PlexServerDef, unknown, PlexCredentials>(
    'plex-server',
    PlexServer,
    {
      credentials: { token: { type: 'password' } },
    },
  );

  registerTestConnection(RED, 'plex-server', {
    origin: (settings) => originOf(text(settings.url)),
    probe: (settings, credentials) =>
      probePlex({
        name: text(settings.name),
        url: text(settings.url),
        token: credentials.token ?? '',
        clientId: text(settings.clientId) || 'player-sync-test-connection',
      }),
  });
};
