import { Minimatch, type MinimatchOptions } from 'minimatch';

/**
 * A server's include/exclude globs: how they are checked when registered and
 * compiled when a scan runs. Patterns come from API callers and run on the
 * worker's event loop against every listed file, so what they may cost is
 * bounded: brace expansion (`{a,b}` multiplies patterns: twenty pairs make a
 * million) and extglobs (`+(a|aa)`, nested alternations that backtrack) are
 * off, and patterns are short and few.
 */
export const MAX_GLOB_LENGTH = 256;
export const MAX_GLOBS = 32;

/**
 * `matchBase`: a pattern without "/" ("*.csv") matches the file name at any
 * depth, one with "/" ("in/**\/*.csv") the whole relative path. `dot` lets "*"
 * match hidden files too.
 */
const OPTIONS: MinimatchOptions = { dot: true, matchBase: true, nobrace: true, noext: true };

/** `{a,b}` or `{1..9}`: a brace expansion, which would match literally with brace expansion off. */
const BRACE_SET = /(^|[^\\])\{[^{}]*(,|\.\.)[^{}]*\}/;
/** `@(…)`, `!(…)`, `+(…)`, `*(…)`, `?(…)`: an extglob, which would match literally with extglobs off. */
const EXTGLOB = /(^|[^\\])[@!+*?]\(/;

/**
 * Why a pattern is not accepted, or undefined. The two forms minimatch would
 * now match literally are refused rather than silently meaning something else.
 */
export function globProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_GLOB_LENGTH) return `must be at most ${MAX_GLOB_LENGTH} characters`;
  if (BRACE_SET.test(pattern)) {
    return 'brace expansion ({a,b}, {1..9}) is not supported: list each alternative as its own pattern, or escape the brace (\\{)';
  }
  if (EXTGLOB.test(pattern)) {
    return 'extglobs (@(…), !(…), +(…), *(…), ?(…)) are not supported: list each alternative as its own pattern, or escape the parenthesis (\\()';
  }
  return undefined;
}

/** Compiles the patterns once; the returned test is then a few regular-expression matches per file. */
export function compileGlobs(patterns: readonly string[]): (path: string) => boolean {
  const compiled = patterns.map((p) => new Minimatch(p, OPTIONS));
  return (path) => compiled.some((m) => m.match(path));
}
