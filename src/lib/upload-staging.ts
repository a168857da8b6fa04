/**
 * Where the chunks of an upload are staged: `<FERRY_STAGING_PREFIX><uploadId>/<index>.<nonce>`.
 * Every PUT writes its own object, so a rejected or losing duplicate PUT only
 * ever deletes what it wrote, never the chunk the manifest points to.
 */
export function stagingPrefix(root: string, uploadId: string): string {
  return `${root.endsWith('/') ? root : root + '/'}${uploadId}/`;
}

export function stagingKey(root: string, uploadId: string, index: number, nonce: string): string {
  return `${stagingPrefix(root, uploadId)}${index.toString().padStart(5, '0')}.${nonce}`;
}
