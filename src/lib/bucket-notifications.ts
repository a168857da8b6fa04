import {
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  type Event as S3EventName,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ServiceUnavailableError, ValidationError } from './errors';

/**
 * The bucket side of Ferry's event source: for every bucket a route watches,
 * one queue configuration naming Ferry's queue ARN (for MinIO, its webhook
 * target `arn:minio:sqs::<ID>:webhook`) with the S3 event names the bucket's
 * routes want. Other configurations on the bucket are kept. Ferry filters
 * keys itself (routes may overlap), so the configuration carries no filter.
 */
export interface WatchingRoute {
  eventTypes: readonly string[];
}

const BOTH = ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'];

/** S3 event names the routes' patterns can match; generic event types ask nothing of a bucket. */
export function notificationEvents(routes: readonly WatchingRoute[]): string[] {
  const names = new Set<string>();
  for (const pattern of routes.flatMap((r) => r.eventTypes)) {
    if (pattern === '*' || pattern === 's3:*') BOTH.forEach((n) => names.add(n));
    else if (/^s3:[A-Za-z]+:(\*|[A-Za-z]+)$/.test(pattern)) names.add(pattern);
    else if (/^s3:[A-Za-z]+\*$/.test(pattern)) names.add(`${pattern.slice(0, -1)}:*`);
  }
  return [...names].sort();
}

function storageError(bucket: string, err: unknown): Error {
  const name = (err as { name?: string }).name;
  if (name === 'NoSuchBucket') return new ValidationError(`bucket ${bucket} does not exist`);
  const reason = err instanceof Error ? err.message : String(err);
  return new ServiceUnavailableError(`could not set the event notifications of bucket ${bucket}: ${reason}`);
}

/** Sets (or, when no route wants anything, removes) Ferry's queue configuration on one bucket. */
export async function syncBucketNotifications(
  s3: S3Client,
  queueArn: string,
  bucket: string,
  routes: readonly WatchingRoute[],
): Promise<string[]> {
  const events = notificationEvents(routes);
  try {
    const current = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    const others = (current.QueueConfigurations ?? []).filter((q) => q.QueueArn !== queueArn);
    const ours = events.length ? [{ Id: 'ferry', QueueArn: queueArn, Events: events as S3EventName[] }] : [];
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          QueueConfigurations: [...others, ...ours],
          TopicConfigurations: current.TopicConfigurations,
          LambdaFunctionConfigurations: current.LambdaFunctionConfigurations,
          EventBridgeConfiguration: current.EventBridgeConfiguration,
        },
      }),
    );
  } catch (err) {
    throw storageError(bucket, err);
  }
  return events;
}
