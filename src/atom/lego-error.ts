/**
 * The catalog's `Error` atom: the one runtime-failure class every lego
 * delivers through `subscriber.error`. Argument mistakes are not LegoErrors;
 * they throw `TypeError`/`RangeError` when a factory is called.
 *
 * `code` is part of the public API (stable, upper-case); messages may improve.
 */
export type LegoErrorCode =
  | "RETRY_EXHAUSTED"
  | "TIMEOUT"
  | "ABORTED"
  | "READ_FAILED"
  | "PERIPHERAL_FAILED"
  | "SERIAL_OPEN_FAILED"
  | "SERIAL_WRITE_FAILED"
  | "SERIAL_CLOSED"
  | "SPOOL_LOCKED"
  | "SPOOL_CLOSED"
  | "SPOOL_WRITE_FAILED"
  | "SPOOL_OVERFLOW"
  | "SPOOL_OPEN_FAILED"
  | "ENCODE_FAILED"
  | "DECODE_FAILED"
  | "STORE_CLOSED"
  | "UNKNOWN_LEGO"
  // Flow control and resilience
  | "RATE_LIMITED"
  | "QUEUE_FULL"
  | "CIRCUIT_OPEN"
  | "DEADLINE_EXCEEDED"
  | "LOAD_SHED"
  | "KILLED"
  // Ports and backends: registers, logs, queues, stores, transports
  | "REGISTER_CONFLICT"
  | "LOG_CONFLICT"
  | "QUEUE_CLOSED"
  | "DELIVERY_SETTLED"
  | "IDEMPOTENCY_IN_PROGRESS"
  | "IDEMPOTENCY_MISMATCH"
  | "TRANSPORT_CLOSED"
  | "PUBLISH_FAILED"
  | "NO_RESPONDERS"
  // Coordination
  | "LEASE_LOST"
  | "LEASE_HELD"
  | "FENCED"
  // Engines
  | "ENGINE_UNAVAILABLE"
  | "ENGINE_FEATURE_UNAVAILABLE"
  // A server refused this client for good: its credentials, its identity, or a ban
  | "UNAUTHORIZED"
  // Durable queue: a write of the queue's own state failed
  | "QUEUE_WRITE_FAILED";

export interface LegoErrorOptions {
  /** The underlying failure, kept for diagnosis. */
  cause?: unknown;
  /** The `group` of the lego that failed, when it has one. */
  group?: string | undefined;
}

export class LegoError extends Error {
  override readonly name = "LegoError";
  readonly code: LegoErrorCode;
  readonly group: string | undefined;

  constructor(code: LegoErrorCode, message: string, options: LegoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.group = options.group;
  }
}

/** True when `value` is a {@link LegoError}, optionally with the given code. */
export function isLegoError(value: unknown, code?: LegoErrorCode): value is LegoError {
  return value instanceof LegoError && (code === undefined || value.code === code);
}

/** The message of anything thrown: an Error's message, else `String(value)`. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
