/**
 * The config dialogs' "Find on the network" buttons: GET <admin>/player-sync/discover/<kind>, with the config node
 * type's write permission, answers within 3 s with what the kind's discovery found (name, host, port, URL, id,
 * version) and, when nothing, why that may be. Nothing in it is secret; nothing from the request is used but the
 * kind. settings.js `playerSync.discovery.<kind>: {address, port}` asks one host instead of the LAN (tests).
 */
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import type { DiscoveryOptions, DiscoveryResult } from '../players/discovery';
import { packageSettings } from './settings';

export function registerDiscovery(
  RED: NodeAPI,
  kind: 'plex' | 'jellyfin' | 'kodi',
  type: string,
  discover: (options: DiscoveryOptions) => Promise<DiscoveryResult>,
): void {
  RED.httpAdmin.get(
    `/player-sync/discover/${kind}`,
    RED.auth.needsPermission(`${type}.write`),
    (_req: Request, res: Response) => {
      const target = packageSettings(RED).discovery[kind];
      discover(target ? { target } : {}).then(
        (result) => res.json({ ok: true, ...result }),
        () => res.json({ ok: false, found: [], note: 'the search could not run on this machine' }),
      );
    },
  );
}
