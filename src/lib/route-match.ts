import { Minimatch, type MinimatchOptions } from 'minimatch';

/**
 * Which routes an event matches (docs/events.md). Deterministic and free of
 * I/O so it is tested on its own. A route's empty fields match anything; a
 * key filter needs a key: the object key of an S3 event, the subject of a
 * generic one.
 */
export interface RouteFilter {
  eventTypes: readonly string[];
  bucket: string | null;
  keyPrefix: string | null;
  keySuffix: string | null;
  keyGlob: string | null;
  serverId: string | null;
}

export interface MatchableEvent {
  kind: 's3' | 'generic';
  type: string;
  bucket: string | null;
  objectKey: string | null;
  subject: string | null;
  serverId: string | null;
}

/** Longest key glob a route may carry; with no braces or extglobs this bounds the compiled pattern. */
export const MAX_GLOB_LENGTH = 256;

/**
 * Plain globs only: no brace expansion (one pattern cannot become thousands),
 * no extglobs, no comments or negation. `*` does not cross "/", `**` does.
 */
const GLOB_OPTIONS: MinimatchOptions = {
  nobrace: true,
  noext: true,
  nocomment: true,
  nonegate: true,
  dot: true,
};

/** Compiled globs, reused across events; cleared if routes churn through many patterns. */
const compiled = new Map<string, Minimatch>();
const MAX_COMPILED = 1000;

export function compileGlob(pattern: string): Minimatch {
  let glob = compiled.get(pattern);
  if (!glob) {
    if (pattern.length > MAX_GLOB_LENGTH) throw new RangeError(`glob longer than ${MAX_GLOB_LENGTH}`);
    glob = new Minimatch(pattern, GLOB_OPTIONS);
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(pattern, glob);
  }
  return glob;
}

/** `s3:ObjectCreated:*` matches every `s3:ObjectCreated:…`; a trailing `*` is the only wildcard. */
export function typeMatches(pattern: string, type: string): boolean {
  return pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type;
}

export function routeMatches(route: RouteFilter, event: MatchableEvent): boolean {
  if (!route.eventTypes.some((p) => typeMatches(p, event.type))) return false;
  if (route.bucket !== null && route.bucket !== event.bucket) return false;
  if (route.serverId !== null && route.serverId !== event.serverId) return false;
  const key = event.kind === 's3' ? event.objectKey : event.subject;
  if (route.keyPrefix !== null && !key?.startsWith(route.keyPrefix)) return false;
  if (route.keySuffix !== null && !key?.endsWith(route.keySuffix)) return false;
  if (route.keyGlob !== null && (key == null || !compileGlob(route.keyGlob).match(key))) return false;
  return true;
}
