import { minimatch } from 'minimatch';

/**
 * Which listed files a server wants. Globs match the path relative to the
 * server's remoteDir ("in/a.csv"), with minimatch's `matchBase`: a pattern
 * without "/" ("*.csv") matches the file name at any depth, one with "/"
 * ("in/**\/*.csv") the whole relative path. `dot` lets "*" match hidden files
 * too, so ".upload.tmp" is excluded by "*.tmp". No include globs means every
 * file; exclude wins over include.
 */
export function fileFilter(include: readonly string[], exclude: readonly string[]): (rel: string) => boolean {
  const options = { dot: true, matchBase: true };
  const matches = (rel: string, globs: readonly string[]) => globs.some((g) => minimatch(rel, g, options));
  return (rel) => (include.length === 0 || matches(rel, include)) && !matches(rel, exclude);
}

/**
 * A file is stable once its mtime is at least minAgeSeconds old. A file still
 * being written keeps a fresh mtime (and a changing size), so it is left
 * alone; the version finally recorded is the one that stopped changing. An
 * mtime in the future (clock skew) counts as young.
 */
export function isStable(mtimeMs: number, nowMs: number, minAgeSeconds: number): boolean {
  return nowMs - mtimeMs >= minAgeSeconds * 1000;
}
