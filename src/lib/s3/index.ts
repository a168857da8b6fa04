/**
 * Ferry's one S3 module, used by every activity and the API: the client,
 * object and multipart operations, and one classification of S3 errors
 * (permanent refusals become non-retryable `StorageRejected` failures, a full
 * store a retryable `StorageFull` one).
 */
export { createS3 } from './client';
export {
  classifyS3Error,
  isChecksumRejection,
  isNoSuchUpload,
  isNotImplemented,
  isPreconditionFailed,
  isS3NotFound,
  isStorageFull,
  storageRequest,
} from './errors';
export * from './multipart';
export * from './objects';
export * from './parts';
