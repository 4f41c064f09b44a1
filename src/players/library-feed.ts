/**
 * What a library holds, section by section and page by page, in the same words for Kodi, Jellyfin/Emby and Plex,
 * with a fingerprint per item that changes when the server's record of the item changes: the feed that a
 * library-changes run compares with the fingerprints of the run before. Each server's feed (kodi/, jellyfin/,
 * plex/ library-feed.ts) decodes its own answers; they share the paging loop of watched-list.ts.
 *
 * A server that can list only what changed since a point in its own time (Plex `updatedAt>`, Jellyfin
 * `MinDateLastSaved`) says so with `incremental`; a run then asks for the changes and the section's count, and goes
 * through the whole section only when the count says something was removed (or the filter was ignored).
 */
import type { ItemDescription, Page } from './watched-list';

export interface LibraryEntry extends ItemDescription {
  /** The server's own id of the item (Kodi movieid/episodeid as text, Jellyfin Id, Plex ratingKey). */
  id: string;
  type: 'movie' | 'episode';
  title: string;
  /** The item's file as the server has it (the player path); for Plex the first part's. */
  file?: string;
  /** Changes whenever the server's record of the item changes (see each feed for what goes in). */
  fingerprint: string;
  /**
   * Where the item stands on the server's clock for `since` (Plex updatedAt, epoch seconds): the section's next
   * watermark is the largest one seen. Absent where the server has no such clock in its listing.
   */
  stamp?: number;
}

export interface LibrarySection {
  /** The server's key of the section (Plex section key, Jellyfin library ItemId, Kodi "movies"/"episodes"). */
  key: string;
  title: string;
}

/** One page of a section's listing. */
export type FeedPage = Page<LibraryEntry>;

export interface LibraryFeed {
  /** The server, for messages (never a secret). */
  readonly label: string;
  /** Whether `page` can ask for only what changed since a watermark. */
  readonly incremental: boolean;
  sections(): Promise<LibrarySection[]>;
  /** How many items the section holds now (one cheap request). */
  count(section: LibrarySection): Promise<number>;
  /**
   * Rows `start` to `start + size` of the section, in a stable order; with `since` (a watermark from
   * `watermark`), only items changed after it.
   */
  page(section: LibrarySection, start: number, size: number, since?: string): Promise<FeedPage>;
  /**
   * The watermark to give as `since` next time, from the run's start (our clock) and the largest stamp the run saw
   * (the server's clock); undefined: no incremental listing.
   */
  watermark(startedAt: number, largestStamp: number | undefined): string | undefined;
  /** The name of the listing call, for errors. */
  call(section: LibrarySection): string;
}

/** The page size a run uses when none is set. */
export const FEED_PAGE_SIZE = 500;
/** The largest page size a run accepts (larger answers risk the listing cap). */
export const FEED_MAX_PAGE_SIZE = 5000;
