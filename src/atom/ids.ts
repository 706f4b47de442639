/**
 * Identifier atoms: branded strings with validating constructors and
 * guards, so a `TenantId` is not accepted where a `NodeId` is expected.
 * `CausalityId` is generated, time-sortable (ULID); `TraceId`/`SpanId`
 * follow W3C Trace Context and `traceparent` is parsed and formatted.
 */
import { randomFillSync } from "node:crypto";
import { systemClock, type Clock } from "../time/clock.js";

declare const brand: unique symbol;
/** `T` tagged with the name `B`, so differently branded values don't mix. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type NodeId = Brand<string, "NodeId">;
export type ServiceId = Brand<string, "ServiceId">;
export type TenantId = Brand<string, "TenantId">;
export type PrincipalId = Brand<string, "PrincipalId">;
export type RequestId = Brand<string, "RequestId">;
export type MessageId = Brand<string, "MessageId">;
export type CorrelationId = Brand<string, "CorrelationId">;
export type CausalityId = Brand<string, "CausalityId">;
export type TraceId = Brand<string, "TraceId">;
export type SpanId = Brand<string, "SpanId">;

/** The longest identifier accepted, in characters. */
export const MAX_ID_LENGTH = 256;
// Printable ASCII without space: safe in headers, subjects, keys and logs.
const ID_PATTERN = /^[\x21-\x7e]+$/;

function isIdString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_ID_LENGTH && ID_PATTERN.test(value);
}

