import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../config';

/** The one S3 client of a process, handed to the API and the activities. */
export function createS3(config: Config): S3Client {
  return new S3Client({
    region: config.S3_REGION,
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    requestHandler: {
      connectionTimeout: 10_000,
      socketTimeout: config.S3_IDLE_TIMEOUT_SECONDS * 1000,
    },
    credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY },
    // Checksums are computed by Ferry where it wants them (per part, SHA-256);
    // the SDK's default CRC32 on every request would only cost CPU.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
