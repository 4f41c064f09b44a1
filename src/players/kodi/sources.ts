/** Kodi's video sources and its own form of a path: the prefix text of the source that holds it. */
import { isUnder, parsePath, separatorOf } from '../../core/paths';
import type { KodiSource } from './library';

/** The source holding `path` (longest match), or undefined. */
export function sourceFor(sources: KodiSource[], path: string): KodiSource | undefined {
  return sources
    .filter((s) => isUnder(path, s.file))
    .sort((a, b) => b.file.length - a.file.length)
    .at(0);
}

/** `folder` (under `source`) re-written with the source's own prefix text, so separators and case are Kodi's. */
export function inSourceForm(folder: string, source: KodiSource): string {
  const sep = separatorOf(source.file);
  const root = source.file.endsWith(sep) ? source.file : source.file + sep;
  try {
    const rest = parsePath(folder).segments.slice(parsePath(source.file).segments.length);
    return rest.length === 0 ? root : root + rest.join(sep) + sep;
  } catch {
    return folder;
  }
}

/** The sources, for an error that says where a path should be. */
export function describeSources(sources: KodiSource[]): string {
  return sources.length ? sources.map((s) => `${s.label}: ${s.file}`).join('; ') : 'Kodi has no video source';
}
