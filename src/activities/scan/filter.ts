import { compileGlobs } from '../../lib/globs';

/**
 * Which listed files a server wants. Globs match the path relative to the
 * server's remoteDir ("in/a.csv"), by the rules of src/lib/globs: a pattern
 * without "/" ("*.csv") matches the file name at any depth, one with "/"
 * ("in/**\/*.csv") the whole relative path, and "*" matches hidden files too,
 * so ".upload.tmp" is excluded by "*.tmp". No include globs means every file;
 * exclude wins over include. Build it once per listing: the patterns are
 * compiled here, not per file.
 */
export function fileFilter(include: readonly string[], exclude: readonly string[]): (rel: string) => boolean {
  const included = include.length === 0 ? () => true : compileGlobs(include);
  const excluded = compileGlobs(exclude);
  return (rel) => included(rel) && !excluded(rel);
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
