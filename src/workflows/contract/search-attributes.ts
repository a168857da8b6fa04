import { defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';

/**
 * Custom search attributes set on every workflow Ferry starts, so that the
 * Temporal Web UI's filter and `temporal workflow list --query` find a
 * server's, an upload's, an export's or a kind's workflows (docs/cli.md, "Finding
 * workflows in Temporal"). They must be registered on the namespace before a workflow
 * carrying them starts: scripts/services.sh, docker-compose.yml and the test
 * servers do it from FERRY_SEARCH_ATTRIBUTES.
 *
 * Search attributes are indexed in clear. FerryBucket is therefore set only
 * while the payload codec is off (`searchBuckets`): with it on, Ferry keeps
 * its promise that no bucket name reaches Temporal in clear. No path or key,
 * ever (docs/security.md).
 */
export const FerryKind = defineSearchAttributeKey('FerryKind', SearchAttributeType.KEYWORD);
export const FerryServerId = defineSearchAttributeKey('FerryServerId', SearchAttributeType.KEYWORD);
export const FerryUploadId = defineSearchAttributeKey('FerryUploadId', SearchAttributeType.KEYWORD);
export const FerryExportId = defineSearchAttributeKey('FerryExportId', SearchAttributeType.KEYWORD);
export const FerryBucket = defineSearchAttributeKey('FerryBucket', SearchAttributeType.KEYWORD);

export const FERRY_SEARCH_ATTRIBUTES = [
  FerryKind,
  FerryServerId,
  FerryUploadId,
  FerryExportId,
  FerryBucket,
] as const;

/** FerryKind values: the job kinds of /v1/jobs, and the workflows that are no job of their own. */
export type FerryKindName =
  | 'scan'
  | 'transfer'
  | 'transfer-batch'
  | 'upload'
  | 'export'
  | 'export-cleanup'
  | 'batch'
  | 'event'
  | 'event-forward'
  | 'event-sweep'
  | 'retention';

export interface FerryAttributes {
  kind: FerryKindName;
  serverId?: string;
  uploadId?: string;
  exportId?: string;
  /** Only where searchBuckets allows it (payload codec off). */
  bucket?: string;
}

/** The typedSearchAttributes of a workflow start (client, schedule or child). */
export function ferrySearchAttributes(a: FerryAttributes): TypedSearchAttributes {
  return new TypedSearchAttributes([
    { key: FerryKind, value: a.kind },
    ...(a.serverId ? [{ key: FerryServerId, value: a.serverId }] : []),
    ...(a.uploadId ? [{ key: FerryUploadId, value: a.uploadId }] : []),
    ...(a.exportId ? [{ key: FerryExportId, value: a.exportId }] : []),
    ...(a.bucket ? [{ key: FerryBucket, value: a.bucket }] : []),
  ]);
}

/** Whether workflows may carry FerryBucket: not while payloads are encrypted. */
export function bucketSearchable(config: { payloadKeys: readonly unknown[] }): boolean {
  return config.payloadKeys.length === 0;
}

/** The bucket to label a workflow with, for starters that know the configuration (API, activities). */
export function searchBucket(
  config: { payloadKeys: readonly unknown[] },
  bucket: string | undefined,
): string | undefined {
  return bucketSearchable(config) ? bucket : undefined;
}
