/**
 * Paths of every style the players use (POSIX, Windows drives, UNC shares, URLs such as smb://), parsed and
 * compared on whole segments. The ground floor: no mapping rules, no player, nothing of Node-RED.
 */

export type PathStyle = 'posix' | 'drive' | 'unc' | 'url';

export interface ParsedPath {
  style: PathStyle;
  /** '' for posix, 'C:' for a drive, the server for UNC, 'scheme://host' for a URL. */
  root: string;
  segments: string[];
  trailing: boolean;
}

/** A path that is not an absolute path of a known style (or holds what no player can hold). */
export class PathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathMappingError'; // the name users have seen in errors since the first release
  }
}

const URL_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/]*)((?:\/.*)?)$/;
const DRIVE_RE = /^([a-zA-Z]):((?:[\\/].*)?)$/;
const UNC_RE = /^\\\\([^\\/]+)(.*)$/;

const ABSOLUTE_HINT = 'use an absolute path: /…, C:\\…, \\\\server\\share\\… or smb://host/share/…';

function splitSegments(rest: string, separators: RegExp, original: string): string[] {
  const segments: string[] = [];
  for (const segment of rest.split(separators)) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      throw new PathError(`path "${original}" contains a ".." segment: ${ABSOLUTE_HINT} without ".."`);
    }
    segments.push(segment);
  }
  return segments;
}

/** Whether `text` holds a control character (C0 or DEL: NUL, a tab, a line break…), which no player's path can. */
export function hasControlCharacter(text: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are what is looked for
  return /[\u0000-\u001f\u007f]/.test(text);
}

