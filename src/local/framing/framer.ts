/**
 * What the framers of this folder share: the chunk type, the invalid-frame
 * report, option helpers and the operator wrapper that runs one pure framer
 * per subscription.
 *
 * @internal not part of the package surface (the types below are re-exported).
 */
import { Observable } from "rxjs";
import { legoMeter, withLego, type LegoMeter, type LegoOperator } from "../../atom/lego-descriptor.js";
import { requireFunction } from "../../atom/validate.js";
import { subscribeWithin } from "../subscribe-within.js";

/** What a framer accepts: bytes, or text (sent as UTF-8). */
export type FramingChunk = Uint8Array | string;

/** A frame (or bytes) a framer dropped: why, and the bytes concerned (a copy). */
export interface InvalidFrame<R extends string = string> {
  readonly reason: R;
  readonly bytes: Uint8Array;
}

/** A pure framer as the operator wrapper drives it. */
export interface FrameMachine<T> {
  /** Adds a chunk; hands each completed frame to `emit` in order. */
  feed(chunk: FramingChunk, emit: (frame: T) => void): void;
  /** Ends the stream (reports or emits what is left). */
  end(emit: (frame: T) => void): void;
  /** Frames emitted so far. */
  readonly frames: number;
}

/** A Buffer view of a chunk (no copy for bytes, UTF-8 for text). */
export function toBuffer(chunk: unknown): Buffer {
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`chunk must be a Uint8Array or a string, got ${chunk === null ? "null" : typeof chunk}`);
}

/** A plain Uint8Array view of `buf[start, end)` (no copy). */
export function viewOf(buf: Buffer, start: number, end: number): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset + start, end - start);
}

/** A plain Uint8Array copy of `buf[start, end)` in its own memory. */
export function copyOf(buf: Uint8Array, start: number, end: number): Uint8Array {
  // Not slice(): on a Buffer it makes a Buffer (species).
  return new Uint8Array(buf.subarray(start, end));
}

export function callbackOption<F extends (...args: never[]) => unknown>(name: string, value: F | undefined): F | undefined {
  return value === undefined ? undefined : requireFunction(name, value);
}

/** A byte sequence option: a string (UTF-8), a Uint8Array or an array of octets. */
export function bytesOption(name: string, value: unknown, allowEmpty = false): Buffer {
  let bytes: Buffer;
  if (typeof value === "string") bytes = Buffer.from(value, "utf8");
  else if (value instanceof Uint8Array) bytes = Buffer.from(value);
  else if (Array.isArray(value)) {
    bytes = Buffer.from(
      value.map((byte: unknown, i) => {
        if (typeof byte !== "number") throw new TypeError(`${name}[${i}] must be a number, got ${byte === null ? "null" : typeof byte}`);
        if (!Number.isInteger(byte) || byte < 0 || byte > 255) throw new RangeError(`${name}[${i}] must be an octet (an integer 0-255), got ${byte}`);
        return byte;
      }),
    );
  } else throw new TypeError(`${name} must be a string, a Uint8Array or an array of byte numbers`);
  if (!allowEmpty && bytes.length === 0) throw new RangeError(`${name} must not be empty`);
  return bytes;
}

/** `bad-checksum` → `badChecksum`: the counter name of a reason. */
export function counterOf(reason: string): string {
  return reason.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * A meter for a framer with `messages`, `invalid` and one counter per
 * reason, and an `onInvalid` that counts before calling the user's.
 */
export function framerMeter<R extends string>(
  kind: string,
  labels: { name?: string | undefined; group?: string | undefined },
  reasons: readonly R[],
  onInvalid: ((invalid: InvalidFrame<R>) => void) | undefined,
  extra: readonly string[] = [],
): { meter: LegoMeter; counted: (invalid: InvalidFrame<R>) => void } {
  const meter = legoMeter(kind, labels, ["messages", "invalid", ...reasons.map(counterOf), ...extra]);
  const counted = (invalid: InvalidFrame<R>): void => {
    meter.count("invalid");
    meter.count(counterOf(invalid.reason));
    onInvalid?.(invalid);
  };
  return { meter, counted };
}

/**
 * The operator around a pure framer: one machine per subscription, frames
 * emitted as they complete, `end()` at completion, a source error passed on
 * (what is held is dropped without a report), an exception (a throwing
 * `onInvalid`, a chunk that is not bytes) errors the stream.
 */
export function framingOperator<T>(meter: LegoMeter, create: () => FrameMachine<T>): LegoOperator<FramingChunk, T> {
  const operator = (source: Observable<FramingChunk>): Observable<T> =>
    new Observable<T>((subscriber) => {
      const machine = create();
      const emit = (frame: T): void => {
        subscriber.next(frame);
      };
      subscribeWithin(subscriber, source, {
        next: (chunk) => {
          const before = machine.frames;
          try {
            machine.feed(chunk, emit);
          } catch (error) {
            subscriber.error(error);
          } finally {
            meter.count("messages", machine.frames - before);
          }
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          const before = machine.frames;
          try {
            machine.end(emit);
          } catch (error) {
            subscriber.error(error);
            return;
          } finally {
            meter.count("messages", machine.frames - before);
          }
          subscriber.complete();
        },
      });
    });
  return withLego(operator, meter.descriptor);
}
