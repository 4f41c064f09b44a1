/** Plex library sections, items by file path (paged), partial scans, sessions. */
import { PlayerError } from '../errors';
import { listOf, obj, optId, optNum, optObj, optStr, str } from '../shape';
import { PlexClient, container } from './client';
import { isUnder } from '../../core/paths';
import { PlaybackSession, ProviderIds, episodeTitle, providerIds } from '../../core/playback';

export interface PlexSection {
  key: string;
  title: string;
  type: string;
  refreshing?: boolean;
  Location?: { id?: number; path: string }[];
}

export interface PlexItem {
  ratingKey: string;
  title: string;
  type: string;
  file: string;
}

interface PlexMetadata {
  ratingKey?: string;
  title?: string;
  grandparentTitle?: string;
  parentIndex?: number;
  index?: number;
  type?: string;
  duration?: number;
  viewOffset?: number;
  year?: number;
  sessionKey?: string;
  Guid?: string[];
  Media?: { Part?: { file?: string }[] }[];
  Player?: { state?: string; title?: string; device?: string; product?: string };
  Session?: { id?: string };
  User?: { title?: string };
}

export const PAGE_SIZE = 200;

/** One Metadata entry, with the fields we use checked and the rest left out. */
function decodeMetadata(value: unknown, where: string): PlexMetadata {
  const o = obj(value, where);
  const m: PlexMetadata = {
    ratingKey: optId(o.ratingKey, `${where}.ratingKey`),
    title: optStr(o.title, `${where}.title`),
    grandparentTitle: optStr(o.grandparentTitle, `${where}.grandparentTitle`),
    parentIndex: optNum(o.parentIndex, `${where}.parentIndex`),
    index: optNum(o.index, `${where}.index`),
    type: optStr(o.type, `${where}.type`),
    duration: optNum(o.duration, `${where}.duration`),
    viewOffset: optNum(o.viewOffset, `${where}.viewOffset`),
    year: optNum(o.year, `${where}.year`),
    sessionKey: optId(o.sessionKey, `${where}.sessionKey`),
    Guid: listOf(o.Guid, `${where}.Guid`, (g, w) => optStr(obj(g, w).id, `${w}.id`) ?? ''),
    Media: listOf(o.Media, `${where}.Media`, (media, w) => ({
      Part: listOf(obj(media, w).Part, `${w}.Part`, (part, pw) => ({
        file: optStr(obj(part, pw).file, `${pw}.file`),
      })),
    })),
  };
  const player = optObj(o.Player, `${where}.Player`);
  if (player) {
    m.Player = {
      state: optStr(player.state, `${where}.Player.state`),
      title: optStr(player.title, `${where}.Player.title`),
      device: optStr(player.device, `${where}.Player.device`),
      product: optStr(player.product, `${where}.Player.product`),
    };
  }
  const session = optObj(o.Session, `${where}.Session`);
  if (session) m.Session = { id: optId(session.id, `${where}.Session.id`) };
  const user = optObj(o.User, `${where}.User`);
  if (user) m.User = { title: optStr(user.title, `${where}.User.title`) };
  return m;
}

export async function getSections(client: PlexClient): Promise<PlexSection[]> {
  return client.get('GET', '/library/sections', { listing: true }, (body) =>
    listOf(container(body).Directory, 'MediaContainer.Directory', (d, where) => {
      const o = obj(d, where);
      const section: PlexSection = {
        key: optId(o.key, `${where}.key`) ?? '',
        title: optStr(o.title, `${where}.title`) ?? '',
        type: optStr(o.type, `${where}.type`) ?? '',
        Location: listOf(o.Location, `${where}.Location`, (l, w) => {
          const loc = obj(l, w);
          return { id: optNum(loc.id, `${w}.id`), path: str(loc.path, `${w}.path`) };
        }),
      };
      // JSON answers say true/false; older servers' attribute form says 1/0.
      if (o.refreshing !== undefined)
        section.refreshing = o.refreshing === true || o.refreshing === 1 || o.refreshing === '1';
      return section;
    }),
  );
}

/** The section with the longest Location path holding `path`, or undefined. */
export function sectionFor(sections: PlexSection[], path: string): PlexSection | undefined {
  let best: { section: PlexSection; length: number } | undefined;
  for (const section of sections) {
    for (const loc of section.Location ?? []) {
      if (isUnder(path, loc.path) && (!best || loc.path.length > best.length))
        best = { section, length: loc.path.length };
    }
  }
  return best?.section;
}

export function describeSections(sections: PlexSection[]): string {
  return sections.length
    ? sections.map((s) => `${s.title}: ${(s.Location ?? []).map((l) => l.path).join(', ')}`).join('; ')
    : 'no library section';
}

/**
 * Asks for a scan of one folder. GET on current servers; POST where GET is refused. Never PUT (404 since PMS
 * 1.32.7). Plex answers 200 even for a folder that matches nothing: the caller verifies.
 */
