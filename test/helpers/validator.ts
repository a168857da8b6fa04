import { execFile } from 'node:child_process';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A real HTTP validator for export tests. It stores each archive it receives,
 * checks the SHA-256 header (and the signature when it knows the secret)
 * against what arrived, and has Info-ZIP's `unzip -t` (not Ferry's code)
 * test the archive. `mode` decides the answer: accept what unzip accepts,
 * reject with reasons, or fail with a 5xx; `stop()`/`start()` make
 * connections refused on the same port.
 */
export type ValidatorMode = 'check' | 'reject' | 'error';

export interface ValidatorRequest {
  size: number;
  sha256: string;
  headerSha256: string | undefined;
  signatureOk: boolean | null;
  unzipOk: boolean;
  answered: number;
}

export interface TestValidator {
  url: string;
  mode: ValidatorMode;
  requests: ValidatorRequest[];
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

async function unzipTest(file: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout } = await run('unzip', ['-tqq', file], { maxBuffer: 64 * 1024 * 1024 });
    return { ok: true, output: stdout };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
  }
}

export async function startValidator(
  options: { secret?: string; mode?: ValidatorMode } = {},
): Promise<TestValidator> {
  const requests: ValidatorRequest[] = [];
  const state = { mode: options.mode ?? 'check' };
  const handler: http.RequestListener = (req, res) => {
    void (async () => {
      const file = path.join(tmpdir(), `ferry-validator-${randomUUID()}.zip`);
      const hash = createHash('sha256');
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        size += chunk.length;
      });
      try {
        await pipeline(req, createWriteStream(file));
        const sha256 = hash.digest('hex');
        const headerSha256 = req.headers['x-ferry-archive-sha256'] as string | undefined;
        const timestamp = req.headers['x-ferry-timestamp'] as string | undefined;
        const signature = req.headers['x-ferry-signature'] as string | undefined;
        const signatureOk = options.secret
          ? signature ===
            'sha256=' + createHmac('sha256', options.secret).update(`${timestamp}.${sha256}`).digest('hex')
          : null;
        const unzip = await unzipTest(file);
        const record: ValidatorRequest = {
          size,
          sha256,
          headerSha256,
          signatureOk,
          unzipOk: unzip.ok,
          answered: 0,
        };
        requests.push(record);
        let status = 200;
        let body: unknown = { accepted: true };
        if (state.mode === 'error') [status, body] = [503, { message: 'validator overloaded' }];
        else if (state.mode === 'reject')
          [status, body] = [422, { reasons: ['missing manifest.json', 'file names must be ASCII'] }];
        else if (!unzip.ok || headerSha256 !== sha256 || signatureOk === false) {
          [status, body] = [
            422,
            {
              reasons: [
                unzip.ok ? 'digest or signature mismatch' : `unzip -t: ${unzip.output.slice(0, 500)}`,
              ],
            },
          ];
        }
        record.answered = status;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      } catch (err) {
        res.writeHead(500).end(String(err));
      } finally {
        rmSync(file, { force: true });
      }
    })();
  };
  let server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  };
  return {
    url: `http://127.0.0.1:${port}/validate`,
    get mode() {
      return state.mode;
    },
    set mode(m: ValidatorMode) {
      state.mode = m;
    },
    requests,
    stop,
    async start() {
      server = http.createServer(handler);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      if (server.listening) await stop();
    },
  };
}
