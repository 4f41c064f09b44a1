/** Jellyfin's libraries, items by path, refresh calls, sessions and the library scan task. */
import { listOf, obj, optBool, optNum, optObj, optStr, str } from '../shape';
import type { JellyfinClient } from './client';
import { isUnder } from '../../core/paths';
import { PlaybackSession, episodeTitle, providerIds } from '../../core/playback';

export interface JellyfinLibrary {
  Name: string;
  ItemId: string;
  CollectionType?: string;
  Locations: string[];
}

export interface JellyfinItem {
  Id: string;
  Name: string;
  Type: string;
  Path?: string;
  ProviderIds?: Record<string, string>;
  DateLastRefreshed?: string;
}

export type UpdateType = 'Created' | 'Modified' | 'Deleted';

export type RefreshMode = 'None' | 'ValidationOnly' | 'Default' | 'FullRefresh';

const PAGE_SIZE = 500;

export async function getLibraries(client: JellyfinClient): Promise<JellyfinLibrary[]> {
  return client.get('GET', '/Library/VirtualFolders', { listing: true }, (body) =>
    listOf(body, 'the answer', (l, where) => {
      const o = obj(l, where);
      const lib: JellyfinLibrary = {
        Name: optStr(o.Name, `${where}.Name`) ?? '',
        ItemId: str(o.ItemId, `${where}.ItemId`),
        Locations: listOf(o.Locations, `${where}.Locations`, str),
      };
      const type = optStr(o.CollectionType, `${where}.CollectionType`);
      if (type !== undefined) lib.CollectionType = type;
      return lib;
    }),
  );
}

/** The library whose location holds `path` (the longest location wins), or undefined. */
export function libraryFor(libs: JellyfinLibrary[], path: string): JellyfinLibrary | undefined {
  let best: { lib: JellyfinLibrary; length: number } | undefined;
  for (const lib of libs) {
    for (const loc of lib.Locations) {
      if (isUnder(path, loc) && (!best || loc.length > best.length)) best = { lib, length: loc.length };
    }
  }
  return best?.lib;
}

export function describeLibraries(libs: JellyfinLibrary[]): string {
  return libs.length ? libs.map((l) => `${l.Name}: ${l.Locations.join(', ')}`).join('; ') : 'no library';
}

/**
 * Every item of a library, page by page (there is no path filter on /Items), each page handed to `visit`; the
 * params add what to list (fields, item types).
 */
async function eachLibraryPage(
  client: JellyfinClient,
  lib: JellyfinLibrary,
  params: { Fields: string; IncludeItemTypes?: string },
  visit: (items: JellyfinItem[]) => void,
): Promise<void> {
  for (let start = 0; ; start += PAGE_SIZE) {
    const page = await client.get(
      'GET',
      '/Items',
      {
        listing: true,
        params: {
          ParentId: lib.ItemId,
          Recursive: true,
          ...params,
          EnableImages: false,
          EnableUserData: false,
          StartIndex: start,
          Limit: PAGE_SIZE,
          userId: client.endpoint.userId,
        },
      },
      (body) => {
        const o = obj(body, 'the answer');
        return {
          Items: listOf(o.Items, 'Items', decodeItem),
          TotalRecordCount: optNum(o.TotalRecordCount, 'TotalRecordCount'),
        };
      },
    );
    visit(page.Items);
    if (page.Items.length < PAGE_SIZE || start + page.Items.length >= (page.TotalRecordCount ?? 0)) return;
  }
}

/** Items at a path, found by listing the library that holds it and matching the paths here. */
export async function findItemsByPath(
  client: JellyfinClient,
  lib: JellyfinLibrary,
  path: string,
  isFile: boolean,
): Promise<JellyfinItem[]> {
  const found: JellyfinItem[] = [];
  const matches = (p: string | undefined): boolean =>
    p !== undefined && (isFile ? isUnder(p, path) && isUnder(path, p) : isUnder(p, path));
  await eachLibraryPage(client, lib, { Fields: 'Path,ProviderIds,DateLastRefreshed' }, (items) => {
    found.push(...items.filter((i) => matches(i.Path)));
  });
  return found;
}

