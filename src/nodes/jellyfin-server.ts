/** Config node `jellyfin-server`: one Jellyfin server, its API key and its path mappings. */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { JellyfinClient, jellyfinLabel, probeJellyfin } from '../players/jellyfin/client';
import { JellyfinServerNode, resolveMapper } from './common/config-nodes';
import { probeOnFirstUser } from './common/probe';
import { numberSetting } from './common/settings';
import { originOf, registerTestConnection, text } from './common/test-connection';
import { DEFAULT_LISTING_BYTES, listingCap } from '../players/limits';
import { useCatalog } from './common/status';

interface JellyfinServerDef extends NodeDef {
  url: string;
  userId?: string;
  timeout?: string | number;
  /** The largest answer to a listing, in MB. */
  maxResponse?: string | number;
  mappings?: string;
}

interface JellyfinCredentials {
  apiKey?: string;
}

export = function (RED: NodeAPI): void {
  useCatalog(RED);
  function JellyfinServer(this: Node<JellyfinCredentials>, def: JellyfinServerDef): void {
    RED.nodes.createNode(this, def);
    const node = this as unknown as JellyfinServerNode & Node<JellyfinCredentials>;
    const endpoint = {
      name: def.name,
      url: def.url || '',
      apiKey: this.credentials.apiKey ?? '',
      userId: def.userId?.trim() || undefined,
      deviceId: `player-sync-${def.id}`,
      timeoutMs: numberSetting(def.timeout, 15) * 1000,
      maxListingBytes: listingCap(numberSetting(def.maxResponse, DEFAULT_LISTING_BYTES / 1024 / 1024)),
    };
    node.kind = 'jellyfin';
    node.label = jellyfinLabel(endpoint);
    node.client = new JellyfinClient(endpoint);
    node.mapper = resolveMapper(RED, def.mappings, node.label);
    const users = probeOnFirstUser(node, () => node.client.systemInfo());
    node.register = (user) => {
      users.register(user);
    };
    node.deregister = (user) => {
      users.deregister(user);
    };
  }

  RED.nodes.registerType<Node<JellyfinCredentials>, JellyfinServerDef, unknown, JellyfinCredentials>(
    'jellyfin-server',
    JellyfinServer,
    { credentials: { apiKey: { type: 'password' } } },
  );

  registerTestConnection(RED, 'jellyfin-server', {
    origin: (settings) => originOf(text(settings.url)),
    probe: (settings, credentials) =>
      probeJellyfin({
        name: text(settings.name),
        url: text(settings.url),
        apiKey: credentials.apiKey ?? '',
        deviceId: 'player-sync-test-connection',
      }),
  });
};
