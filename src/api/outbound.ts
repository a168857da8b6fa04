import { ValidationError } from '../lib/errors';
import { outboundUrlProblem, type OutboundPolicy } from '../lib/outbound';

/**
 * Registration-time check of a URL Ferry will call later (a webhook, a
 * validator): a host that is a refused IP literal or a localhost name gets a
 * 400 now; names are judged again, resolved, on every call.
 */
export function assertOutboundUrl(
  field: string,
  url: string | null | undefined,
  policy: OutboundPolicy,
): void {
  if (url == null) return;
  const problem = outboundUrlProblem(url, policy);
  if (problem !== undefined) {
    throw new ValidationError('invalid request body', [{ path: field, message: problem }]);
  }
}