/** One item by its id, with its path and provider ids; undefined when the server has no such item. */
export async function getItemById(client: JellyfinClient, itemId: string): Promise<JellyfinItem | undefined> {
  const items = await client.get(
    'GET',
    '/Items',
    {
      params: {
        Ids: itemId,
        Recursive: true,
        Fields: 'Path,ProviderIds',
        EnableImages: false,
        EnableUserData: false,
        userId: client.endpoint.userId,
      },
    },
    (body) => listOf(obj(body, 'the answer').Items, 'Items', decodeItem),
  );
  return items.find((i) => i.Id.replace(/-/g, '').toLowerCase() === itemId.replace(/-/g, '').toLowerCase());
}

/** The item types that are folders a refresh can start from (a library's own folder is its CollectionFolder). */
const FOLDER_TYPES = 'Series,Season,Folder,BoxSet';

/**
 * The library item nearest above `path` that Jellyfin knows (a show for a new season or episode, a folder), or
 * undefined when there is none below the library itself.
 */
export async function nearestFolderItem(
  client: JellyfinClient,
  lib: JellyfinLibrary,
  path: string,
): Promise<JellyfinItem | undefined> {
  let best: JellyfinItem | undefined;
  await eachLibraryPage(client, lib, { Fields: 'Path', IncludeItemTypes: FOLDER_TYPES }, (items) => {
    for (const item of items) {
      if (item.Path === undefined || !isUnder(path, item.Path)) continue;
      if (!best?.Path || item.Path.length > best.Path.length) best = item;
    }
  });
  return best;
}

export async function mediaUpdated(
  client: JellyfinClient,
  updates: { Path: string; UpdateType: UpdateType }[],
): Promise<void> {
  await client.request('POST', '/Library/Media/Updated', { data: { Updates: updates } });
}

export interface ItemRefreshOptions {
  metadataRefreshMode: RefreshMode;
  imageRefreshMode: RefreshMode;
  replaceAllMetadata: boolean;
  replaceAllImages: boolean;
}

export async function refreshItem(
  client: JellyfinClient,
  id: string,
  options: ItemRefreshOptions,
): Promise<void> {
  // Emby's refresh takes Recursive (Jellyfin's has no such parameter: a folder's refresh finds new sub-folders).
  const recursive = client.endpoint.server === 'emby' ? { Recursive: true } : {};
  await client.request('POST', `/Items/${encodeURIComponent(id)}/Refresh`, {
    params: { ...options, ...recursive },
  });
}

/** A full library scan. It cancels a running scan and queues it again. */
export async function refreshLibrary(client: JellyfinClient): Promise<void> {
  await client.request('POST', '/Library/Refresh');
}

interface JellyfinSession {
  Id?: string;
  UserName?: string;
  DeviceName?: string;
  Client?: string;
  NowPlayingItem?: {
    Id?: string;
    Name?: string;
    Type?: string;
    MediaType?: string;
    Path?: string;
    SeriesName?: string;
    IndexNumber?: number;
    ParentIndexNumber?: number;
    ProductionYear?: number;
    ProviderIds?: Record<string, unknown>;
    RunTimeTicks?: number;
  };
  PlayState?: { PositionTicks?: number; IsPaused?: boolean };
}

const TICKS_PER_SECOND = 10_000_000;

