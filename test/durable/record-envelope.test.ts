import fc from "fast-check";
import { MemoryLevel } from "memory-level";
import { describe, expect, it } from "vitest";
import { DURABILITIES, decodeRecordEnvelope, encodeRecordEnvelope, isLevelDatabase } from "../../src/index.js";

describe("record envelopes", () => {
  it("round-trip the append time and the payload", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.uint8Array({ maxLength: 64 }), (appendedAt, payload) => {
        const decoded = decodeRecordEnvelope(encodeRecordEnvelope(appendedAt, payload));
        expect(Object.is(decoded.appendedAt, appendedAt)).toBe(true);
        expect(Array.from(decoded.payload)).toEqual(Array.from(payload));
      }),
    );
  });

  it("put the version byte first and the time big-endian", () => {
    expect(Array.from(encodeRecordEnvelope(1, new Uint8Array([7])))).toEqual([1, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 7]);
  });

  it("reject bytes that are not an envelope, saying why", () => {
    expect(() => decodeRecordEnvelope(new Uint8Array(3))).toThrow(/shorter than its 9-byte header/);
    expect(() => decodeRecordEnvelope(new Uint8Array(9).fill(2))).toThrow(/version 2 is not supported/);
  });
});

describe("durable helpers", () => {
  it("isLevelDatabase recognises abstract-level databases only", () => {
    expect(isLevelDatabase(new MemoryLevel())).toBe(true);
    expect(isLevelDatabase({ sublevel: 1 })).toBe(false);
    expect(isLevelDatabase(null)).toBe(false);
  });

  it("DURABILITIES lists the two policies", () => {
    expect(DURABILITIES).toEqual(["sync", "relaxed"]);
    expect(Object.isFrozen(DURABILITIES)).toBe(true);
  });
});
