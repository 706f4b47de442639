import { describe, expect, it } from "vitest";
import { DeduplicationWindow, MemoryDeduplicationStore, MemoryIdempotencyStore, ManualClock } from "../../../src/index.js";
import { deduplicationStoreConformance, idempotencyStoreConformance } from "../../../src/testing/index.js";

deduplicationStoreConformance({ describe, it }, "MemoryDeduplicationStore", {
  open: (options) => Promise.resolve(new MemoryDeduplicationStore(options)),
});
idempotencyStoreConformance({ describe, it }, "MemoryIdempotencyStore", {
  open: (options) => Promise.resolve(new MemoryIdempotencyStore(options)),
});

describe("DeduplicationWindow (pure)", () => {
  it("evicts by count, oldest first, and by age", () => {
    const window = new DeduplicationWindow(2, 10);
    expect(window.seen("a", 0)).toEqual({ duplicate: false, evicted: [] });
    expect(window.seen("b", 5)).toEqual({ duplicate: false, evicted: [] });
    expect(window.seen("c", 6)).toEqual({ duplicate: false, evicted: ["a"] });
    expect(window.seen("c", 7)).toEqual({ duplicate: true, evicted: [] });
    expect(window.seen("d", 15)).toEqual({ duplicate: false, evicted: ["b"] });
    expect(window.has("c", 15)).toBe(true);
    expect(window.has("c", 16)).toBe(false);
  });
});

describe("MemoryDeduplicationStore", () => {
  it("validates its options", () => {
    expect(() => new MemoryDeduplicationStore({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => new MemoryDeduplicationStore({ ttl: -1 })).toThrow(/ttl/);
    expect(() => new MemoryDeduplicationStore({ clock: {} as never })).toThrow(TypeError);
    expect(() => new MemoryDeduplicationStore({ group: 3 as never })).toThrow(TypeError);
  });

  it("counts seen, duplicates and evicted ids", async () => {
    const store = new MemoryDeduplicationStore({ maxEntries: 1, group: "g" });
    await store.seen("a");
    await store.seen("a");
    await store.seen("b");
    expect(store.lego).toEqual({ kind: "DeduplicationStore", group: "g" });
    expect(store.lego.counters).toEqual({ seen: 2, duplicates: 1, evicted: 1 });
    await expect(store.seen("")).rejects.toThrow(RangeError);
  });
});

describe("MemoryIdempotencyStore", () => {
  it("validates its options and arguments", async () => {
    expect(() => new MemoryIdempotencyStore({ ttl: 0 })).toThrow(RangeError);
    expect(() => new MemoryIdempotencyStore({ inProgressTimeout: Number.NaN })).toThrow(/inProgressTimeout/);
    const store = new MemoryIdempotencyStore<number>();
    await expect(store.run("", () => 1)).rejects.toThrow(RangeError);
    await expect(store.run("k", 3 as never)).rejects.toThrow(TypeError);
  });

  it("forgets the oldest key beyond maxEntries and counts runs and hits", async () => {
    const clock = new ManualClock(0);
    const store = new MemoryIdempotencyStore<number>({ maxEntries: 2, clock });
    await store.run("a", () => 1);
    await store.run("b", () => 2);
    await store.run("b", () => 3);
    await store.run("c", () => 4);
    expect(await store.get("a")).toBeUndefined();
    expect(await store.get("c")).toMatchObject({ state: "completed", result: 4 });
    expect(store.lego.counters).toEqual({ runs: 3, hits: 1, failures: 0, conflicts: 0 });
  });
});
