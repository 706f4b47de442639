import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/index.js";

/** Bit-at-a-time CRC-32 (IEEE, reflected), the definition the table-driven one must agree with. */
function reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe("crc32", () => {
  it.each([
    ["", 0],
    ["a", 0xe8b7be43],
    ["123456789", 0xcbf43926],
    ["The quick brown fox jumps over the lazy dog", 0x414fa339],
  ])("gives the standard check value of %j", (text, expected) => {
    expect(crc32(new TextEncoder().encode(text))).toBe(expected);
  });

  it("agrees with the bitwise definition on any bytes, at any offset and length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (bytes, skip) => {
        const view = bytes.subarray(Math.min(skip, bytes.length));
        expect(crc32(view)).toBe(reference(view));
      }),
      { numRuns: 500 },
    );
  });

  it("continues over pieces: crc32(b, crc32(a)) === crc32(a + b)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), (a, b) => {
        const joined = new Uint8Array([...a, ...b]);
        expect(crc32(b, crc32(a))).toBe(crc32(joined));
      }),
    );
  });

  it("accepts an array of octets and names a bad element", () => {
    expect(crc32([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39])).toBe(0xcbf43926);
    expect(() => crc32([1, 256])).toThrow(RangeError);
    expect(() => crc32([1, 256])).toThrow("bytes[1]");
    expect(() => crc32([1, "2"] as never)).toThrow(TypeError);
    expect(() => crc32("abc" as never)).toThrow(TypeError);
    expect(() => crc32([], -1)).toThrow("crc");
  });
});
