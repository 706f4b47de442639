import type { Codec } from "./schema.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** How the canonical JSON writer treats `Uint8Array`s. */
export type BytesInJson = "reject" | "tagged";

/** The tags {@link canonicalJson} uses in `"tagged"` mode: bytes, and objects that would look like tags. */
export const BYTES_TAG = "$bytes";
export const OBJECT_TAG = "$object";

/**
 * UTF-8 bytes as text; invalid UTF-8 is a `TypeError` naming `what`.
 * @internal shared by the codecs.
 */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return decoder.decode(bytes);
  } catch (error) {
    throw new TypeError(`${what}: bytes are not valid UTF-8`, { cause: error });
  }
}

/** Text as UTF-8 bytes. @internal */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Standard base64 with padding. @internal */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/**
 * Strict base64: only the canonical encoding of some bytes is accepted (no
 * whitespace, no missing padding, no stray bits), so every value has one
 * spelling. A `TypeError` names `path` otherwise.
 * @internal
 */
export function fromBase64(text: unknown, path: string): Uint8Array {
  if (typeof text !== "string") throw new TypeError(`${path} must be a base64 string, got ${describeJson(text)}`);
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") !== text) throw new TypeError(`${path} is not valid base64`);
  return new Uint8Array(bytes);
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "string") return JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}…` : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isTagLike(record: Record<string, unknown>, keys: readonly string[]): boolean {
  return keys.length === 1 && (keys[0] === BYTES_TAG || keys[0] === OBJECT_TAG) && record[keys[0]] !== undefined;
}

/**
 * Compact JSON with object keys in code-unit order, so equal values always
 * give the same text (and bytes). It refuses what `JSON.stringify` would
 * silently change — `NaN`, `±Infinity`, `undefined` in arrays, functions,
 * bigints, class instances, cycles — with an error naming the path. `-0`
 * is kept as `-0`; object properties that are `undefined` are left out.
 *
 * In `"tagged"` mode a `Uint8Array` is written `{"$bytes":"<base64>"}` and a
 * plain object whose only key is `$bytes` or `$object` is wrapped as
 * `{"$object":…}`, so {@link reviveTagged} restores both exactly.
 * @internal
 */
export function canonicalJson(value: unknown, path = "value", bytes: BytesInJson = "reject"): string {
  const ancestors = new Set<object>();

  function write(item: unknown, at: string): string {
    switch (typeof item) {
      case "string":
        return JSON.stringify(item);
      case "boolean":
        return item ? "true" : "false";
      case "number":
        if (!Number.isFinite(item)) throw new RangeError(`${at} must be a finite number, got ${item}`);
        return Object.is(item, -0) ? "-0" : JSON.stringify(item);
      case "object":
        return item === null ? "null" : writeObject(item, at);
      default:
        throw new TypeError(`${at} cannot be encoded as JSON (${typeof item})`);
    }
  }

  function writeObject(item: object, at: string): string {
    if (item instanceof Uint8Array && bytes === "tagged") return `{"${BYTES_TAG}":"${toBase64(item)}"}`;
    if (ancestors.has(item)) throw new TypeError(`${at} is circular`);
    ancestors.add(item);
    let text: string;
    if (Array.isArray(item)) {
      text = `[${(item as unknown[])
        .map((element, i) => {
          if (element === undefined) throw new TypeError(`${at}[${i}] cannot be encoded as JSON (undefined)`);
          return write(element, `${at}[${i}]`);
        })
        .join(",")}]`;
    } else if (isPlainObject(item)) {
      text = writeRecord(item as Record<string, unknown>, at);
    } else {
      const kind = (item as { constructor?: { name?: unknown } }).constructor?.name;
      throw new TypeError(`${at} cannot be encoded as JSON (${typeof kind === "string" ? kind : "object"})`);
    }
    ancestors.delete(item);
    return text;
  }

  function writeRecord(record: Record<string, unknown>, at: string): string {
    const keys = Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const parts: string[] = [];
    for (const key of keys) {
      const item = record[key];
      if (item !== undefined) parts.push(`${JSON.stringify(key)}:${write(item, `${at}.${key}`)}`);
    }
    const text = `{${parts.join(",")}}`;
    return bytes === "tagged" && isTagLike(record, keys) ? `{"${OBJECT_TAG}":${text}}` : text;
  }

  return write(value, path);
}

/**
 * Undoes {@link canonicalJson}'s `"tagged"` mode on a parsed JSON value:
 * `{"$bytes":…}` becomes a `Uint8Array` (invalid base64 is a `TypeError`
 * naming the path) and `{"$object":{…}}` the object inside.
 * @internal
 */
export function reviveTagged(value: unknown, path: string): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return (value as unknown[]).map((item, i) => reviveTagged(item, `${path}[${i}]`));
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === BYTES_TAG) return fromBase64(record[BYTES_TAG], `${path}.${BYTES_TAG}`);
  if (keys.length === 1 && keys[0] === OBJECT_TAG) {
    const inner = record[OBJECT_TAG];
    if (typeof inner !== "object" || inner === null || Array.isArray(inner)) {
      throw new TypeError(`${path}.${OBJECT_TAG} must be an object, got ${describeJson(inner)}`);
    }
    return reviveRecord(inner as Record<string, unknown>, path);
  }
  return reviveRecord(record, path);
}

function reviveRecord(record: Record<string, unknown>, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const value = reviveTagged(record[key], `${path}.${key}`);
    // A JSON key "__proto__" is data, not the prototype.
    if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

/** Finds the first key whose value is a bare `NaN`/`Infinity`, which JSON does not allow. */
function nonFiniteField(text: string): string | undefined {
  const match = /"((?:[^"\\]|\\.)*)"\s*:\s*[-+]?(?:NaN|Infinity)\b/.exec(text);
  return match?.[1];
}

/**
 * Parses UTF-8 JSON strictly; the error names `what` and, for a bare
 * `NaN`/`Infinity`, the field that held it.
 * @internal
 */
export function parseJson(bytes: Uint8Array, what: string): unknown {
  const text = decodeUtf8(bytes, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const field = nonFiniteField(text);
    if (field !== undefined) throw new TypeError(`${what}.${field} must be a finite number (NaN and Infinity are not JSON)`, { cause: error });
    throw new TypeError(`${what}: bytes are not valid JSON`, { cause: error });
  }
}

/**
 * JSON values as UTF-8 bytes: compact, keys sorted, so equal values encode
 * to equal bytes. Encoding refuses what JSON would silently change (`NaN`,
 * `Infinity`, `undefined` in arrays, functions, bigints, class instances)
 * instead of storing something else.
 * @lego Schema
 */
export function jsonCodec<T = unknown>(): Codec<T> {
  return Object.freeze({
    id: "json",
    version: 1,
    encode(value: T): Uint8Array {
      return encoder.encode(canonicalJson(value));
    },
    decode(bytes: Uint8Array): T {
      return parseJson(bytes, "json") as T;
    },
  });
}

/**
 * JSON values as UTF-8 bytes, fast: `JSON.stringify` as it is (keys in
 * insertion order, so equal values may encode to different bytes — use
 * {@link jsonCodec} when bytes must be stable, e.g. for hashing or
 * deduplication). It still refuses what would come back changed where a
 * check is cheap: an output containing `null` is checked as
 * {@link jsonCodec} checks (`NaN`, `Infinity`, `undefined` or a function
 * in an array all become `null`), and so is a top-level value that is not
 * plain JSON data (a class instance, `undefined`, a bigint). Nested class
 * instances (a `Date` inside an object) are stored as `JSON.stringify`
 * writes them. Decodes any JSON, so it reads what `jsonCodec` wrote, and
 * the other way round. The default codec of `LocalDurableSpool`.
 * @lego Schema
 */
export function fastJsonCodec<T = unknown>(): Codec<T> {
  return Object.freeze({
    id: "json-fast",
    version: 1,
    encode(value: T): Uint8Array {
      const top = value as unknown;
      if (typeof top === "object" && top !== null) {
        const proto: unknown = Object.getPrototypeOf(top);
        if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) canonicalJson(top);
      }
      const text = JSON.stringify(top) as string | undefined;
      if (text === undefined) return encoder.encode(canonicalJson(top)); // throws: undefined, a function or a symbol
      if (text.includes("null")) canonicalJson(top); // throws when a null stands for NaN, Infinity, undefined …
      return encoder.encode(text);
    },
    decode(bytes: Uint8Array): T {
      return parseJson(bytes, "json-fast") as T;
    },
  });
}

/** The JSON number grammar: what `numberCodec` accepts, nothing looser (no hex, no spaces, no `Infinity`). */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

/**
 * Finite numbers as their shortest round-trip decimal text (`-0` as `"-0"`).
 * Decoding accepts exactly the JSON number grammar.
 * @lego Schema
 */
export function numberCodec(): Codec<number> {
  return Object.freeze({
    id: "number",
    version: 1,
    encode(value: number): Uint8Array {
      if (typeof value !== "number") throw new TypeError(`value must be a number, got ${describeJson(value)}`);
      if (!Number.isFinite(value)) throw new RangeError(`value must be a finite number, got ${value}`);
      return encoder.encode(Object.is(value, -0) ? "-0" : String(value));
    },
    decode(bytes: Uint8Array): number {
      const text = decodeUtf8(bytes, "number");
      const value = JSON_NUMBER.test(text) ? Number(text) : NaN;
      if (!Number.isFinite(value)) throw new TypeError(`number: ${describeJson(text)} is not a finite number`);
      return value;
    },
  });
}

/** A lone UTF-16 surrogate: UTF-8 cannot carry it, so encoding would change the string. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Strings as UTF-8. A string with a lone surrogate is refused (UTF-8 would
 * replace it), and bytes that are not UTF-8 do not decode.
 * @lego Schema
 */
export function stringCodec(): Codec<string> {
  return Object.freeze({
    id: "string",
    version: 1,
    encode(value: string): Uint8Array {
      if (typeof value !== "string") throw new TypeError(`value must be a string, got ${describeJson(value)}`);
      if (LONE_SURROGATE.test(value)) throw new RangeError("value must be well-formed UTF-16 (it has a lone surrogate)");
      return encoder.encode(value);
    },
    decode(bytes: Uint8Array): string {
      return decodeUtf8(bytes, "string");
    },
  });
}

/**
 * Bytes as themselves, copied both ways so neither side can change the
 * other's buffer.
 * @lego Schema
 */
export function bytesCodec(): Codec<Uint8Array> {
  return Object.freeze({
    id: "bytes",
    version: 1,
    encode(value: Uint8Array): Uint8Array {
      if (!(value instanceof Uint8Array)) throw new TypeError(`value must be a Uint8Array, got ${describeJson(value)}`);
      return new Uint8Array(value);
    },
    decode(bytes: Uint8Array): Uint8Array {
      return new Uint8Array(bytes);
    },
  });
}
