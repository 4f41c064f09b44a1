/**
 * Query strings with every reserved character percent-encoded (a space as %20, never "+"; "#", "&", "+" and
 * non-ASCII escaped), for servers that read paths from the query.
 */
export function encodeQuery(params: Record<string, unknown>): string {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v as string | number | boolean))}`)
    .join('&');
}
