import { createHash } from 'node:crypto';
import { readObject } from '../../lib/s3';
import type { ActivityDeps } from '../deps';
import { whileHeartbeating } from './heartbeat';
import { loadManifest } from './store';
import { Failure, nonRetryable } from '../../workflows/contract';

export function createVerifyActivities({ db, s3, config }: ActivityDeps) {
  return {
    /**
     * Streams the staged chunks in order through SHA-256 and compares with the
     * client's whole-file checksum. This, and coalescing small chunks, are the
     * only times file bytes pass through a worker. It runs before the multipart
     * upload is completed, so a mismatch never leaves (or overwrites) a final
     * object. A retry hashes from the start again: node's hash is faster than
     * a resumable WASM one, so resuming would cost more than it saves.
     */
    async verifyUploadChecksum(uploadId: string): Promise<{ bytesVerified: number }> {
      const upload = await db.upload.findUniqueOrThrow({ where: { id: uploadId } });
      const expected = upload.sha256;
      if (!expected) return { bytesVerified: 0 };
      const chunks = await loadManifest(db, uploadId);
      let bytes = 0;
      const actual = await whileHeartbeating(
        async (abortSignal) => {
          const hash = createHash('sha256');
          for (const c of chunks) {
            const body = await readObject(
              s3,
              { Bucket: config.FERRY_BUCKET, Key: c.stagingKey },
              { signal: abortSignal },
            );
            for await (const buf of body) {
              hash.update(buf as Buffer);
              bytes += (buf as Buffer).length;
            }
          }
          return hash.digest('hex');
        },
        () => ({ bytes }),
      );
      if (actual !== expected) {
        throw nonRetryable(
          Failure.ChecksumMismatch,
          `whole-file SHA-256 mismatch: the client declared ${expected}, the chunks hash to ${actual}`,
        );
      }
      return { bytesVerified: bytes };
    },
  };
}
