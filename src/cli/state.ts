import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * What lets `ferry upload` resume: one small JSON file per (file version,
 * API, key, chunk size) in ~/.ferry/uploads (or $FERRY_STATE_DIR). It holds
 * the upload ID and the checksums computed on the first run, so a rerun only
 * asks the API which chunks it has and sends the others.
 */
export interface UploadState {
  uploadId: string;
  size: number;
  chunkSize: number;
  sha256: string;
  chunkSha256: string[];
}

export interface FileIdentity {
  path: string;
  size: number;
  mtimeMs: number;
  apiUrl: string;
  key: string | null;
  chunkSize: number;
}

function stateDir(): string {
  return process.env.FERRY_STATE_DIR || path.join(homedir(), '.ferry', 'uploads');
}

function stateFile(id: FileIdentity): string {
  const digest = createHash('sha256').update(JSON.stringify(id)).digest('hex');
  return path.join(stateDir(), `${digest}.json`);
}

export async function loadState(id: FileIdentity): Promise<UploadState | null> {
  let text: string;
  try {
    text = await readFile(stateFile(id), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const state = JSON.parse(text) as UploadState;
  return state.size === id.size && state.chunkSize === id.chunkSize ? state : null;
}

export async function saveState(id: FileIdentity, state: UploadState): Promise<void> {
  const file = stateFile(id);
  await mkdir(path.dirname(file), { recursive: true });
  // Written whole then renamed: a kill mid-write leaves the old file or none, never half of one.
  await writeFile(`${file}.tmp`, JSON.stringify(state));
  await rename(`${file}.tmp`, file);
}

export async function forgetState(id: FileIdentity): Promise<void> {
  await rm(stateFile(id), { force: true });
}
