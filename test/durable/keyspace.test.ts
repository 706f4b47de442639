import fc from "fast-check";
import { lastValueFrom, take, toArray } from "rxjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Keyspace, isLegoError, legoOf, prefixUpperBound } from "../../src/index.js";
import { MemoryLevel } from "memory-level";
import { backends, collect, text, untext, type BackendHandle } from "./backends.js";

const utf8Compare = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe("prefixUpperBound", () => {
  it("is above every key with the prefix and at or below every larger key without it", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 1 }), fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (prefix, suffix, other) => {
        const upper = prefixUpperBound(prefix);
        if (upper === undefined) return;
        expect(utf8Compare(prefix + suffix, upper)).toBeLessThan(0);
        if (!other.startsWith(prefix) && utf8Compare(other, prefix) > 0) expect(utf8Compare(other, upper)).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it("skips the surrogate range and has no bound for a prefix of maximal code points", () => {
    expect(prefixUpperBound("ab")).toBe("ac");
    expect(prefixUpperBound("a\ud7ff")).toBe("a\ue000");
    expect(prefixUpperBound("a\u{10ffff}")).toBe("b");
    expect(prefixUpperBound("\u{10ffff}")).toBeUndefined();
  });
});

describe.each(backends)("Keyspace on $name", (backend) => {
  let handle: BackendHandle;
  let keyspace: Keyspace;

  beforeEach(async () => {
    handle = await backend.create();
    keyspace = new Keyspace(handle.db, { name: "devices", group: "ambient" });
  });

  afterEach(async () => {
    await handle.dispose();
  });

  it("writes, reads and deletes values", async () => {
    await keyspace.put("a", text("1"));
    expect(untext((await keyspace.get("a"))!)).toBe("1");
    await keyspace.del("a");
    expect(await keyspace.get("a")).toBeUndefined();
  });

  it("applies a write atomically, in order", async () => {
    await keyspace.write([
      { type: "put", key: "a", value: text("1") },
      { type: "put", key: "b", value: text("2") },
      { type: "del", key: "a" },
    ]);
    expect((await collect(keyspace.entries())).map(([key, value]) => [key, untext(value)])).toEqual([["b", "2"]]);
  });

  it("writes nothing when a batch fails", async () => {
    await expect(
      keyspace.write([
        { type: "put", key: "a", value: text("1") },
        { type: "put", key: "b", value: "not bytes" as unknown as Uint8Array },
      ]),
    ).rejects.toThrow(TypeError);
    expect(await keyspace.get("a")).toBeUndefined();
  });

  it("a KeyspaceBatch counts its operations, writes them at once, or is discarded", async () => {
    const batch = keyspace.batch().put("a", text("1")).put("b", text("2")).del("a");
    expect(batch.length).toBe(3);
    expect(await keyspace.get("b")).toBeUndefined();
    await batch.write({ sync: true });
    expect(await collect(keyspace.keys())).toEqual(["b"]);
    const abandoned = keyspace.batch().put("c", text("3"));
    await abandoned.discard();
    expect(await keyspace.get("c")).toBeUndefined();
    await keyspace.batch().write();
  });

  it("scans by prefix, by range, in reverse and with a limit", async () => {
    for (const key of ["uart:1", "uart:2", "uart:10", "usb:1", "u"]) await keyspace.put(key, text(key));
    expect(await collect(keyspace.keys({ prefix: "uart:" }))).toEqual(["uart:1", "uart:10", "uart:2"]);
    expect(await collect(keyspace.keys({ gt: "uart:10", lte: "usb:1" }))).toEqual(["uart:2", "usb:1"]);
    expect(await collect(keyspace.keys({ prefix: "uart:", reverse: true, limit: 2 }))).toEqual(["uart:2", "uart:10"]);
  });

  it("streams large scans in chunks of chunkSize", async () => {
    const ops = Array.from({ length: 25 }, (_, i) => ({ type: "put" as const, key: `k${String(i).padStart(2, "0")}`, value: text(String(i)) }));
    await keyspace.write(ops);
    const sizes = (await collect(keyspace.chunks({ chunkSize: 10 }))).map((chunk) => chunk.length);
    expect(sizes).toEqual([10, 10, 5]);
  });

  it("keeps sibling and nested keyspaces apart", async () => {
    const other = new Keyspace(handle.db, { name: "other" });
    const nested = keyspace.child("meta");
    await keyspace.put("k", text("outer"));
    await other.put("k", text("other"));
    await nested.put("k", text("nested"));
    expect(untext((await keyspace.get("k"))!)).toBe("outer");
    expect(untext((await other.get("k"))!)).toBe("other");
    expect(untext((await nested.get("k"))!)).toBe("nested");
    expect(await collect(keyspace.keys())).toEqual(["k"]);
    expect(await collect(keyspace.keys({ limit: 1, chunkSize: 1 }))).toEqual(["k"]);
    expect(nested.group).toBe("ambient");
    await expect(keyspace.put("!meta!x", text("sneaky"))).rejects.toThrow(/reserved for nested keyspaces/);
  });

  it("clears a prefix and reports how many entries went", async () => {
    for (const key of ["a1", "a2", "b1"]) await keyspace.put(key, text(key));
    expect(await keyspace.clear({ prefix: "a" })).toBe(2);
    expect(await collect(keyspace.keys())).toEqual(["b1"]);
  });

  it("keeps data across a restart", async () => {
    await keyspace.put("a", text("1"), { sync: true });
    const db = await handle.reopen();
    expect(untext((await new Keyspace(db, { name: "devices" }).get("a"))!)).toBe("1");
  });

  it("scan() is an Observable with a Keyspace descriptor", async () => {
    for (const key of ["a", "b", "c"]) await keyspace.put(key, text(key));
    const scan$ = keyspace.scan();
    expect(legoOf(scan$)).toEqual({ kind: "Keyspace", name: "devices", group: "ambient" });
    expect((await lastValueFrom(scan$.pipe(toArray()))).map(([key]) => key)).toEqual(["a", "b", "c"]);
    expect(scan$.lego.counters.read).toBe(3);
  });

  it("scan() stops reading after an early unsubscribe", async () => {
    const ops = Array.from({ length: 50 }, (_, i) => ({ type: "put" as const, key: `k${String(i).padStart(2, "0")}`, value: text("v") }));
    await keyspace.write(ops);
    const scan$ = keyspace.scan({ chunkSize: 5 });
    expect((await lastValueFrom(scan$.pipe(take(2), toArray()))).map(([key]) => key)).toEqual(["k00", "k01"]);
    expect(scan$.lego.counters.read).toBe(2);
  });

  it("scan() of an empty range completes without values", async () => {
    expect(await lastValueFrom(keyspace.scan({ prefix: "nothing" }).pipe(toArray()))).toEqual([]);
  });

  it("refuses use after close with STORE_CLOSED", async () => {
    await keyspace.close();
    const error: unknown = await keyspace.get("a").catch((e: unknown) => e);
    expect(isLegoError(error, "STORE_CLOSED")).toBe(true);
    await expect(keyspace.put("a", text("1"))).rejects.toThrow(/keyspace "devices" is closed/);
  });

  it("reports a database closed underneath as STORE_CLOSED", async () => {
    await handle.db.close();
    const error: unknown = await keyspace.get("a").catch((e: unknown) => e);
    expect(isLegoError(error, "STORE_CLOSED")).toBe(true);
    await handle.db.open();
  });
});

