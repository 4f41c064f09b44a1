/** Reading a node's input: msg first, then the node's settings, then defaults; validated. */
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { PathError } from '../core/paths';
import type { AnyPlayerNode } from './config-nodes';
import { looksLikeFile } from '../core/paths';
import { SyncTarget } from '../core/result';

export interface PathSettings {
  /** Where the library path is: a property name for `pathType`. Default: msg.payload (or msg.payload.path). */
  path?: string;
  pathType?: string;
}

/** The library path of a message: msg.payload as a string, msg.payload.path, or the property the node names. */
export function readLibraryPath(
  RED: NodeAPI,
  node: Node,
  settings: PathSettings,
  msg: NodeMessageInFlow,
): string {
  const type = settings.pathType || 'msg';
  const name = settings.path || 'payload';
  let value: unknown;
  if (type === 'msg' && name === 'payload') {
    const payload = msg.payload;
    value = payload !== null && typeof payload === 'object' && 'path' in payload ? payload.path : payload;
  } else {
    value = RED.util.evaluateNodeProperty(name, type, node, msg);
  }
  const where =
    type === 'msg' && name === 'payload' ? 'msg.payload (or msg.payload.path)' : `${type}.${name}`;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(
      `${node.type}: no library path in ${where}: send the path of the file or folder as a string, ` +
        'e.g. "/data/movies/Film (2020)/"',
    );
  }
  return value.trim();
}

/** Maps a library path through the player's path mappings; errors name the player, the path and the fix. */
export function mapForPlayer(player: AnyPlayerNode, libraryPath: string): SyncTarget {
  try {
    const mapped = player.mapper().toPlayer(libraryPath);
    return { libraryPath, playerPath: mapped.path, isFile: looksLikeFile(libraryPath) };
  } catch (err) {
    if (err instanceof PathError) {
      throw new Error(`${player.label}: cannot map "${libraryPath}": ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** A number of seconds from msg (when given) or the node's setting, as milliseconds; validated. */
export function secondsSetting(
  fromMsg: unknown,
  fromNode: string | number | undefined,
  fallback: number,
  what: string,
): number {
  const raw = fromMsg ?? (fromNode === '' || fromNode === undefined ? fallback : fromNode);
  const seconds = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new Error(`${what} must be a number of seconds above 0, not ${JSON.stringify(raw)}`);
  }
  return seconds * 1000;
}