/** Parses an absolute path of any supported style; throws PathError for relative paths and `..`. */
export function parsePath(input: string): ParsedPath {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new PathError(`path is empty: ${ABSOLUTE_HINT}`);
  }
  if (hasControlCharacter(input)) {
    throw new PathError(
      `path ${JSON.stringify(input.slice(0, 200))} contains a control character (NUL, a tab or a line break): ` +
        'no player can hold such a path; send the path as the library has it',
    );
  }
  const path = input.trim();
  const url = URL_RE.exec(path);
  if (url) {
    const rest = url[3];
    return {
      style: 'url',
      root: `${url[1].toLowerCase()}://${url[2]}`,
      segments: splitSegments(rest, /\//, input),
      trailing: rest === '' || rest.endsWith('/'),
    };
  }
  const unc = UNC_RE.exec(path);
  if (unc) {
    return {
      style: 'unc',
      root: unc[1],
      segments: splitSegments(unc[2], /[\\/]/, input),
      trailing: /[\\/]$/.test(unc[2]),
    };
  }
  const drive = DRIVE_RE.exec(path);
  if (drive) {
    const rest = drive[2];
    return {
      style: 'drive',
      root: `${drive[1].toUpperCase()}:`,
      segments: splitSegments(rest, /[\\/]/, input),
      trailing: rest === '' || /[\\/]$/.test(rest),
    };
  }
  if (path.startsWith('/')) {
    return {
      style: 'posix',
      root: '',
      segments: splitSegments(path, /\//, input),
      trailing: path.endsWith('/'),
    };
  }
  throw new PathError(`path "${input}" is relative: ${ABSOLUTE_HINT}`);
}

/** Windows paths and SMB shares compare without regard to case. */
export function isCaseInsensitive(p: ParsedPath): boolean {
  return p.style === 'drive' || p.style === 'unc' || (p.style === 'url' && p.root.startsWith('smb://'));
}

/** Formats a parsed path in its own style's separators. */
export function formatPath(p: ParsedPath): string {
  const trail = p.trailing && p.segments.length > 0;
  switch (p.style) {
    case 'posix':
      return '/' + p.segments.join('/') + (trail ? '/' : '');
    case 'drive':
      return `${p.root}\\` + p.segments.join('\\') + (trail ? '\\' : '');
    case 'unc':
      return `\\\\${p.root}` + p.segments.map((s) => `\\${s}`).join('') + (trail ? '\\' : '');
    case 'url':
      return `${p.root}/` + p.segments.join('/') + (trail ? '/' : '');
  }
}

/** Whether two parsed paths have the same root (drive, server, scheme and host). */
export function sameRoot(a: ParsedPath, b: ParsedPath): boolean {
  if (a.style !== b.style) return false;
  // Drive letters are upper-cased by parsePath; URL schemes lower-cased. Hosts and servers are case-insensitive.
  return a.root.toLowerCase() === b.root.toLowerCase();
}

/** Number of segments of `prefix` if it is a whole-segment prefix of `path`, otherwise -1. */
export function prefixLength(prefix: ParsedPath, path: ParsedPath): number {
  if (!sameRoot(prefix, path) || prefix.segments.length > path.segments.length) return -1;
  const fold = isCaseInsensitive(prefix);
  for (let i = 0; i < prefix.segments.length; i++) {
    const a = prefix.segments[i];
    const b = path.segments[i];
    if (fold ? a.toLowerCase() !== b.toLowerCase() : a !== b) return -1;
  }
  return prefix.segments.length;
}

/** The folder that holds `path`: the path itself when it ends with a separator, otherwise its parent. */
export function folderOf(path: string): string {
  const parsed = parsePath(path);
  if (parsed.trailing || parsed.segments.length === 0) return formatPath({ ...parsed, trailing: true });
  return formatPath({ ...parsed, segments: parsed.segments.slice(0, -1), trailing: true });
}

/** The folder above a folder, in its own style (the folder itself when it has no parent or is no plain path). */
export function parentFolder(folder: string): string {
  try {
    return folderOf(folder.replace(/[\\/]+$/, ''));
  } catch {
    return folder;
  }
}

/** Whether `path` is `prefix` or lies under it, on whole segments, with the case rules of the prefix's style. */
export function isUnder(path: string, prefix: string): boolean {
  try {
    const p = parsePath(path);
    const q = parsePath(prefix);
    if (p.style !== q.style || q.segments.length > p.segments.length) return false;
    const fold = isCaseInsensitive(q);
    const eq = (a: string, b: string): boolean => (fold ? a.toLowerCase() === b.toLowerCase() : a === b);
    return eq(p.root, q.root) && q.segments.every((s, i) => eq(s, p.segments[i]));
  } catch {
    return false; // multipath:// and other special sources are not plain paths
  }
}

/** The separator a Kodi path uses. */
export function separatorOf(path: string): '/' | '\\' {
  return /^[a-zA-Z]:\\|^\\\\/.test(path) || (!path.includes('/') && path.includes('\\')) ? '\\' : '/';
}

/** Splits a player path into folder (with trailing separator) and file name ('' for a folder). */
export function splitFile(path: string, isFile: boolean): { folder: string; name: string } {
  const sep = separatorOf(path);
  if (!isFile) return { folder: path.endsWith(sep) ? path : path + sep, name: '' };
  const at = path.lastIndexOf(sep);
  return { folder: path.slice(0, at + 1), name: path.slice(at + 1) };
}

const MEDIA_EXTENSIONS = new Set([
  'mkv',
  'mp4',
  'm4v',
  'avi',
  'mov',
  'wmv',
  'mpg',
  'mpeg',
  'ts',
  'm2ts',
  'mts',
  'iso',
  'vob',
  'webm',
  'flv',
  'ogv',
  'divx',
  'xvid',
  '3gp',
  'strm',
  'nfo',
  'srt',
  'ass',
  'ssa',
  'sub',
  'idx',
  'jpg',
  'jpeg',
  'png',
  'tbn',
  'mp3',
  'flac',
]);

/** Whether a path names a media or sidecar file (a folder like "Film.2020.x264" does not). */
export function looksLikeFile(path: string): boolean {
  if (/[\\/]$/.test(path)) return false;
  const m = /\.([a-z0-9]{1,5})$/i.exec(path);
  return m !== null && MEDIA_EXTENSIONS.has(m[1].toLowerCase());
}