describe("Keyspace in a database with other default encodings", () => {
  it("stores bytes and deletes through sublevel options", async () => {
    const db = new MemoryLevel({ valueEncoding: "json" });
    const keyspace = new Keyspace(db, { name: "k" });
    await keyspace.write([
      { type: "put", key: "a", value: new Uint8Array([0, 255]) },
      { type: "put", key: "b", value: new Uint8Array([1]) },
    ]);
    await keyspace.del("b");
    expect((await collect(keyspace.entries())).map(([key, value]) => [key, Array.from(value)])).toEqual([["a", [0, 255]]]);
    await db.close();
  });
});

describe("Keyspace validation", () => {
  let handle: BackendHandle;
  beforeEach(async () => {
    handle = await backends[0]!.create();
  });
  afterEach(async () => {
    await handle.dispose();
  });

  it("rejects a missing or malformed name", () => {
    expect(() => new Keyspace(handle.db, { name: 1 as unknown as string })).toThrow(TypeError);
    expect(() => new Keyspace(handle.db, { name: "" })).toThrow(RangeError);
    expect(() => new Keyspace(handle.db, { name: "a!b" })).toThrow(/name must use printable ASCII/);
    expect(() => new Keyspace(handle.db, { name: "a b" })).toThrow(RangeError);
  });

  it("rejects something that is not a database", () => {
    expect(() => new Keyspace({} as never, { name: "a" })).toThrow(/db must be an abstract-level database/);
  });

  it("rejects a bad group and bad ranges", () => {
    const keyspace = new Keyspace(handle.db, { name: "a" });
    expect(() => new Keyspace(handle.db, { name: "a", group: "" })).toThrow(RangeError);
    expect(() => keyspace.scan({ prefix: "a", gte: "b" })).toThrow(/prefix cannot be combined/);
    expect(() => keyspace.scan({ limit: 0 })).toThrow(RangeError);
    expect(() => keyspace.scan({ chunkSize: 1.5 })).toThrow(RangeError);
    expect(() => keyspace.scan({ gt: 1 as unknown as string })).toThrow(TypeError);
    expect(() => keyspace.scan({ reverse: "yes" as unknown as boolean })).toThrow(TypeError);
  });
});
