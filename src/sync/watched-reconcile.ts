/**
 * Watched-sync's first sync between two players: their watched state compared item by item, each library listed
 * page by page (one request per page, not one per item), items matched by library path (each player's path mapped
 * back) and then by provider ids. The differences come out; applying them is a second, explicit step (a dry run is
 * the default), and then "played" wins: an item played on one side is marked played on the other. Memory: the
 * first player's items as small records (path, ids, played), never an answer kept whole. Knows nothing of Node-RED.
 */
import type { WatchedEntry, WatchedPageVisitor } from '../players/watched-list';
import type { WatchedItem } from './watched';

/** One player as the reconcile sees it: its listing, and its player paths mapped back to library paths. */
export interface ReconcileSide {
  key: string;
  name: string;
  list(visit: WatchedPageVisitor): Promise<void>;
  /** A player path as a library path; undefined when no mapping holds it. */
  toLibrary(file: string): string | undefined;
}

/** What one side has of an item: its own id (to write to it without looking it up again) and its state. */
export interface SideState {
  id: string;
  type: 'movie' | 'episode';
  played: boolean;
  positionS: number;
}

export interface Difference {
  item: WatchedItem;
  a: SideState;
  b: SideState;
}

export interface ReconcileReport {
  /** Items found on both sides. */
  matched: number;
  /** By which rule. */
  byPath: number;
  byIds: number;
  /** Items only one side has. */
  onlyA: number;
  onlyB: number;
  differences: Difference[];
}

interface Indexed {
  item: WatchedItem;
  state: SideState;
  matched: boolean;
}

const idKeys = (e: { ids?: WatchedEntry['ids'] }): string[] => {
  const keys: string[] = [];
  if (e.ids?.imdb) keys.push(`imdb:${e.ids.imdb}`);
  if (e.ids?.tmdb) keys.push(`tmdb:${e.ids.tmdb}`);
  if (e.ids?.tvdb) keys.push(`tvdb:${e.ids.tvdb}`);
  return keys;
};

/** A path compared without case and separator style (players on Windows and Linux name the same file). */
const pathKey = (p: string): string => p.replace(/\\/g, '/').toLowerCase();

function itemOf(side: ReconcileSide, e: WatchedEntry): WatchedItem {
  const item: WatchedItem = { type: e.type, title: e.title };
  const libraryPath = e.file === undefined ? undefined : side.toLibrary(e.file);
  if (libraryPath) item.libraryPath = libraryPath;
  if (e.ids) item.ids = e.ids;
  if (e.year !== undefined) item.year = e.year;
  if (e.show !== undefined) item.show = e.show;
  if (e.season !== undefined) item.season = e.season;
  if (e.episode !== undefined) item.episode = e.episode;
  return item;
}

const stateOf = (e: WatchedEntry): SideState => ({
  id: e.id,
  type: e.type,
  played: e.played,
  positionS: e.positionS,
});

/** Compares the watched state of every item of `a` and `b`. */
export async function reconcile(a: ReconcileSide, b: ReconcileSide): Promise<ReconcileReport> {
  const byPath = new Map<string, Indexed>();
  const byId = new Map<string, Indexed>();
  const all: Indexed[] = [];
  await a.list((page) => {
    for (const e of page) {
      const entry: Indexed = { item: itemOf(a, e), state: stateOf(e), matched: false };
      all.push(entry);
      if (entry.item.libraryPath) byPath.set(pathKey(entry.item.libraryPath), entry);
      for (const k of idKeys(e)) if (!byId.has(k)) byId.set(k, entry);
    }
  });
  const report: ReconcileReport = { matched: 0, byPath: 0, byIds: 0, onlyA: 0, onlyB: 0, differences: [] };
  await b.list((page) => {
    for (const e of page) {
      const item = itemOf(b, e);
      let hit = item.libraryPath ? byPath.get(pathKey(item.libraryPath)) : undefined;
      if (hit && !hit.matched) report.byPath++;
      else {
        hit = idKeys(e)
          .map((k) => byId.get(k))
          .find((x) => x !== undefined && !x.matched && x.state.type === e.type);
        if (hit) report.byIds++;
      }
      if (!hit || hit.matched) {
        report.onlyB++;
        continue;
      }
      hit.matched = true;
      report.matched++;
      if (hit.state.played !== e.played) {
        report.differences.push({ item: { ...hit.item, ...definedOf(item) }, a: hit.state, b: stateOf(e) });
      }
    }
  });
  report.onlyA = all.filter((x) => !x.matched).length;
  return report;
}

/** The fields of an item that are set (so that one side's names fill in what the other's lack, not undo them). */
function definedOf(item: WatchedItem): WatchedItem {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined));
}
