import type { S3Client } from '@aws-sdk/client-s3';
import type { Upload } from '../../generated/prisma/client';
import { headObject } from '../../lib/s3';

/** Names, in the final object's metadata, the upload that assembled it. */
const UPLOAD_ID_METADATA = 'ferry-upload-id';

/** Metadata of the final object; the upload's ID lets a retried finish recognise its own object. */
export function finalMetadata(upload: Upload): Record<string, string> {
  return { [UPLOAD_ID_METADATA]: upload.id, ...(upload.sha256 ? { sha256: upload.sha256 } : {}) };
}

/** Whether the object at the upload's key is the one this upload's assembly completed. */
export async function isAssembledBy(s3: S3Client, upload: Upload): Promise<boolean> {
  const head = await headObject(s3, { Bucket: upload.bucket, Key: upload.objectKey });
  return head?.metadata[UPLOAD_ID_METADATA] === upload.id;
}
