import { type ApplicationFailure } from '@temporalio/common';
import { Failure, nonRetryable } from '../../workflows/contract';

export function sourceChanged(detail: string): ApplicationFailure {
  return nonRetryable(
    Failure.SourceChanged,
    `${detail}: file changed since it was listed; the next scan picks up the new version`,
  );
}

/** SFTP status codes (draft-ietf-secsh-filexfer-02 §7): 2 NO_SUCH_FILE, 3 PERMISSION_DENIED. */
export function classifySftpError(err: unknown, what: string): Error {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 2) return sourceChanged(`${what}: no such file`);
  if (code === 3) {
    return nonRetryable(Failure.SourceUnreadable, `${what}: permission denied by the SFTP server`);
  }
  return asError(err);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
