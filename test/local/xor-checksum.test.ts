import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { xorChecksum } from "../../src/index.js";

describe("xorChecksum", () => {
  it("computes the NMEA checksum", () => {
    expect(xorChecksum(new TextEncoder().encode("GPGLL,5300.97914,N,00259.98174,E,125926,A"))).toBe(0x28);
    expect(xorChecksum([0x01, 0x02, 0x03])).toBe(0);
    expect(xorChecksum([0xff])).toBe(0xff);
    expect(xorChecksum([])).toBe(0);
  });

  it("agrees between Uint8Array and number[] and cancels a repeated byte (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array(), fc.integer({ min: 0, max: 255 }), (bytes, byte) => {
        expect(xorChecksum([...bytes])).toBe(xorChecksum(bytes));
        expect(xorChecksum([...bytes, byte, byte])).toBe(xorChecksum(bytes));
        expect(xorChecksum([...bytes, xorChecksum(bytes)])).toBe(0);
      }),
    );
  });

  it.each([
    [[1, 256], RangeError, "bytes[1]"],
    [[-1], RangeError, "bytes[0]"],
    [[1.5], RangeError, "bytes[0]"],
    [[NaN], RangeError, "bytes[0]"],
    [[1, "2"], TypeError, "bytes[1]"],
    [[null], TypeError, "bytes[0]"],
  ])("rejects the non-octet in %o", (bytes, errorClass, name) => {
    expect(() => xorChecksum(bytes as never)).toThrow(errorClass);
    expect(() => xorChecksum(bytes as never)).toThrow(name);
  });

  it("rejects what is not bytes", () => {
    expect(() => xorChecksum("abc" as never)).toThrow(TypeError);
    expect(() => xorChecksum(new Uint16Array([1]) as never)).toThrow(TypeError);
  });
});
