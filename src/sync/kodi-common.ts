/**
 * What the Kodi workflows share: their options, the player reference, Kodi's own form of a target path, and
 * result items.
 */
import type { KodiConnection } from '../players/kodi/connection';
import {
  KodiItem,
  KodiItemType,
  KodiSource,
  findItemsByPath,
  getVideoSources,
} from '../players/kodi/library';
import { isUnder, splitFile } from '../core/paths';
import { ResultItem, SyncTarget } from '../core/result';
import { episodeTitle } from '../core/playback';

import { describeSources, inSourceForm, sourceFor } from '../players/kodi/sources';

export interface KodiScanOptions {
  /** Wait for the scan to finish (default true). */
  wait?: boolean;
  /** Check the library for the item afterwards (default true). */
  verify?: boolean;
  timeoutMs?: number;
  /** When the targeted scan does not finish in time: scan the whole library instead (default true). */
  fallbackFullScan?: boolean;
  fallbackTimeoutMs?: number;
  /** What the path holds, when known: narrows the search and picks the right folder for TV. */
  type?: KodiItemType;
  pollMs?: number;
  signal?: AbortSignal;
}

export interface KodiPlayerRef {
  conn: KodiConnection;
  /** The name to show in results (config node name or label). */
  name: string;
}

export const DEFAULT_TIMEOUT_MS = 60000;

export function toResultItems(items: KodiItem[]): ResultItem[] {
  return items.map((i) => ({
    id: i.id,
    type: i.type,
    title:
      i.type === 'episode' && i.showTitle ? episodeTitle(i.showTitle, i.season, i.episode, i.title) : i.title,
    file: i.file,
  }));
}

/**
 * The target as Kodi writes it: the mapped path re-written with the prefix of the source that holds it (Kodi's
 * path filters compare exactly, so "d:\\movies" would not find "D:\\Movies"). Unchanged outside every source.
 */
export async function inKodiForm(
  conn: KodiConnection,
  target: SyncTarget,
): Promise<{ target: SyncTarget; source?: KodiSource; sources: KodiSource[] }> {
  return kodiFormWith(await getVideoSources(conn), target);
}

/** The same, with the Kodi's video sources already known (one request for a whole bulk). */
export function kodiFormWith(
  sources: KodiSource[],
  target: SyncTarget,
): { target: SyncTarget; source?: KodiSource; sources: KodiSource[] } {
  const source = sourceFor(sources, target.playerPath);
  if (!source) return { target, sources };
  const { folder, name } = splitFile(target.playerPath, target.isFile);
  let playerPath = inSourceForm(folder, source) + name;
  if (!target.isFile && !/[\\/]$/.test(target.playerPath)) playerPath = playerPath.replace(/[\\/]$/, '');
  return { target: { ...target, playerPath }, source, sources };
}

/** The item types to look for at a path, from what the change says it is. */
export function typesFor(type: KodiItemType | undefined, isFile: boolean): KodiItemType[] | undefined {
  if (type === 'tvshow') return ['tvshow', 'episode'];
  if (type) return [type];
  return isFile ? ['movie', 'episode', 'musicvideo'] : undefined;
}

export { describeSources };

/** The items an action on `target` should touch: a show when the path is its folder, otherwise the videos. */
export function pickItems(items: KodiItem[], target: SyncTarget): KodiItem[] {
  const { folder } = splitFile(target.playerPath, target.isFile);
  const show = items.find(
    (i) => i.type === 'tvshow' && !target.isFile && isUnder(i.file, folder) && isUnder(folder, i.file),
  );
  if (show) return [show];
  return items.filter((i) => i.type !== 'tvshow');
}

/** The library items at a target (`found`), and those an action on it should touch (`chosen`). */
export async function itemsAt(
  conn: KodiConnection,
  target: SyncTarget,
  type: KodiItemType | undefined,
): Promise<{ found: KodiItem[]; chosen: KodiItem[] }> {
  const types = typesFor(type, target.isFile);
  const found = await findItemsByPath(conn, target.playerPath, { isFile: target.isFile, types });
  return { found, chosen: pickItems(found, target) };
}
