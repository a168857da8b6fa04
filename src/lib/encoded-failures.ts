/**
 * Loaded by path (DataConverter.failureConverterPath) into workers, their
 * workflow bundle and clients when payload encryption is on: failure
 * messages and stack traces travel as payloads, so the codec encrypts them.
 * Deterministic: it runs inside the workflow sandbox too.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
