/**
 * Shape checks for what servers answer. A server's JSON is hostile until checked: each decoder states the shape it
 * relies on with these helpers, and a wrong shape becomes a PlayerError ("protocol") that names the player, the
 * call and the field, never a TypeError from deep inside a decoder.
 */
import { Obj, isObject } from '../core/values';
import { PlayerError } from './errors';

/** A wrong shape found while decoding; `decode` turns it into a PlayerError with the player and the call. */
export class ShapeError extends Error {
  constructor(
    readonly where: string,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(`${where} is ${kindOf(got)}, not ${expected}`);
    this.name = 'ShapeError';
  }
}

/** What a value is, in a few words, without echoing it (it may be long or hold anything). */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'undefined':
      return 'missing';
    case 'string':
      return 'text';
    case 'object':
      return 'an object';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true/false';
    default:
      return typeof value;
  }
}

/** An object, or a ShapeError. */
export function obj(value: unknown, where: string): Obj {
  if (!isObject(value)) throw new ShapeError(where, 'an object', value);
  return value;
}

/** An optional object: undefined and null are absent. */
export function optObj(value: unknown, where: string): Obj | undefined {
  return value === undefined || value === null ? undefined : obj(value, where);
}

/** A list, or a ShapeError. */
export function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new ShapeError(where, 'a list', value);
  return value;
}

/** An optional list (undefined and null are an empty one), each element decoded by `each`. */
export function listOf<T>(value: unknown, where: string, each: (v: unknown, where: string) => T): T[] {
  if (value === undefined || value === null) return [];
  return list(value, where).map((v, i) => each(v, `${where}[${i}]`));
}

export function str(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new ShapeError(where, 'text', value);
  return value;
}

export function optStr(value: unknown, where: string): string | undefined {
  return value === undefined || value === null ? undefined : str(value, where);
}

export function num(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ShapeError(where, 'a number', value);
  return value;
}

export function int(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new ShapeError(where, 'a whole number', value);
  return value;
}

export function optNum(value: unknown, where: string): number | undefined {
  return value === undefined || value === null ? undefined : num(value, where);
}

export function optBool(value: unknown, where: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new ShapeError(where, 'true/false', value);
  return value;
}

/** An id that servers send as text or as a number (Plex ratingKey, Kodi ids): always text here. */
export function optId(value: unknown, where: string): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return optStr(value, where);
}

/**
 * Runs a decoder over one answer: a ShapeError becomes a PlayerError that names the player, the call and the
 * field. Other errors pass unchanged.
 */
export function decode<T>(player: string, call: string, fix: string | undefined, decoder: () => T): T {
  try {
    return decoder();
  } catch (err) {
    if (err instanceof ShapeError) {
      throw new PlayerError({
        player,
        call,
        code: 'protocol',
        reason: `the answer has the wrong shape: ${err.message}`,
        fix,
        retryable: false,
      });
    }
    throw err;
  }
}
