import fc from "fast-check";
import { lastValueFrom, of, toArray } from "rxjs";
import { MemoryLevel } from "memory-level";
import { describe, expect, it } from "vitest";
import { LocalDurableSpool, fastJsonCodec, jsonCodec } from "../../src/index.js";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe("fastJsonCodec", () => {
  const codec = fastJsonCodec();

  it("writes JSON.stringify's bytes (insertion order) and reads them back", () => {
    expect(text(codec.encode({ b: 1, a: [true, "x", null] }))).toBe('{"b":1,"a":[true,"x",null]}');
    expect(codec.decode(codec.encode({ b: 1, a: [true, "x", null] }))).toEqual({ b: 1, a: [true, "x", null] });
    expect([codec.id, codec.version]).toEqual(["json-fast", 1]);
  });

  it("round-trips any JSON value, and reads what jsonCodec wrote and the other way round", () => {
    const canonical = jsonCodec();
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const normalized = JSON.parse(JSON.stringify(value)) as unknown; // -0 → 0, as JSON does
        expect(codec.decode(codec.encode(value))).toEqual(normalized);
        expect(codec.decode(canonical.encode(value))).toEqual(canonical.decode(canonical.encode(value)));
        expect(canonical.decode(codec.encode(value))).toEqual(normalized);
      }),
    );
  });

  it.each([
    ["NaN", { v: Number.NaN }],
    ["Infinity in an array", [1, Number.POSITIVE_INFINITY]],
    ["undefined in an array", [undefined]],
    ["a function in an array", [() => 1]],
    ["a top-level class instance", new Map([[1, 2]])],
    ["a top-level Date", new Date(0)],
    ["undefined", undefined],
    ["a bigint", 1n],
  ])("refuses %s instead of storing something else", (_name, value) => {
    expect(() => codec.encode(value)).toThrow();
  });
});

describe("LocalDurableSpool's default codec", () => {
  it("is fastJsonCodec: objects are stored as JSON.stringify writes them (keys in insertion order)", async () => {
    const db = new MemoryLevel<string, Uint8Array>({ keyEncoding: "utf8", valueEncoding: "view" });
    await db.open();
    const spool = await LocalDurableSpool.open<Record<string, number>>({ db, name: "order" });
    await lastValueFrom(of({ b: 1, a: 2 }).pipe(spool.record()));
    const [record] = await lastValueFrom(spool.replay().pipe(toArray()));
    expect(Object.keys(record!.value)).toEqual(["b", "a"]);
    await spool.close();
    await db.close();
  });
});
