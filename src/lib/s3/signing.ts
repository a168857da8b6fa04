/**
 * SigV4 signs a hash of the body; over plain HTTP the SDK computes it with a
 * second pass over every byte. Where the body's SHA-256 is already known,
 * this middleware hands it over as the signed payload hash instead.
 */
function knownPayloadHash(sha256: Buffer) {
  const hex = sha256.toString('hex');
  return <A extends { request: unknown }, R>(next: (args: A) => Promise<R>) =>
    (args: A): Promise<R> => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-content-sha256'] = hex;
      return next(args);
    };
}

const PAYLOAD_HASH = { step: 'build', name: 'ferryKnownPayloadHash' } as const;

interface WithMiddleware {
  middlewareStack: { add: (mw: ReturnType<typeof knownPayloadHash>, options: typeof PAYLOAD_HASH) => void };
}

/** Signs `command` with the SHA-256 of its body, which the caller computed already. */
export function withKnownPayloadHash<C extends WithMiddleware>(command: C, sha256: Buffer): C {
  command.middlewareStack.add(knownPayloadHash(sha256), PAYLOAD_HASH);
  return command;
}
