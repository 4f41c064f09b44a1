/** What the config nodes offer their flow nodes. */
import type { Node, NodeAPI } from 'node-red';
import type { KodiConnection } from '../players/kodi/connection';
import type { JellyfinClient } from '../players/jellyfin/client';
import type { PlexClient } from '../players/plex/client';
import type { PlexNotifications } from '../players/plex/notifications';
import type { JellyfinSocket } from '../players/jellyfin/socket';
import { PathMapper } from '../sync/path-mapping';
import type { StatusUser } from './users';

export interface PathMappingsNode extends Node {
  /** The validated rule set, or undefined when `problem` says why not. */
  mapper?: PathMapper;
  problem?: string;
}

export interface PlayerConfigNode<Kind extends string> extends Node {
  kind: Kind;
  /** `Kodi "Living room" (host:port)`: for messages; never holds a secret. */
  label: string;
  register(user: StatusUser): void;
  deregister(user: StatusUser): void;
  /** The player's path mapper; throws a PathMappingError naming the config node when its rules are bad. */
  mapper(): PathMapper;
}

export interface KodiPlayerNode extends PlayerConfigNode<'kodi'> {
  connection: KodiConnection;
}

export interface JellyfinServerNode extends PlayerConfigNode<'jellyfin'> {
  client: JellyfinClient;
  /** Its WebSocket, shared by its flow nodes (Sessions pushed where the version allows; polling otherwise). */
  socket?: JellyfinSocket;
}

export interface PlexServerNode extends PlayerConfigNode<'plex'> {
  client: PlexClient;
  /** Its notification socket, shared by its flow nodes (polling when it is not up). */
  socket?: PlexNotifications;
}

export type AnyPlayerNode = KodiPlayerNode | JellyfinServerNode | PlexServerNode;

export type PlayerType = AnyPlayerNode['kind'];

/** The config node type of each kind of player. */
export const CONFIG_TYPES: Record<PlayerType, string> = {
  kodi: 'kodi-player',
  jellyfin: 'jellyfin-server',
  plex: 'plex-server',
};

const NO_MAPPING = new PathMapper([]);

/** Resolves a player's `path-mappings` reference: no reference means paths pass unchanged. */
export function resolveMapper(
  RED: NodeAPI,
  mappingsId: string | undefined,
  player: string,
): () => PathMapper {
  return () => {
    if (!mappingsId) return NO_MAPPING;
    const node = RED.nodes.getNode(mappingsId) as PathMappingsNode | null;
    if (!node) {
      throw new Error(
        `${player}: its path-mappings config node is missing: pick one in the player's settings or clear it`,
      );
    }
    if (!node.mapper) {
      throw new Error(
        `${player}: path mappings "${node.name ?? node.id}" are invalid: ${node.problem ?? 'unknown'}`,
      );
    }
    return node.mapper;
  };
}

/** Looks up a config node of the expected type; undefined when it is missing or of another type. */
export function getConfigNode(RED: NodeAPI, id: string | undefined, type: string): AnyPlayerNode | undefined {
  if (!id) return undefined;
  const node = RED.nodes.getNode(id) as AnyPlayerNode | null;
  return node && node.type === type ? node : undefined;
}
