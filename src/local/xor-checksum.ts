/**
 * The XOR of every byte (the catalog's `XorChecksum`), as used by NMEA
 * sentences and many serial protocols: 0 for no bytes. A `number[]` must
 * hold octets (integers 0–255); anything else throws a `TypeError` or
 * `RangeError` naming the offending index.
 *
 * ## Example
 * ```ts
 * xorChecksum(new TextEncoder().encode("GPGLL,5300.97914,N,00259.98174,E,125926,A")); // 0x28
 * xorChecksum([0x01, 0x02, 0x03]); // 0
 * ```
 * @lego XorChecksum
 */
export function xorChecksum(bytes: Uint8Array | readonly number[]): number {
  if (bytes instanceof Uint8Array) {
    let sum = 0;
    for (const byte of bytes) sum ^= byte;
    return sum;
  }
  if (!Array.isArray(bytes)) throw new TypeError("bytes must be a Uint8Array or an array of octets");
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte: unknown = bytes[i];
    if (typeof byte !== "number") throw new TypeError(`bytes[${i}] must be a number, got ${byte === null ? "null" : typeof byte}`);
    if (!Number.isInteger(byte) || byte < 0 || byte > 255) throw new RangeError(`bytes[${i}] must be an octet (an integer 0-255), got ${byte}`);
    sum ^= byte;
  }
  return sum;
}
