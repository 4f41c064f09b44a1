/**
 * Path mapping between what the library host (Radarr, Sonarr, the NAS) sees and what a player sees.
 *
 * Rules are `from` (library side) → `to` (player side). The longest matching `from`, compared on whole path
 * segments, wins; on a tie the earlier rule wins. The result is written in the target's separator style.
 */
import { ParsedPath, PathError, formatPath, isCaseInsensitive, parsePath, prefixLength } from '../core/paths';

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

/** A rule set that cannot work, or a path no rule matches when mapping is required. */
export class PathMappingError extends PathError {}

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
