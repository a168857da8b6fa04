import { ValidationError } from '../lib/errors';

/**
 * The request's idempotency key: the `Idempotency-Key` header or the body's
 * `clientRequestId` (either, or both when they agree).
 */
export function idempotencyKeyOf(
  header: string | undefined,
  clientRequestId: string | undefined,
): string | undefined {
  if (header !== undefined && clientRequestId !== undefined && header !== clientRequestId) {
    throw new ValidationError('the Idempotency-Key header and clientRequestId differ');
  }
  return header ?? clientRequestId;
}
