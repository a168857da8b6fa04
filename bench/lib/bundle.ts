import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { encodedFailuresPath } from '../../src/lib/payload-codec';
import { repoRoot } from './paths';

/**
 * Ferry's workflow code bundled for a worker (webpack), cached on disk, for
 * the worker processes the tests and benchmarks start.
 */

/** Every file of a tree, sorted, for a content hash. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .sort();
}

/**
 * Where the workflow bundle of the current sources is cached: named after a
 * hash of src/ and the lock file, so any change to the code or the SDK makes
 * a new one, and the test files of one run (each its own process) bundle once.
 */
function bundleCacheFile(encrypted: boolean): string {
  const hash = createHash('sha256');
  for (const file of [...filesUnder(path.join(repoRoot, 'src')), path.join(repoRoot, 'package-lock.json')]) {
    hash.update(path.relative(repoRoot, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  const name = `workflows-${hash.digest('hex').slice(0, 16)}${encrypted ? '-encrypted' : ''}.js`;
  return path.join(repoRoot, '.ferry/cache', name);
}

const bundlePaths = new Map<boolean, Promise<string>>();

/**
 * The path of the workflow bundle (webpack takes seconds, so it is built once
 * and cached on disk). With payload encryption the bundle carries the failure
 * converter that encodes failure messages, as the worker's own bundle does
 * (src/lib/payload-codec.ts).
 */
export function workflowBundlePath(encrypted = false): Promise<string> {
  let bundlePath = bundlePaths.get(encrypted);
  if (!bundlePath) {
    bundlePath = buildBundle(bundleCacheFile(encrypted), encrypted);
    bundlePaths.set(encrypted, bundlePath);
  }
  return bundlePath;
}

async function buildBundle(file: string, encrypted: boolean): Promise<string> {
  if (existsSync(file)) return file;
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    workflowInterceptorModules: [require.resolve('../../src/workflows/observe')],
    logger: new DefaultLogger('WARN'),
    ...(encrypted ? { failureConverterPath: encodedFailuresPath } : {}),
  });
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true });
  // Written aside and renamed: a test file running at the same time never reads half a bundle.
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, code);
  renameSync(partial, file);
  const current = path.basename(file).slice(0, 'workflows-'.length + 16);
  for (const old of readdirSync(dir)) {
    if (/^workflows-[0-9a-f]{16}/.test(old) && !old.startsWith(current))
      rmSync(path.join(dir, old), { force: true });
  }
  return file;
}
