/** Values from outside (JSON bodies, frames, files, messages) before their shape is known. */

export type Obj = Record<string, unknown>;

/** A record: not null, not a list, not binary data (a Buffer). */
export const isObject = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
