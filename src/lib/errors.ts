/**
 * Ferry's error catalogue. Each error knows its stable code and HTTP status;
 * src/api/errors.ts is the one place that turns them into responses.
 */
export class FerryError extends Error {
  override readonly name: string = 'FerryError';
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export class ValidationError extends FerryError {
  override readonly name = 'ValidationError';
  constructor(message: string, details?: unknown) {
    super('invalid_request', 400, message, details);
  }
}

export class UnauthorizedError extends FerryError {
  override readonly name = 'UnauthorizedError';
  constructor(message = 'a valid bearer token is required') {
    super('unauthorized', 401, message);
  }
}

export class NotFoundError extends FerryError {
  override readonly name = 'NotFoundError';
  constructor(what: string, id: string) {
    super('not_found', 404, `${what} ${id} does not exist`);
  }
}

export class ConflictError extends FerryError {
  override readonly name = 'ConflictError';
  constructor(message: string, details?: unknown) {
    super('conflict', 409, message, details);
  }
}

export class PayloadTooLargeError extends FerryError {
  override readonly name = 'PayloadTooLargeError';
  constructor(message: string) {
    super('payload_too_large', 413, message);
  }
}

/** A caller sent more requests than its limit allows; `retryAfterSeconds` says when to try again. */
export class TooManyRequestsError extends FerryError {
  override readonly name = 'TooManyRequestsError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('rate_limited', 429, message);
  }
}

/** A dependency (Temporal, the database) did not answer; the request may be repeated. */
export class ServiceUnavailableError extends FerryError {
  override readonly name = 'ServiceUnavailableError';
  constructor(message: string) {
    super('unavailable', 503, message);
  }
}

/** Object storage has no room for the request's bytes; `retryAfterSeconds` says when to try again. */
export class StorageFullError extends FerryError {
  override readonly name = 'StorageFullError';
  readonly retryAfterSeconds = 30;
  constructor(message = 'object storage is full; send the request again once space is freed') {
    super('storage_full', 507, message);
  }
}
