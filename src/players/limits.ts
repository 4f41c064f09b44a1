/**
 * Caps on what a server may send: an answer past its cap is a clear error, and the client stops reading it, so
 * that one odd or hostile server cannot fill Node-RED's memory.
 */

/** Pings, server details, refresh and scan calls: their answers are a few kilobytes at most. */
export const SMALL_ANSWER_BYTES = 1024 * 1024;

/** Listings (library pages, sections, sessions, directories) by default; settable per config node. */
export const DEFAULT_LISTING_BYTES = 16 * 1024 * 1024;

/** The listing cap from a config node's "largest answer (MB)" setting; the default when it is unset or wrong. */
export function listingCap(megabytes: number | undefined): number {
  return megabytes !== undefined && Number.isFinite(megabytes) && megabytes > 0
    ? Math.round(megabytes * 1024 * 1024)
    : DEFAULT_LISTING_BYTES;
}

/** `bytes` as people read it: "16 MB", "512 kB", "20 bytes". */
export function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} kB`;
  return `${bytes} bytes`;
}
