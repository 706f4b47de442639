import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesCodec, jsonCodec, numberCodec, stringCodec } from "../../src/index.js";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("jsonCodec", () => {
  const codec = jsonCodec();

  it("round-trips any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(codec.decode(codec.encode(value))).toEqual(value);
      }),
    );
  });

  it("writes compact JSON with sorted keys, so equal values give equal bytes", () => {
    expect(text(codec.encode({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: null } }))).toBe('{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}');
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(codec.encode(reversed)).toEqual(codec.encode(record));
      }),
    );
  });

  it("keeps -0 and a __proto__ key", () => {
    expect(Object.is(codec.decode(codec.encode(-0)), -0)).toBe(true);
    const value = JSON.parse('{"__proto__":{"x":1}}') as unknown;
    expect(Object.keys(codec.decode(codec.encode(value)) as object)).toEqual(["__proto__"]);
  });

  it("refuses values JSON would change, naming the path", () => {
    expect(() => codec.encode({ a: [1, NaN] })).toThrow(/value\.a\[1\] must be a finite number/);
    expect(() => codec.encode({ a: Infinity })).toThrow(RangeError);
    expect(() => codec.encode([undefined])).toThrow(/value\[0\].*undefined/);
    expect(() => codec.encode({ f: () => 1 })).toThrow(/value\.f.*function/);
    expect(() => codec.encode(10n)).toThrow(TypeError);
    expect(() => codec.encode(new Date(0))).toThrow(/Date/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => codec.encode(cycle)).toThrow(/circular/);
  });

  it("drops undefined properties as JSON does", () => {
    expect(text(codec.encode({ a: undefined, b: 1 }))).toBe('{"b":1}');
  });

  it("rejects invalid UTF-8, invalid JSON and bare NaN naming the field", () => {
    expect(() => codec.decode(new Uint8Array([0xff]))).toThrow(/not valid UTF-8/);
    expect(() => codec.decode(utf8("{"))).toThrow(/not valid JSON/);
    expect(() => codec.decode(utf8('{"temp": NaN}'))).toThrow(/json\.temp must be a finite number/);
    expect(() => codec.decode(utf8('{"t":-Infinity}'))).toThrow(/json\.t/);
  });
});

describe("numberCodec", () => {
  const codec = numberCodec();

  it("round-trips every finite number, -0 included", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(Object.is(codec.decode(codec.encode(n)), n)).toBe(true);
      }),
    );
  });

  it("accepts only the JSON number grammar", () => {
    expect(codec.decode(utf8("-1.5e3"))).toBe(-1500);
    for (const bad of ["", " 1", "0x10", "1.", ".5", "+1", "NaN", "Infinity", "1e", "01", "true"]) {
      expect(() => codec.decode(utf8(bad)), bad).toThrow(TypeError);
    }
  });

  it("refuses non-numbers and non-finite numbers", () => {
    expect(() => codec.encode("1" as never)).toThrow(TypeError);
    expect(() => codec.encode(true as never)).toThrow(TypeError);
    expect(() => codec.encode(NaN)).toThrow(RangeError);
    expect(() => codec.encode(-Infinity)).toThrow(RangeError);
  });
});

describe("stringCodec", () => {
  const codec = stringCodec();

  it("round-trips well-formed strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        expect(codec.decode(codec.encode(s))).toBe(s);
      }),
    );
  });

  it("refuses lone surrogates, non-strings and invalid UTF-8", () => {
    expect(() => codec.encode("a\uD800b")).toThrow(RangeError);
    expect(() => codec.encode("\uDC00")).toThrow(RangeError);
    expect(() => codec.encode(5 as never)).toThrow(TypeError);
    expect(() => codec.decode(new Uint8Array([0xc3]))).toThrow(/string: bytes are not valid UTF-8/);
  });
});

describe("bytesCodec", () => {
  const codec = bytesCodec();

  it("round-trips bytes and copies both ways", () => {
    fc.assert(
      fc.property(fc.uint8Array(), (bytes) => {
        expect(codec.decode(codec.encode(bytes))).toEqual(bytes);
      }),
    );
    const input = new Uint8Array([1, 2]);
    const encoded = codec.encode(input);
    input[0] = 9;
    expect(encoded[0]).toBe(1);
    const decoded = codec.decode(encoded);
    encoded[1] = 9;
    expect(decoded[1]).toBe(2);
  });

  it("refuses non-bytes", () => {
    expect(() => codec.encode([1, 2] as never)).toThrow(/Uint8Array/);
  });

  it("has ids and versions", () => {
    expect([jsonCodec(), numberCodec(), stringCodec(), codec].map((c) => [c.id, c.version])).toEqual([
      ["json", 1],
      ["number", 1],
      ["string", 1],
      ["bytes", 1],
    ]);
  });
});
