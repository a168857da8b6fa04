import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { loadConfig } from '../src/config';
import { createS3, isS3NotFound } from '../src/lib/s3';

// Creates FERRY_BUCKET when it does not exist (used by `npm start`).
async function main(): Promise<void> {
  const config = loadConfig();
  const s3 = createS3(config);
  try {
    await s3.send(new HeadBucketCommand({ Bucket: config.FERRY_BUCKET }));
  } catch (err) {
    if (!isS3NotFound(err)) throw err;
    await s3.send(new CreateBucketCommand({ Bucket: config.FERRY_BUCKET }));
    console.log(`created bucket ${config.FERRY_BUCKET}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
