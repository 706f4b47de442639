import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { ClosedConnectionError, DrainingConnectionError, NoRespondersError, TimeoutError } from "@nats-io/transport-node";
import { LegoError, messageOf, type LegoErrorCode } from "../../atom/lego-error.js";
import { requireObject } from "../../atom/validate.js";
import type { NatsClient } from "./connection.js";

/** Checks that `value` is a {@link NatsClient} (from `connectNats`). */
export function requireNatsClient(name: string, value: unknown): NatsClient {
  const client = requireObject(name, value);
  if (typeof client.requireFeature !== "function" || typeof client.nc !== "object" || client.nc === null) {
    throw new TypeError(`${name} must be a NatsClient (from connectNats)`);
  }
  return value as NatsClient;
}

const STREAM_NAME = /^[A-Za-z0-9_-]+$/;

/** Checks a JetStream stream, consumer or bucket name (no `.`, `*`, `>`, spaces). */
export function requireStreamName(name: string, value: unknown): string {
  if (typeof value !== "string") throw new TypeError(`${name} must be a string`);
  if (!STREAM_NAME.test(value)) throw new RangeError(`${name} may hold only A-Z a-z 0-9 _ - (got ${JSON.stringify(value)})`);
  return value;
}

const SUBJECT = /^[^\s*>.]+(\.[^\s*>.]+)*$/;

/** Checks a literal subject (tokens separated by `.`, no wildcards). */
export function requireSubject(name: string, value: unknown): string {
  if (typeof value !== "string") throw new TypeError(`${name} must be a string`);
  if (!SUBJECT.test(value)) throw new RangeError(`${name} must be a subject of non-empty tokens without wildcards (got ${JSON.stringify(value)})`);
  return value;
}

const FILTER = /^([^\s*>.]+|\*)(\.([^\s*>.]+|\*))*(\.>)?$|^>$/;

/** Checks a subscription subject (`*` for a token, a final `>` for the rest). */
export function requireFilterSubject(name: string, value: unknown): string {
  if (typeof value !== "string") throw new TypeError(`${name} must be a string`);
  if (!FILTER.test(value)) throw new RangeError(`${name} must be a subject, with * for one token and a final > (got ${JSON.stringify(value)})`);
  return value;
}

/** Whether `error` is JetStream's "wrong last sequence" (a failed expected-sequence condition). */
export function isWrongLastSequence(error: unknown): boolean {
  if (error instanceof JetStreamApiError) {
    return (
      error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown
    );
  }
  return /wrong last sequence/i.test(messageOf(error));
}

/**
 * Turns a client failure into a `LegoError`: a timeout into `TIMEOUT`, no
 * responders into `NO_RESPONDERS`, a closed connection into
 * `TRANSPORT_CLOSED`, anything else into `fallback`.
 */
export function natsError(error: unknown, fallback: LegoErrorCode, what: string, group: string | undefined): LegoError {
  if (error instanceof LegoError) return error;
  let code = fallback;
  // the client wraps some failures (a RequestError caused by NoRespondersError)
  const causes: unknown[] = [];
  for (let e: unknown = error; e instanceof Error && causes.length < 4; e = e.cause) causes.push(e);
  if (causes.some((e) => e instanceof TimeoutError)) code = "TIMEOUT";
  else if (causes.some((e) => e instanceof NoRespondersError)) code = "NO_RESPONDERS";
  else if (causes.some((e) => e instanceof ClosedConnectionError || e instanceof DrainingConnectionError)) code = "TRANSPORT_CLOSED";
  return new LegoError(code, `${what}: ${messageOf(error)}`, { cause: error, group });
}

/** Converts ms to the nanoseconds JetStream configurations use. */
export function nanos(ms: number): number {
  return Math.round(ms * 1_000_000);
}

/** Converts JetStream nanoseconds to ms. */
export function millis(ns: number): number {
  return ns / 1_000_000;
}
