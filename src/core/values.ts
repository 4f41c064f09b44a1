/** Values from outside (JSON bodies, frames, files, messages) before their shape is known. */

export type Obj = Record<string, unknown>;

/** A record: not null, not a list, not binary data (a Buffer). */
export const isObject = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** `values` cut into lists of `size` in order (the last one shorter): for requests that take so many at a time. */
export function chunks<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < values.length; at += size) out.push(values.slice(at, at + size));
  return out;
}

/** A text from outside, fit to show: a string, its control characters made spaces, trimmed; undefined when blank. */
export function cleanText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return clean === '' ? undefined : clean;
}
