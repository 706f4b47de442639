/** The reflected IEEE 802.3 polynomial (zlib, PNG, Ethernet). */
const POLYNOMIAL = 0xedb88320;

/** Eight 256-entry tables for slicing-by-8: table k maps a byte seen k bytes ago. */
const TABLES: readonly Int32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  const first = tables[0] as Int32Array;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLYNOMIAL ^ (c >>> 1) : c >>> 1;
    first[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = first[n] as number;
    for (let k = 1; k < 8; k++) {
      c = (first[c & 0xff] as number) ^ (c >>> 8);
      (tables[k] as Int32Array)[n] = c;
    }
  }
  return tables;
})();

/**
 * The CRC-32 of some bytes (IEEE 802.3, as zlib's `crc32`, PNG and
 * Ethernet compute it): an unsigned 32-bit number, `0` for no bytes. Pass the
 * previous result as `crc` to continue a checksum over several pieces.
 * Table-driven (slicing-by-8). A `number[]` must hold octets (integers
 * 0–255); anything else throws a `TypeError` or `RangeError` naming the
 * offending index.
 *
 * ## Example
 * ```ts
 * crc32(new TextEncoder().encode("123456789")); // 0xcbf43926
 * crc32(bytes.subarray(4), crc32(bytes.subarray(0, 4))) === crc32(bytes); // true
 * ```
 * @see {@link xorChecksum} the one-byte checksum of NMEA-like lines.
 * @see {@link lengthPrefixed} which checks it on each frame (`checksum: { kind: "crc32" }`).
 */
export function crc32(bytes: Uint8Array | readonly number[], crc = 0): number {
  if (typeof crc !== "number" || !Number.isInteger(crc) || crc < 0 || crc > 0xffffffff) {
    throw new RangeError(`crc must be an unsigned 32-bit integer, got ${String(crc)}`);
  }
  if (bytes instanceof Uint8Array) return crc32Of(bytes, 0, bytes.length, crc);
  if (!Array.isArray(bytes)) throw new TypeError("bytes must be a Uint8Array or an array of octets");
  const octets = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const byte: unknown = bytes[i];
    if (typeof byte !== "number") throw new TypeError(`bytes[${i}] must be a number, got ${byte === null ? "null" : typeof byte}`);
    if (!Number.isInteger(byte) || byte < 0 || byte > 255) throw new RangeError(`bytes[${i}] must be an octet (an integer 0-255), got ${byte}`);
    octets[i] = byte;
  }
  return crc32Of(octets, 0, octets.length, crc);
}

/**
 * CRC-32 of `bytes[start, end)` without checks (the framers' hot path).
 * @internal
 */
export function crc32Of(bytes: Uint8Array, start: number, end: number, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  let c = ~crc;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = c ^ ((bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24));
    c =
      (t7[lo & 0xff] as number) ^
      (t6[(lo >>> 8) & 0xff] as number) ^
      (t5[(lo >>> 16) & 0xff] as number) ^
      (t4[lo >>> 24] as number) ^
      (t3[bytes[i + 4] as number] as number) ^
      (t2[bytes[i + 5] as number] as number) ^
      (t1[bytes[i + 6] as number] as number) ^
      (t0[bytes[i + 7] as number] as number);
  }
  for (; i < end; i++) c = (t0[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}
