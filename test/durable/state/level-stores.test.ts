import { describe, expect, it } from "vitest";
import { LevelDeduplicationStore, LevelIdempotencyStore, ManualClock } from "../../../src/index.js";
import { deduplicationStoreConformance, idempotencyStoreConformance } from "../../../src/testing/index.js";
import { backends, type BackendHandle } from "../backends.js";

for (const backend of backends) {
  const handles = new Map<object, BackendHandle>();
  deduplicationStoreConformance({ describe, it }, `LevelDeduplicationStore on ${backend.name}`, {
    async open(options) {
      const handle = await backend.create();
      const store = await LevelDeduplicationStore.open(handle.db, options);
      handles.set(store, handle);
      return store;
    },
    async dispose(store) {
      await handles.get(store)?.dispose();
      handles.delete(store);
    },
  });
  idempotencyStoreConformance({ describe, it }, `LevelIdempotencyStore on ${backend.name}`, {
    async open(options) {
      const handle = await backend.create();
      const store = await LevelIdempotencyStore.open<{ id: string; amount: number }>(handle.db, options);
      handles.set(store, handle);
      return store;
    },
    async dispose(store) {
      await handles.get(store)?.dispose();
      handles.delete(store);
    },
  });

  describe(`LevelDB stores across a restart on ${backend.name}`, () => {
    it("a deduplication store remembers its window (count and ttl) after reopening", async () => {
      const handle = await backend.create();
      try {
        const clock = new ManualClock(0);
        const first = await LevelDeduplicationStore.open(handle.db, { maxEntries: 3, ttl: 1_000, clock });
        for (const id of ["a", "b", "c", "d"]) await first.seen(id);
        clock.advance(500);
        await first.seen("e");
        await first.close();
        await handle.reopen();
        const second = await LevelDeduplicationStore.open(handle.db, { maxEntries: 3, ttl: 1_000, clock });
        expect(second.size).toBe(3);
        expect(await second.has("a")).toBe(false);
        expect(await second.seen("c")).toBe(true);
        clock.advance(500);
        expect(await second.has("c")).toBe(false);
        expect(await second.has("e")).toBe(true);
        await second.close();
        await handle.reopen();
        const smaller = await LevelDeduplicationStore.open(handle.db, { maxEntries: 1, clock });
        expect(smaller.size).toBe(1);
        expect(await smaller.has("e")).toBe(true);
        await smaller.close();
      } finally {
        await handle.dispose();
      }
    });

    it("an idempotency store returns the stored result after reopening, and a crashed run's mark expires", async () => {
      const handle = await backend.create();
      try {
        const clock = new ManualClock(0);
        const first = await LevelIdempotencyStore.open<{ total: number }>(handle.db, { clock, inProgressTimeout: 100 });
        await first.run("paid", () => ({ total: 42 }), { fingerprint: "f" });
        void first.run("stuck", () => new Promise<{ total: number }>(() => undefined));
        await new Promise((resolve) => setImmediate(resolve));
        await first.close();
        await handle.reopen();
        const second = await LevelIdempotencyStore.open<{ total: number }>(handle.db, { clock, inProgressTimeout: 100 });
        expect(await second.run("paid", () => ({ total: 0 }), { fingerprint: "f" })).toEqual({ total: 42 });
        expect(await second.get("stuck")).toMatchObject({ state: "in-progress" });
        await expect(second.run("stuck", () => ({ total: 1 }))).rejects.toMatchObject({ code: "IDEMPOTENCY_IN_PROGRESS" });
        clock.advance(100);
        expect(await second.run("stuck", () => ({ total: 1 }))).toEqual({ total: 1 });
        expect(second.lego.counters).toMatchObject({ runs: 1, hits: 1, conflicts: 1 });
        await second.close();
      } finally {
        await handle.dispose();
      }
    });
  });
}