export async function requestPartialScan(
  client: PlexClient,
  section: PlexSection,
  folder: string,
): Promise<{ method: string; params: Record<string, unknown> }> {
  const url = `/library/sections/${encodeURIComponent(section.key)}/refresh`;
  const params = { path: folder };
  try {
    await client.request('GET', url, { params });
    return { method: `GET ${url}`, params };
  } catch (err) {
    if (!(err instanceof PlayerError) || (err.status !== 404 && err.status !== 405)) throw err;
    await client.request('POST', url, { params });
    return { method: `POST ${url}`, params };
  }
}

/** Items of a section whose file is `path` (a file) or lies under it (a folder), listed page by page. */
export async function findItemsByPath(
  client: PlexClient,
  section: PlexSection,
  path: string,
  isFile: boolean,
  pageSize = PAGE_SIZE,
): Promise<PlexItem[]> {
  const found: PlexItem[] = [];
  const type = section.type === 'show' ? 4 : section.type === 'movie' ? 1 : undefined;
  const matches = (file: string): boolean =>
    isFile ? isUnder(file, path) && isUnder(path, file) : isUnder(file, path);
  for (let start = 0; ; start += pageSize) {
    const res = await client.get(
      'GET',
      `/library/sections/${encodeURIComponent(section.key)}/all`,
      {
        listing: true,
        params: { type },
        headers: { 'X-Plex-Container-Start': String(start), 'X-Plex-Container-Size': String(pageSize) },
      },
      (body) => {
        const c = container(body);
        return {
          Metadata: listOf(c.Metadata, 'MediaContainer.Metadata', decodeMetadata),
          totalSize: optNum(c.totalSize, 'MediaContainer.totalSize'),
        };
      },
    );
    const page = res.Metadata;
    for (const m of page) {
      const files = (m.Media ?? []).flatMap((media) => (media.Part ?? []).map((p) => p.file ?? ''));
      const file = files.find((f) => f && matches(f));
      if (file && m.ratingKey) {
        found.push({ ratingKey: m.ratingKey, title: titleOf(m), type: m.type ?? 'unknown', file });
      }
    }
    const total = res.totalSize;
    if (page.length < pageSize || (total !== undefined && start + page.length >= total)) return found;
  }
}

function titleOf(m: PlexMetadata): string {
  if (m.type === 'episode' && m.grandparentTitle)
    return episodeTitle(m.grandparentTitle, m.parentIndex, m.index, m.title ?? '');
  return m.title ?? 'unknown';
}

export async function refreshMetadata(client: PlexClient, ratingKey: string): Promise<string> {
  const url = `/library/metadata/${encodeURIComponent(ratingKey)}/refresh`;
  await client.request('PUT', url);
  return `PUT ${url}`;
}

/** One item's file, runtime and provider ids by its rating key; undefined when the server has no such item. */
export async function getPlexItem(
  client: PlexClient,
  ratingKey: string,
): Promise<{ file?: string; runtimeS?: number; ids?: ProviderIds } | undefined> {
  let items: PlexMetadata[];
  try {
    items = await client.get(
      'GET',
      `/library/metadata/${encodeURIComponent(ratingKey)}`,
      { params: { includeGuids: 1 } },
      (body) => listOf(container(body).Metadata, 'MediaContainer.Metadata', decodeMetadata),
    );
  } catch (err) {
    if (err instanceof PlayerError && err.code === 'not-found') return undefined;
    throw err;
  }
  const m = items.at(0);
  if (!m) return undefined;
  return {
    file: m.Media?.[0]?.Part?.[0]?.file,
    runtimeS: m.duration === undefined ? undefined : m.duration / 1000,
    ids: providerIds(m.Guid),
  };
}

export async function getPlexPlayback(client: PlexClient): Promise<PlaybackSession[]> {
  const sessions = await client.get(
    'GET',
    '/status/sessions',
    { listing: true, params: { includeGuids: 1 } },
    (body) => listOf(container(body).Metadata, 'MediaContainer.Metadata', decodeMetadata),
  );
  return sessions.map((m) => ({
    kind: m.type === 'track' ? 'audio' : m.type === 'photo' ? 'picture' : 'video',
    type: m.type ?? 'unknown',
    id: m.ratingKey,
    title: titleOf(m),
    file: m.Media?.[0]?.Part?.[0]?.file,
    paused: m.Player?.state === 'paused',
    progress:
      m.viewOffset !== undefined && m.duration
        ? Math.round((m.viewOffset / m.duration) * 1000) / 10
        : undefined,
    positionSeconds: m.viewOffset !== undefined ? m.viewOffset / 1000 : undefined,
    durationSeconds: m.duration !== undefined ? m.duration / 1000 : undefined,
    user: m.User?.title,
    device: m.Player?.title ?? m.Player?.device,
    sessionId: m.sessionKey ?? m.Session?.id,
    client: m.Player?.product,
    year: m.year,
    show: m.type === 'episode' ? m.grandparentTitle : undefined,
    season: m.type === 'episode' ? m.parentIndex : undefined,
    episode: m.type === 'episode' ? m.index : undefined,
    ids: providerIds(m.Guid),
  }));
}

/** Whether any section (or the one given) is refreshing. */
export async function isRefreshing(client: PlexClient, sectionKey?: string): Promise<boolean> {
  const sections = await getSections(client);
  return sections.some((s) => (sectionKey === undefined || s.key === sectionKey) && s.refreshing === true);
}