function requireId(label: string, value: unknown): string {
  if (typeof value !== "string") throw new TypeError(`${label} must be a string, got ${value === null ? "null" : typeof value}`);
  if (!isIdString(value)) {
    throw new RangeError(`${label} must be 1..${MAX_ID_LENGTH} printable ASCII characters without spaces, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A `NodeId` from `value`: 1..256 printable ASCII characters, no spaces. @throws TypeError, RangeError. @lego NodeId */
export function nodeId(value: string): NodeId {
  return requireId("NodeId", value) as NodeId;
}
/** True when `value` is a valid `NodeId` string. @lego NodeId */
export function isNodeId(value: unknown): value is NodeId {
  return isIdString(value);
}
/** A `ServiceId` from `value` (same rules as `nodeId`). @lego ServiceId */
export function serviceId(value: string): ServiceId {
  return requireId("ServiceId", value) as ServiceId;
}
/** @lego ServiceId */
export function isServiceId(value: unknown): value is ServiceId {
  return isIdString(value);
}
/** A `TenantId` from `value` (same rules as `nodeId`). @lego TenantId */
export function tenantId(value: string): TenantId {
  return requireId("TenantId", value) as TenantId;
}
/** @lego TenantId */
export function isTenantId(value: unknown): value is TenantId {
  return isIdString(value);
}
/** A `PrincipalId` from `value` (same rules as `nodeId`). @lego PrincipalId */
export function principalId(value: string): PrincipalId {
  return requireId("PrincipalId", value) as PrincipalId;
}
/** @lego PrincipalId */
export function isPrincipalId(value: unknown): value is PrincipalId {
  return isIdString(value);
}
/** A `RequestId` from `value` (same rules as `nodeId`); generate one with `causalityIdGenerator()`. @lego RequestId */
export function requestId(value: string): RequestId {
  return requireId("RequestId", value) as RequestId;
}
/** @lego RequestId */
export function isRequestId(value: unknown): value is RequestId {
  return isIdString(value);
}
/** A `MessageId` from `value` (same rules as `nodeId`). @lego MessageId */
export function messageId(value: string): MessageId {
  return requireId("MessageId", value) as MessageId;
}
/** @lego MessageId */
export function isMessageId(value: unknown): value is MessageId {
  return isIdString(value);
}
/** A `CorrelationId` from `value` (same rules as `nodeId`). @lego CorrelationId */
export function correlationId(value: string): CorrelationId {
  return requireId("CorrelationId", value) as CorrelationId;
}
/** @lego CorrelationId */
export function isCorrelationId(value: unknown): value is CorrelationId {
  return isIdString(value);
}

// ---------------------------------------------------------------------------
// CausalityId: ULID

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
/** The largest timestamp a ULID holds (2^48 - 1 ms). */
export const MAX_ULID_TIME = 2 ** 48 - 1;

/** A source of random bytes: fills `bytes` and returns it. */
export type RandomSource = (bytes: Uint8Array) => Uint8Array;

/** The default random source: `crypto.randomFillSync`. */
export const cryptoRandom: RandomSource = (bytes) => randomFillSync(bytes);

export interface CausalityIdOptions {
  /** Where the time part comes from (ms since the epoch). @default systemClock */
  clock?: Clock;
  /** Where the 80 random bits come from. @default cryptoRandom */
  random?: RandomSource;
}

function encodeTime(ms: number): string {
  let out = "";
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD.charAt(rest % 32) + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits -> 16 base-32 digits, most significant first.
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD.charAt((acc >> bits) & 31);
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** Adds one to a 10-byte big-endian counter; false on overflow. */
function increment(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const b = bytes[i] ?? 0;
    if (b < 255) {
      bytes[i] = b + 1;
      return true;
    }
    bytes[i] = 0;
  }
  return false;
}

/**
 * A generator of `CausalityId`s: ULIDs (48-bit ms timestamp + 80 random
 * bits, 26 Crockford base-32 characters).
 *
 * Why ULID rather than UUIDv7: both sort by time, but a ULID sorts by time
 * as a plain string with the default `<` / `Array.prototype.sort`, is 26
 * characters without dashes (shorter in keys and subjects), and its spec
 * defines monotonic generation: ids made in the same millisecond (or when
 * the clock steps back) increment the random part, so one generator's ids
 * are strictly increasing in the order they were made.
 *
 * ## Example
 * ```ts
 * const next = causalityIdGenerator({ clock: new ManualClock(0) });
 * next() < next(); // true
 * ```
 * @see causalityId, causalityIdTime
 * @lego CausalityId
 */
export function causalityIdGenerator(options: CausalityIdOptions = {}): () => CausalityId {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? cryptoRandom;
  if (typeof clock.now !== "function") throw new TypeError("clock must have a now() method");
  if (typeof random !== "function") throw new TypeError(`random must be a function, got ${typeof random}`);
  let lastTime = -1;
  const last = new Uint8Array(10);
  return () => {
    const now = Math.floor(clock.now());
    if (!Number.isFinite(now) || now < 0 || now > MAX_ULID_TIME) {
      throw new RangeError(`clock.now() must be within 0..${MAX_ULID_TIME} ms for a ULID, got ${now}`);
    }
    if (now > lastTime) {
      const fresh = random(new Uint8Array(10));
      if (!(fresh instanceof Uint8Array) || fresh.length !== 10) throw new TypeError("random must return the 10-byte array it was given");
      last.set(fresh);
      lastTime = now;
    } else if (!increment(last)) {
      // 2^80 ids in one millisecond: borrow the next millisecond.
      lastTime += 1;
    }
    return (encodeTime(lastTime) + encodeRandom(last)) as CausalityId;
  };
}

/** A `CausalityId` from a given ULID string (case-insensitive; returned upper-case). @lego CausalityId */
export function causalityId(value: string): CausalityId {
  if (typeof value !== "string") throw new TypeError(`CausalityId must be a string, got ${typeof value}`);
  const upper = value.toUpperCase();
  if (!ULID_PATTERN.test(upper)) throw new RangeError(`CausalityId must be a 26-character ULID, got ${JSON.stringify(value)}`);
  return upper as CausalityId;
}

/** True when `value` is a canonical (upper-case) ULID. @lego CausalityId */
export function isCausalityId(value: unknown): value is CausalityId {
  return typeof value === "string" && ULID_PATTERN.test(value);
}

/** The millisecond timestamp a `CausalityId` was made at. */
export function causalityIdTime(id: CausalityId): number {
  let ms = 0;
  for (let i = 0; i < 10; i++) ms = ms * 32 + CROCKFORD.indexOf(id.charAt(i));
  return ms;
}

// ---------------------------------------------------------------------------
// W3C Trace Context

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** A `TraceId`: 32 lower-case hex digits, not all zero (W3C Trace Context). @lego TraceId */
export function traceId(value: string): TraceId {
  if (typeof value !== "string") throw new TypeError(`TraceId must be a string, got ${typeof value}`);
  if (!isTraceId(value)) throw new RangeError(`TraceId must be 32 lower-case hex digits, not all zero, got ${JSON.stringify(value)}`);
  return value;
}
/** @lego TraceId */
export function isTraceId(value: unknown): value is TraceId {
  return typeof value === "string" && TRACE_ID.test(value) && !/^0+$/.test(value);
}
/** A `SpanId` (parent-id): 16 lower-case hex digits, not all zero. @lego SpanId */
export function spanId(value: string): SpanId {
  if (typeof value !== "string") throw new TypeError(`SpanId must be a string, got ${typeof value}`);
  if (!isSpanId(value)) throw new RangeError(`SpanId must be 16 lower-case hex digits, not all zero, got ${JSON.stringify(value)}`);
  return value;
}
/** @lego SpanId */
export function isSpanId(value: unknown): value is SpanId {
  return typeof value === "string" && SPAN_ID.test(value) && !/^0+$/.test(value);
}

function randomHex(random: RandomSource, bytes: number): string {
  for (;;) {
    const hex = Buffer.from(random(new Uint8Array(bytes))).toString("hex");
    if (!/^0+$/.test(hex)) return hex;
  }
}
/** A fresh random `TraceId`. @lego TraceId */
export function newTraceId(random: RandomSource = cryptoRandom): TraceId {
  return randomHex(random, 16) as TraceId;
}
/** A fresh random `SpanId`. @lego SpanId */
export function newSpanId(random: RandomSource = cryptoRandom): SpanId {
  return randomHex(random, 8) as SpanId;
}

/** A parsed `traceparent` header (frozen). */
export interface TraceParent {
  readonly version: number;
  readonly traceId: TraceId;
  readonly parentId: SpanId;
  /** The trace-flags byte; bit 0 is "sampled". */
  readonly flags: number;
  readonly sampled: boolean;
}

/** Makes a frozen `TraceParent` (version 0). */
export function traceParent(traceIdValue: string, parentId: string, flags = 0): TraceParent {
  if (!Number.isInteger(flags) || flags < 0 || flags > 255) throw new RangeError(`flags must be an integer in 0..255, got ${flags}`);
  return Object.freeze({ version: 0, traceId: traceId(traceIdValue), parentId: spanId(parentId), flags, sampled: (flags & 1) === 1 });
}

/**
 * Parses a W3C `traceparent` header (`00-<trace-id>-<parent-id>-<flags>`).
 * Returns undefined for a malformed header, as the spec says to ignore it;
 * version `ff` is invalid; future versions may carry extra `-…` fields.
 */
export function parseTraceParent(header: string): TraceParent | undefined {
  if (typeof header !== "string") return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (match === null) return undefined;
  const [, version, trace, parent, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === "ff") return undefined;
  const v = Number.parseInt(version, 16);
  if (v === 0 && rest !== undefined) return undefined;
  if (!isTraceId(trace) || !isSpanId(parent)) return undefined;
  const f = Number.parseInt(flags, 16);
  return Object.freeze({ version: v, traceId: trace, parentId: parent, flags: f, sampled: (f & 1) === 1 });
}

/** Formats a `traceparent` header (always version `00`, as the spec requires of writers). */
export function formatTraceParent(value: Pick<TraceParent, "traceId" | "parentId" | "flags">): string {
  return `00-${traceId(value.traceId)}-${spanId(value.parentId)}-${value.flags.toString(16).padStart(2, "0")}`;
}
