/**
 * Path mapping between what the library host (Radarr, Sonarr, the NAS) sees and what a player sees.
 *
 * Rules are `from` (library side) → `to` (player side). The longest matching `from`, compared on whole path
 * segments, wins; on a tie the earlier rule wins. The result is written in the target's separator style.
 */

export type PathStyle = 'posix' | 'drive' | 'unc' | 'url';

export interface ParsedPath {
  style: PathStyle;
  /** '' for posix, 'C:' for a drive, the server for UNC, 'scheme://host' for a URL. */
  root: string;
  segments: string[];
  trailing: boolean;
}

export interface MappingRule {
  from: string;
  to: string;
}

export type TrailingMode = 'keep' | 'add' | 'remove';

export interface MappingOptions {
  /** What to do with the trailing separator of the result. */
  trailing?: TrailingMode;
  /** When true, a path that no rule matches is an error instead of passing unchanged. */
  required?: boolean;
}

export interface MappingResult {
  /** The mapped path. */
  path: string;
  /** The input as given. */
  input: string;
  /** Index of the rule that matched, or -1. */
  rule: number;
  matched: boolean;
}

export class PathMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathMappingError';
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
      throw new PathMappingError(`path "${original}" contains a ".." segment: ${ABSOLUTE_HINT} without ".."`);
    }
    segments.push(segment);
  }
  return segments;
}

