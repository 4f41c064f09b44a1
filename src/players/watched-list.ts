/**
 * A whole library's watched state, listed page by page in the same words for Kodi, Jellyfin/Emby and Plex, so that
 * a reconcile can compare two players with bounded memory: each server is asked for one page of a few hundred
 * items at a time and each page is handed to a visitor before the next is asked for, so neither one answer nor the
 * memory ever holds the whole library. Each player's listing (kodi/, jellyfin/, plex/ watched-list.ts) decodes its
 * own answers into WatchedEntry; the paging loop they share is here.
 */
import type { ProviderIds } from '../core/playback';
import { PlayerError } from './errors';

export interface WatchedEntry {
  /** The player's own id of the item (Kodi movieid/episodeid as text, Jellyfin Id, Plex ratingKey). */
  id: string;
  type: 'movie' | 'episode';
  /** The item's file as the player has it (player path). */
  file?: string;
  title: string;
  year?: number;
  /** For an episode: its show, season and number. */
  show?: string;
  season?: number;
  episode?: number;
  /** The item's ids at IMDb, TMDB and TheTVDB, where the player knows them. */
  ids?: ProviderIds;
  played: boolean;
  /** The resume position, in seconds (0: none). */
  positionS: number;
}

/** Pages of a library's watched state; visit may be async; resolves when every page was visited. */
export type WatchedPageVisitor = (page: WatchedEntry[]) => void | Promise<void>;

/** The page size the listings use when none is given. */
export const WATCHED_PAGE_SIZE = 500;

/** One answer of a paged listing, decoded (a library's watched state; a playlist's entries). */
export interface Page<T> {
  /** What the page holds that the caller wants (rows of other types left out). */
  entries: T[];
  /** How many rows the server sent, kept or not: where the next page starts. */
  rows: number;
  /** How many rows the whole listing has, when the server says. */
  total?: number;
}

/** A page from the rows a server sent, decoded: undefined rows (another type) left out but counted. */
export function pageOf<T>(rows: readonly (T | undefined)[], total: number | undefined): Page<T> {
  const page: Page<T> = { entries: rows.filter((e): e is T => e !== undefined), rows: rows.length };
  if (total !== undefined) page.total = total;
  return page;
}

/** What names an item beside its title, as the listings give it: its year; an episode's show, season, number. */
export interface ItemDescription {
  year?: number;
  show?: string;
  season?: number;
  episode?: number;
}

/** A page of a library's watched state. */
export type WatchedPage = Page<WatchedEntry>;

/**
 * Asks for pages `fetchPage(start, size)` from 0 until the server's total is reached (or a short page says the
 * listing ended), visiting each page before asking for the next. A page is never longer than `pageSize` when it
 * reaches `visit`, even from a server that sends more than it was asked for. A page size that is not a whole
 * number from 1 up is a PlayerError ("config") naming the player and the call, and nothing is asked.
 */
export async function pageThrough<T>(
  player: string,
  call: string,
  pageSize: number,
  fetchPage: (start: number, size: number) => Promise<Page<T>>,
  visit: (page: T[]) => void | Promise<void>,
): Promise<void> {
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new PlayerError({
      player,
      call,
      code: 'config',
      reason: `the page size must be a whole number from 1 up, not ${String(pageSize)}`,
      retryable: false,
    });
  }
  for (let start = 0; ;) {
    const page = await fetchPage(start, pageSize);
    for (let at = 0; at < page.entries.length; at += pageSize) {
      await visit(page.entries.slice(at, at + pageSize));
    }
    start += page.rows;
    // A short (or empty) page is the last one; so is one past the total. A server that sent more than a page
    // ignores the paging and sent everything from `start`: asking again would only repeat it.
    if (page.rows < pageSize || page.rows > pageSize) return;
    if (page.total !== undefined && start >= page.total) return;
  }
}
