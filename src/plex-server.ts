/** Config node `plex-server`: one Plex Media Server, its token and its path mappings. */
import type { NodeAPI } from 'node-red';
import { PlexClient, PlexEndpoint, plexLabel, probePlex } from './players/plex/client';
import { registerServerConfig } from './node-red/server-config';
import { PlexNotifications } from './players/plex/notifications';
import { text } from './node-red/test-connection';
import { registerPlexSignIn } from './node-red/plex-signin';
import { registerDiscovery } from './node-red/discovery';
import { discoverPlex } from './players/plex/gdm';

export = function (RED: NodeAPI): void {
  const issuedFor = registerPlexSignIn(RED);
  registerServerConfig<'plex', PlexEndpoint, PlexClient>(RED, {
    type: 'plex-server',
    kind: 'plex',
    secret: 'token',
    endpoint: (base, settings, token, id) => ({
      ...base,
      token,
      // The editor fills in a UUID when the node is created; older flows fall back to the node id, also stable.
      clientId: text(settings.clientId).trim() || (id ? `player-sync-${id}` : 'player-sync-test-connection'),
    }),
    label: plexLabel,
    client: (endpoint) => new PlexClient(endpoint),
    check: async (client) => ({ version: (await client.serverInfo()).version }),
    probe: probePlex,
    socket: (endpoint) => new PlexNotifications(endpoint),
    issuedFor,
  });
  registerDiscovery(RED, 'plex', 'plex-server', discoverPlex);
};
