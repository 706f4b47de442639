import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_OFFSET_KEY, MIN_OFFSET_KEY, isOffset, offsetKey, offsetOfKey } from "../../src/index.js";

const utf8Compare = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe("offset keys", () => {
  it("sort bytewise in offset order", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.maxSafeNat(), (a, b) => {
        expect(Math.sign(utf8Compare(offsetKey(a), offsetKey(b)))).toBe(Math.sign(a - b));
      }),
    );
  });

  it("round-trip every safe offset", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (offset) => {
        expect(offsetOfKey(offsetKey(offset))).toBe(offset);
      }),
    );
  });

  it("have fixed width and known bounds", () => {
    expect(offsetKey(0)).toBe(MIN_OFFSET_KEY);
    expect(offsetKey(255)).toBe("00000000000000ff");
    expect(offsetKey(Number.MAX_SAFE_INTEGER)).toBe(MAX_OFFSET_KEY);
  });

  it("reject offsets that are not safe integers >= 0", () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1]) {
      expect(() => offsetKey(bad)).toThrow(RangeError);
      expect(isOffset(bad)).toBe(false);
    }
  });

  it("read only well-formed keys", () => {
    expect(offsetOfKey("meta:first")).toBeUndefined();
    expect(offsetOfKey("00000000000000FF")).toBeUndefined();
    expect(offsetOfKey("ff")).toBeUndefined();
    expect(offsetOfKey("ffffffffffffffff")).toBeUndefined();
  });
});
