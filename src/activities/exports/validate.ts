import { createHmac } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import type { Db } from '../../lib/db';
import { OutboundError, outboundFetch, redactUrl, type OutboundPolicy } from '../../lib/outbound';
import { Failure, nonRetryable, type ExportInput } from '../../workflows/contract';
import type { ExportReporter } from './progress';
import type { ExportRow } from './store';

/** Largest validator answer read (its reasons); a longer one is an error, retried. */
const MAX_ANSWER_BYTES = 1024 * 1024;

export interface ValidatorAnswer {
  status: number;
  body: string;
}

/**
 * `X-Ferry-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<archive SHA-256>">`:
 * the signature covers the archive through its digest (sent as
 * `X-Ferry-Archive-SHA256`), so it is known before the body is streamed; the
 * validator checks the digest of what it received against that header.
 */
export function signArchive(secret: string, timestamp: string, sha256: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${sha256}`).digest('hex');
}

/**
 * POSTs the archive to the validator through the outbound policy (the same
 * as webhooks: refused addresses are never contacted, the connection goes to
 * the address that was checked, no redirect is followed, the whole exchange
 * is capped in time and the answer in size). A URL the policy refuses fails
 * the export for good; errors name the URL redacted.
 */
async function postArchive(
  url: string,
  request: { headers: Record<string, string>; body: Readable; timeoutMs: number; signal: AbortSignal },
  policy: OutboundPolicy,
): Promise<ValidatorAnswer> {
  try {
    const res = await outboundFetch(
      url,
      { method: 'POST', ...request, maxResponseBytes: MAX_ANSWER_BYTES },
      policy,
    );
    return { status: res.status, body: res.body.toString() };
  } catch (err) {
    if (!(err instanceof OutboundError)) throw err;
    const where = `validator ${redactUrl(url)}`;
    if (!err.retryable) throw nonRetryable(Failure.OutboundRefused, `${where} refused: ${err.message}`);
    throw new Error(`${where}: ${err.message}`, { cause: err });
  }
}

/** The reasons in a rejection: `reasons`, `errors` or `message` of a JSON body, else the text. */
export function reasonsOf(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (Array.isArray(parsed)) return parsed.map(String);
    if (parsed && typeof parsed === 'object') {
      const o = parsed as Record<string, unknown>;
      for (const field of ['reasons', 'errors']) {
        const v = o[field];
        if (Array.isArray(v)) return v.map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
      }
      if (typeof o.message === 'string') return [o.message];
    }
  } catch {
    // Not JSON: the text itself is the reason.
  }
  return body.trim() ? [body.trim().slice(0, 1000)] : [];
}

/**
 * Streams the staged archive to the validator. 2xx accepts; a 4xx other than
 * 408/429 rejects (reasons recorded on the export, non-retryable); anything
 * else (5xx, timeouts, refused connections) is thrown to be retried.
 */
export async function validateArchive(
  deps: { db: Db; s3: S3Client; secret: string | undefined; policy: OutboundPolicy },
  row: ExportRow,
  report: ExportReporter,
): Promise<void> {
  const validator = (row.request as unknown as { validator?: ExportInput['validator'] }).validator;
  const timeoutSeconds = validator?.timeoutSeconds ?? 300;
  if (!row.validatorUrl || !row.stagingKey || !row.archiveSha256) {
    throw nonRetryable(
      Failure.InvalidExport,
      `export ${row.id} has no archive or validator to validate with`,
    );
  }
  const signal = Context.current().cancellationSignal;
  const got = await deps.s3.send(new GetObjectCommand({ Bucket: row.bucket, Key: row.stagingKey }), {
    abortSignal: signal,
  });
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const headers: Record<string, string> = {
    'content-type': 'application/zip',
    'content-length': String(row.archiveSize),
    'user-agent': 'ferry-validator/1',
    'x-ferry-export-id': row.id,
    'x-ferry-archive-sha256': row.archiveSha256,
    'x-ferry-timestamp': timestamp,
  };
  if (deps.secret) headers['x-ferry-signature'] = signArchive(deps.secret, timestamp, row.archiveSha256);
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      report.update({ phase: 'validating', bytesDone: sent });
      done(null, chunk);
    },
  });
  const staged = got.Body as Readable;
  staged.on('error', (err) => counter.destroy(err));
  let answer: ValidatorAnswer;
  try {
    answer = await postArchive(
      row.validatorUrl,
      { headers, body: staged.pipe(counter), timeoutMs: timeoutSeconds * 1000, signal },
      deps.policy,
    );
  } finally {
    // Refused before a byte was sent, or answered early: the staged object's stream must not hold its connection.
    staged.destroy();
  }
  if (answer.status >= 200 && answer.status < 300) return;
  const where = redactUrl(row.validatorUrl);
  if (answer.status >= 300 && answer.status < 400) {
    throw nonRetryable(
      Failure.ValidatorRejected,
      `validator ${where} answered ${answer.status}; redirects are not followed`,
    );
  }
  if (answer.status >= 400 && answer.status < 500 && answer.status !== 408 && answer.status !== 429) {
    const reasons = reasonsOf(answer.body);
    await deps.db.export.update({ where: { id: row.id }, data: { validatorReasons: reasons } });
    const said = reasons.length ? `: ${reasons.join('; ')}` : '';
    throw nonRetryable(
      Failure.ValidatorRejected,
      `validator ${where} rejected the archive (${answer.status})${said}`,
    );
  }
  throw new Error(`validator ${where} answered ${answer.status}`);
}
