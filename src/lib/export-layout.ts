import { minimatch } from 'minimatch';
import type { ExportLayout } from '../workflows/contract';
import { ValidationError } from './errors';
import { normalizeObjectKey } from './keys';

/**
 * How objects become paths inside an export's archive, shared by the API
 * (request-time checks) and the worker (the resolved set). A path is
 * normalised like an object key: relative, no "..", no control characters,
 * so no entry can escape the directory it is unpacked into.
 */

/** The layout's path for one key; throws ValidationError when it escapes or is empty. */
export function archivePath(layout: ExportLayout, key: string): string {
  const segments = key.split('/');
  const name = segments.at(-1) ?? key;
  const dir = segments.slice(0, -1).join('/');
  let path: string;
  switch (layout.mode) {
    case 'keep':
      path = key;
      break;
    case 'strip':
      path = key.startsWith(layout.prefix) ? key.slice(layout.prefix.length) : key;
      break;
    case 'flatten':
      path = name;
      break;
    case 'template': {
      const dot = name.lastIndexOf('.');
      const values: Record<string, string> = {
        key,
        dir,
        name,
        base: dot > 0 ? name.slice(0, dot) : name,
        ext: dot > 0 ? name.slice(dot + 1) : '',
      };
      path = layout.template.replace(
        /\{(key|dir|name|base|ext)\}/g,
        (_m, field: string) => values[field] ?? '',
      );
      break;
    }
  }
  if (path.startsWith('/')) throw new ValidationError(`archive path of "${key}" must be relative`);
  return normalizeObjectKey(path, `archive path of "${key}"`);
}

/** Checks a template without any key: only known fields, and no traversal in its fixed parts. */
export function checkTemplate(template: string): void {
  const unknown = /\{(?!(key|dir|name|base|ext)\})[^}]*\}/.exec(template);
  if (unknown) throw new ValidationError(`layout template has an unknown field ${unknown[0]}`);
  if (template.startsWith('/')) throw new ValidationError('layout template must give relative paths');
  const fixed = template.replace(/\{(key|dir|name|base|ext)\}/g, 'x');
  if (fixed.split('/').includes('..')) throw new ValidationError('layout template must not contain ".."');
}

export interface PathCollision {
  path: string;
  keys: [string, string];
}

/** Archive paths of keys; the first two keys that map to one path are reported, never overwritten. */
export function mapPaths(
  layout: ExportLayout,
  keys: Iterable<string>,
): { paths: string[]; collision?: PathCollision } {
  const seen = new Map<string, string>();
  const paths: string[] = [];
  for (const key of keys) {
    const path = archivePath(layout, key);
    // Zip readers on case-insensitive file systems unpack "A.txt" and "a.txt" to one file.
    const folded = path.normalize('NFC').toLowerCase();
    const first = seen.get(folded);
    if (first !== undefined) return { paths, collision: { path, keys: [first, key] } };
    seen.set(folded, key);
    paths.push(path);
  }
  return { paths };
}

/** Which listed keys a prefix export wants: globs match the key relative to the prefix; exclude wins. */
export function keyFilter(
  prefix: string,
  include: readonly string[] = [],
  exclude: readonly string[] = [],
): (key: string) => boolean {
  const options = { dot: true, matchBase: true };
  const matches = (rel: string, globs: readonly string[]) => globs.some((g) => minimatch(rel, g, options));
  return (key) => {
    if (key.endsWith('/')) return false; // "directory" placeholder objects
    const rel = key.slice(prefix.length);
    return (include.length === 0 || matches(rel, include)) && !matches(rel, exclude);
  };
}