function decodeItem(value: unknown, where: string): JellyfinItem {
  const o = obj(value, where);
  const item: JellyfinItem = {
    Id: str(o.Id, `${where}.Id`),
    Name: optStr(o.Name, `${where}.Name`) ?? '',
    Type: optStr(o.Type, `${where}.Type`) ?? 'unknown',
  };
  const path = optStr(o.Path, `${where}.Path`);
  if (path !== undefined) item.Path = path;
  const ids = optObj(o.ProviderIds, `${where}.ProviderIds`);
  if (ids) {
    item.ProviderIds = Object.fromEntries(
      Object.entries(ids).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  }
  const refreshed = optStr(o.DateLastRefreshed, `${where}.DateLastRefreshed`);
  if (refreshed !== undefined) item.DateLastRefreshed = refreshed;
  return item;
}

function decodeSession(value: unknown, where: string): JellyfinSession {
  const o = obj(value, where);
  const session: JellyfinSession = {
    Id: optStr(o.Id, `${where}.Id`),
    UserName: optStr(o.UserName, `${where}.UserName`),
    DeviceName: optStr(o.DeviceName, `${where}.DeviceName`),
    Client: optStr(o.Client, `${where}.Client`),
  };
  const item = optObj(o.NowPlayingItem, `${where}.NowPlayingItem`);
  if (item) {
    const w = `${where}.NowPlayingItem`;
    session.NowPlayingItem = {
      Id: optStr(item.Id, `${w}.Id`),
      Name: optStr(item.Name, `${w}.Name`),
      Type: optStr(item.Type, `${w}.Type`),
      MediaType: optStr(item.MediaType, `${w}.MediaType`),
      Path: optStr(item.Path, `${w}.Path`),
      SeriesName: optStr(item.SeriesName, `${w}.SeriesName`),
      IndexNumber: optNum(item.IndexNumber, `${w}.IndexNumber`),
      ParentIndexNumber: optNum(item.ParentIndexNumber, `${w}.ParentIndexNumber`),
      ProductionYear: optNum(item.ProductionYear, `${w}.ProductionYear`),
      ProviderIds: optObj(item.ProviderIds, `${w}.ProviderIds`),
      RunTimeTicks: optNum(item.RunTimeTicks, `${w}.RunTimeTicks`),
    };
  }
  const play = optObj(o.PlayState, `${where}.PlayState`);
  if (play) {
    session.PlayState = {
      PositionTicks: optNum(play.PositionTicks, `${where}.PlayState.PositionTicks`),
      IsPaused: optBool(play.IsPaused, `${where}.PlayState.IsPaused`),
    };
  }
  return session;
}

/**
 * What plays in a list of Jellyfin sessions (GET /Sessions, or the socket's "Sessions" message, which carries the
 * same list): one entry per session with a NowPlayingItem; an idle session stays listed without one. Throws a
 * shape error (the caller names the server) when the list is not one.
 */
export function playbackOfSessions(body: unknown): PlaybackSession[] {
  const sessions = listOf(body, 'the answer', decodeSession);
  return sessions.flatMap((s): PlaybackSession[] => {
    const item = s.NowPlayingItem;
    if (!item) return [];
    const kind = item.MediaType === 'Audio' ? 'audio' : item.MediaType === 'Photo' ? 'picture' : 'video';
    const position = s.PlayState?.PositionTicks;
    const duration = item.RunTimeTicks;
    const episode = item.Type === 'Episode';
    const season = episode ? item.ParentIndexNumber : undefined;
    const number = episode ? item.IndexNumber : undefined;
    return [
      {
        kind,
        type: (item.Type ?? 'unknown').toLowerCase(),
        id: item.Id,
        title: item.SeriesName
          ? episodeTitle(item.SeriesName, season, number, item.Name ?? '')
          : (item.Name ?? 'unknown'),
        file: item.Path,
        paused: s.PlayState?.IsPaused === true,
        progress:
          position !== undefined && duration ? Math.round((position / duration) * 1000) / 10 : undefined,
        positionSeconds: position !== undefined ? position / TICKS_PER_SECOND : undefined,
        durationSeconds: duration !== undefined ? duration / TICKS_PER_SECOND : undefined,
        user: s.UserName,
        device: s.DeviceName,
        sessionId: s.Id,
        client: s.Client,
        year: item.ProductionYear,
        show: item.SeriesName,
        season,
        episode: number,
        ids: providerIds(item.ProviderIds),
      },
    ];
  });
}

export async function getJellyfinPlayback(client: JellyfinClient): Promise<PlaybackSession[]> {
  return client.get(
    'GET',
    '/Sessions',
    { listing: true, params: { activeWithinSeconds: 960 } },
    playbackOfSessions,
  );
}

export interface ScheduledTask {
  Key?: string;
  State?: 'Idle' | 'Cancelling' | 'Running';
}

/** Whether the library scan task ("RefreshLibrary") is running. */
export async function isLibraryScanRunning(client: JellyfinClient): Promise<boolean> {
  const tasks = await client.get('GET', '/ScheduledTasks', { listing: true }, (body) =>
    listOf(body, 'the answer', (t, where): ScheduledTask => {
      const o = obj(t, where);
      return {
        Key: optStr(o.Key, `${where}.Key`),
        State: optStr(o.State, `${where}.State`) as ScheduledTask['State'],
      };
    }),
  );
  const scan = tasks.find((t) => t.Key === 'RefreshLibrary');
  return scan !== undefined && scan.State !== 'Idle';
}