/** Parses an absolute path of any supported style; throws PathMappingError for relative paths and `..`. */
export function parsePath(input: string): ParsedPath {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new PathMappingError(`path is empty: ${ABSOLUTE_HINT}`);
  }
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(input)) {
    throw new PathMappingError(
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
  throw new PathMappingError(`path "${input}" is relative: ${ABSOLUTE_HINT}`);
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

function sameRoot(a: ParsedPath, b: ParsedPath): boolean {
  if (a.style !== b.style) return false;
  // Drive letters are upper-cased by parsePath; URL schemes lower-cased. Hosts and servers are case-insensitive.
  return a.root.toLowerCase() === b.root.toLowerCase();
}

/** Number of segments of `prefix` if it is a whole-segment prefix of `path`, otherwise -1. */
function prefixLength(prefix: ParsedPath, path: ParsedPath): number {
  if (!sameRoot(prefix, path) || prefix.segments.length > path.segments.length) return -1;
  const fold = isCaseInsensitive(prefix);
  for (let i = 0; i < prefix.segments.length; i++) {
    const a = prefix.segments[i];
    const b = path.segments[i];
    if (fold ? a.toLowerCase() !== b.toLowerCase() : a !== b) return -1;
  }
  return prefix.segments.length;
}

function applyTrailing(p: ParsedPath, mode: TrailingMode | undefined, original: boolean): ParsedPath {
  const trailing = mode === 'add' ? true : mode === 'remove' ? false : original;
  return { ...p, trailing };
}

/** Changes only the trailing separator of an unmapped path, which otherwise passes exactly as given. */
function adjustTrailing(input: string, parsed: ParsedPath, mode: TrailingMode): string {
  const text = input.trim();
  if (mode === 'keep' || parsed.segments.length === 0) return text;
  const windows = parsed.style === 'drive' || parsed.style === 'unc';
  const bare = text.replace(windows ? /[\\/]+$/ : /\/+$/, '');
  return mode === 'add' ? bare + (windows ? '\\' : '/') : bare;
}

function ruleKey(p: ParsedPath): string {
  const text = formatPath({ ...p, trailing: false });
  return isCaseInsensitive(p) ? text.toLowerCase() : text;
}

interface ParsedRule {
  from: ParsedPath;
  to: ParsedPath;
}

/** A validated, ordered rule set. Construct once per config; throws PathMappingError for a bad rule set. */
export class PathMapper {
  private readonly rules: ParsedRule[];
  readonly options: Required<MappingOptions>;

  constructor(rules: readonly MappingRule[], options: MappingOptions = {}) {
    this.options = { trailing: options.trailing ?? 'keep', required: options.required ?? false };
    this.rules = rules.map((rule, i) => {
      const n = i + 1;
      if (typeof rule.from !== 'string' || rule.from.trim() === '') {
        throw new PathMappingError(
          `rule ${n} has no "from" (the library path): fill it in or delete the rule`,
        );
      }
      if (typeof rule.to !== 'string' || rule.to.trim() === '') {
        throw new PathMappingError(`rule ${n} ("${rule.from}") has no "to" (the player path): fill it in`);
      }
      try {
        return { from: parsePath(rule.from), to: parsePath(rule.to) };
      } catch (err) {
        throw new PathMappingError(`rule ${n}: ${(err as Error).message}`);
      }
    });
    this.checkDuplicatesAndLoops();
  }

  private checkDuplicatesAndLoops(): void {
    const byFrom = new Map<string, number>();
    this.rules.forEach((rule, i) => {
      const key = ruleKey(rule.from);
      const earlier = byFrom.get(key);
      if (earlier !== undefined) {
        throw new PathMappingError(
          `rules ${earlier + 1} and ${i + 1} both map "${formatPath({ ...rule.from, trailing: false })}": keep one of them`,
        );
      }
      byFrom.set(key, i);
    });
    // A loop: following from → to through rules whose `from` is exactly the previous `to` comes back to the start
    // (e.g. /a → /b and /b → /a). Mapping is applied once, so such a set can only be a mistake.
    this.rules.forEach((start, i) => {
      const seen = [i];
      let current = byFrom.get(ruleKey(start.to));
      while (current !== undefined && current !== i && !seen.includes(current)) {
        seen.push(current);
        current = byFrom.get(ruleKey(this.rules[current].to));
      }
      if (current === i && !(seen.length === 1 && ruleKey(start.from) === ruleKey(start.to))) {
        const chain = seen.map((r) => formatPath(this.rules[r].from)).concat(formatPath(start.from));
        throw new PathMappingError(
          `mapping loop: ${chain.join(' → ')}; each library folder must map to a player folder once`,
        );
      }
    });
  }

  get size(): number {
    return this.rules.length;
  }

  /** Library path → player path. */
  toPlayer(path: string, options: { trailing?: TrailingMode } = {}): MappingResult {
    return this.map(path, 'from', 'to', options.trailing ?? this.options.trailing);
  }

  /** Player path → library path (for events that come from a player). */
  toLibrary(path: string, options: { trailing?: TrailingMode } = {}): MappingResult {
    return this.map(path, 'to', 'from', options.trailing ?? this.options.trailing);
  }

  private map(
    input: string,
    side: 'from' | 'to',
    other: 'from' | 'to',
    trailing: TrailingMode,
  ): MappingResult {
    const parsed = parsePath(input);
    let best = -1;
    let bestLength = -1;
    this.rules.forEach((rule, i) => {
      const length = prefixLength(rule[side], parsed);
      if (length > bestLength) {
        best = i;
        bestLength = length;
      }
    });
    if (best < 0) {
      if (this.options.required) {
        const known = this.rules.map((r) => `"${formatPath(r[side])}"`).join(', ') || 'none';
        throw new PathMappingError(
          `no mapping rule matches "${input}" and this rule set requires one (rules start with: ${known}): ` +
            'add a rule for that folder or untick "mapping required"',
        );
      }
      return { input, path: adjustTrailing(input, parsed, trailing), rule: -1, matched: false };
    }
    const target = this.rules[best][other];
    const mapped: ParsedPath = {
      ...target,
      segments: [...target.segments, ...parsed.segments.slice(bestLength)],
    };
    return {
      input,
      path: formatPath(applyTrailing(mapped, trailing, parsed.trailing)),
      rule: best,
      matched: true,
    };
  }
}

/** The folder that holds `path`: the path itself when it ends with a separator, otherwise its parent. */
export function folderOf(path: string): string {
  const parsed = parsePath(path);
  if (parsed.trailing || parsed.segments.length === 0) return formatPath({ ...parsed, trailing: true });
  return formatPath({ ...parsed, segments: parsed.segments.slice(0, -1), trailing: true });
}

const TRAILING_MODES: readonly TrailingMode[] = ['keep', 'add', 'remove'];

/** Builds a mapper from untrusted settings (a config node's or the edit dialog's). */
export function mapperFromSettings(settings: {
  rules?: unknown;
  required?: unknown;
  trailing?: unknown;
}): PathMapper {
  const rules = Array.isArray(settings.rules) ? (settings.rules as MappingRule[]) : [];
  const trailing = TRAILING_MODES.find((mode) => mode === settings.trailing) ?? 'keep';
  return new PathMapper(rules, { required: settings.required === true, trailing });
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
