import type { Codec } from "./schema.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(bytes: Uint8Array, id: string): string {
  try {
    return decoder.decode(bytes);
  } catch (error) {
    throw new TypeError(`${id}: bytes are not valid UTF-8`, { cause: error });
  }
}

/** Rejects `NaN`, `Infinity` and values JSON cannot represent, naming the path. */
function assertJsonSafe(value: unknown, path: string): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw new RangeError(`${path} must be a finite number, got ${value}`);
      return;
    case "object":
      if (value === null) return;
      if (Array.isArray(value)) {
        value.forEach((item, i) => {
          assertJsonSafe(item, `${path}[${i}]`);
        });
        return;
      }
      for (const [key, item] of Object.entries(value)) assertJsonSafe(item, `${path}.${key}`);
      return;
    default:
      throw new TypeError(`${path} cannot be encoded as JSON (${typeof value})`);
  }
}

/**
 * JSON values as UTF-8 bytes. Encoding refuses what JSON would silently
 * change (`NaN`, `Infinity`, `undefined`, functions, bigints) instead of
 * storing something else.
 */
export function jsonCodec<T = unknown>(): Codec<T> {
  return Object.freeze({
    id: "json",
    version: 1,
    encode(value: T): Uint8Array {
      assertJsonSafe(value, "value");
      return encoder.encode(JSON.stringify(value));
    },
    decode(bytes: Uint8Array): T {
      const text = decodeUtf8(bytes, "json");
      try {
        return JSON.parse(text) as T;
      } catch (error) {
        throw new TypeError("json: bytes are not valid JSON", { cause: error });
      }
    },
  });
}

/** Finite numbers as their shortest decimal text. */
export function numberCodec(): Codec<number> {
  return Object.freeze({
    id: "number",
    version: 1,
    encode(value: number): Uint8Array {
      if (typeof value !== "number") throw new TypeError(`value must be a number, got ${typeof value}`);
      if (!Number.isFinite(value)) throw new RangeError(`value must be a finite number, got ${value}`);
      return encoder.encode(String(value));
    },
    decode(bytes: Uint8Array): number {
      const text = decodeUtf8(bytes, "number");
      const value = text.trim() === "" ? NaN : Number(text);
      if (!Number.isFinite(value)) throw new TypeError(`number: ${JSON.stringify(text)} is not a finite number`);
      return value;
    },
  });
}

/** Strings as UTF-8. */
export function stringCodec(): Codec<string> {
  return Object.freeze({
    id: "string",
    version: 1,
    encode(value: string): Uint8Array {
      if (typeof value !== "string") throw new TypeError(`value must be a string, got ${typeof value}`);
      return encoder.encode(value);
    },
    decode(bytes: Uint8Array): string {
      return decodeUtf8(bytes, "string");
    },
  });
}

/** Bytes as themselves (copied, so the caller may reuse its buffer). */
export function bytesCodec(): Codec<Uint8Array> {
  return Object.freeze({
    id: "bytes",
    version: 1,
    encode(value: Uint8Array): Uint8Array {
      if (!(value instanceof Uint8Array)) throw new TypeError("value must be a Uint8Array");
      return value.slice();
    },
    decode(bytes: Uint8Array): Uint8Array {
      return bytes.slice();
    },
  });
}
