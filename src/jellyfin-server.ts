/** Config node `jellyfin-server`: one Jellyfin server, its API key and its path mappings. */
import type { NodeAPI } from 'node-red';
import { registerDiscovery } from './node-red/discovery';
import { discoverJellyfin } from './players/jellyfin/discovery';
import { JellyfinClient, JellyfinEndpoint, jellyfinLabel, probeJellyfin } from './players/jellyfin/client';
import { JellyfinSocket } from './players/jellyfin/socket';
import { registerServerConfig } from './node-red/server-config';
import { text } from './node-red/test-connection';

export = function (RED: NodeAPI): void {
  registerServerConfig<'jellyfin', JellyfinEndpoint, JellyfinClient>(RED, {
    type: 'jellyfin-server',
    kind: 'jellyfin',
    secret: 'apiKey',
    endpoint: (base, settings, apiKey, id) => ({
      ...base,
      server: settings.server === 'emby' ? 'emby' : 'jellyfin',
      apiKey,
      userId: text(settings.userId).trim() || undefined,
      deviceId: id ? `player-sync-${id}` : 'player-sync-test-connection',
    }),
    label: jellyfinLabel,
    client: (endpoint) => new JellyfinClient(endpoint),
    check: async (client) => ({ version: (await client.systemInfo()).Version }),
    probe: probeJellyfin,
    // Emby's socket has rules of its own: its sessions are polled.
    socket: (endpoint) => (endpoint.server === 'emby' ? undefined : new JellyfinSocket(endpoint)),
  });
  registerDiscovery(RED, 'jellyfin', 'jellyfin-server', discoverJellyfin);
};
