import { firstValueFrom, lastValueFrom, of, take, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import {
  DurableCell,
  LevelVersionedRegister,
  LocalDurableSpool,
  ManualClock,
  MaterializedView,
  MemoryVersionedRegister,
  MetadataStore,
  TombstoneStore,
  isLegoError,
  type Tombstone,
  type ViewChange,
} from "../../../src/index.js";
import { backends } from "../backends.js";

describe("DurableCell", () => {
  it("sets, reads, updates by compare-and-swap and streams changes", async () => {
    const register = new MemoryVersionedRegister<number>();
    const cell = new DurableCell(register, "counter", { group: "g" });
    expect(cell.lego).toEqual({ kind: "DurableCell", name: "counter", group: "g" });
    expect(await cell.get()).toBeUndefined();
    const changes = firstValueFrom(cell.changes$.pipe(take(4), toArray()));
    await cell.set(1);
    await cell.update((n = 0) => n + 1);
    await cell.clear();
    expect(await changes).toEqual([undefined, 1, 2, undefined]);
    await Promise.all(Array.from({ length: 5 }, () => cell.update((n = 0) => n + 1)));
    expect(await cell.get()).toBe(5);
    expect(cell.lego.counters.retries).toBeGreaterThan(0);
  });

  it("survives a restart on a LevelDB register", async () => {
    const handle = await backends[1]!.create();
    try {
      const cell = new DurableCell(await LevelVersionedRegister.open<string>(handle.db), "mode");
      await cell.set("eco");
      await handle.reopen();
      expect(await new DurableCell(await LevelVersionedRegister.open<string>(handle.db), "mode").get()).toBe("eco");
    } finally {
      await handle.dispose();
    }
  });

  it("gives up after maxAttempts with REGISTER_CONFLICT and validates its arguments", async () => {
    const register = new MemoryVersionedRegister<number>();
    const cell = new DurableCell(register, "k", { maxAttempts: 2 });
    await cell.set(0);
    const error: unknown = await cell.update((n = 0) => {
      void register.put("k", n + 100);
      return n + 1;
    }).catch((e: unknown) => e);
    expect(isLegoError(error, "REGISTER_CONFLICT")).toBe(true);
    expect(() => new DurableCell(register, "bad key")).toThrow(RangeError);
    expect(() => new DurableCell({} as never, "k")).toThrow(TypeError);
  });
});

describe("MetadataStore", () => {
  it("keeps entries in a namespace with versions, bounded in size", async () => {
    const register = new MemoryVersionedRegister<{ room: string }>();
    const devices = new MetadataStore(register, { namespace: "devices", maxValueBytes: 40 });
    const v1 = await devices.set("uart-1", { room: "kitchen" });
    await devices.create("uart-2", { room: "hall" });
    expect(await devices.get("uart-1")).toEqual({ key: "uart-1", value: { room: "kitchen" }, version: v1 });
    await expect(devices.update("uart-1", { room: "x" }, v1 + 10)).rejects.toMatchObject({ code: "REGISTER_CONFLICT" });
    await expect(devices.set("uart-3", { room: "a".repeat(50) })).rejects.toThrow(/maxValueBytes/);
    await register.put("other.thing", { room: "nope" });
    expect(await devices.keys()).toEqual(["uart-1", "uart-2"]);
    const seen = await firstValueFrom(devices.watch().pipe(take(2), toArray()));
    expect(seen.map((c) => c.key)).toEqual(["uart-1", "uart-2"]);
    await devices.delete("uart-2");
    expect(await devices.keys()).toEqual(["uart-1"]);
    expect(devices.lego.counters).toMatchObject({ writes: 3, refused: 1 });
  });
});

describe("TombstoneStore", () => {
  it("refuses older writes of a deleted key until the retention passes", async () => {
    const clock = new ManualClock(1_000);
    const tombs = new TombstoneStore(new MemoryVersionedRegister<Tombstone>(), { retention: 500, clock });
    expect(await tombs.allows("dev.a", { version: 1 })).toBe(true);
    await tombs.bury("dev.a", { version: 7 });
    expect(await tombs.allows("dev.a", { version: 7 })).toBe(false);
    expect(await tombs.allows("dev.a", { version: 8 })).toBe(true);
    await tombs.bury("dev.b");
    expect(await tombs.allows("dev.b", { writtenAt: 999 })).toBe(false);
    expect(await tombs.allows("dev.b", { writtenAt: 1_001 })).toBe(true);
    expect(await tombs.allows("dev.b")).toBe(false);
    clock.advance(500);
    expect(await tombs.get("dev.a")).toBeUndefined();
    expect(await tombs.allows("dev.a", { version: 1 })).toBe(true);
    expect(await tombs.purge()).toBe(2);
    expect(tombs.lego.counters).toMatchObject({ buried: 2, refused: 3, purged: 2 });
    expect(() => new TombstoneStore(new MemoryVersionedRegister<Tombstone>(), { retention: 0 })).toThrow(RangeError);
  });
});

describe.each(backends)("MaterializedView on $name", (backend) => {
  it("folds the log into keyed state, resumes after a restart without refolding, and rebuilds", async () => {
    const handle = await backend.create();
    try {
      interface Sale {
        shop: string;
        amount: number;
      }
      const options = {
        name: "totals",
        keyOf: (s: Sale) => s.shop,
        reduce: (sum: number | undefined, s: Sale) => (s.amount === 0 ? undefined : (sum ?? 0) + s.amount),
        batchSize: 2,
      };
      let spool = await LocalDurableSpool.open<Sale>({ db: handle.db, name: "sales" });
      await lastValueFrom(of({ shop: "a", amount: 1 }, { shop: "b", amount: 2 }, { shop: "a", amount: 3 }).pipe(spool.record()));
      let view = await MaterializedView.open<Sale, number>(handle.db, { ...options, source: spool });
      const changes: ViewChange<number>[] = [];
      view.changes$.subscribe((c) => changes.push(c));
      await firstValueFrom(view.run().pipe(take(3), toArray()));
      expect(await view.entries()).toEqual([["a", 4], ["b", 2]]);
      expect(changes.map((c) => c.offset)).toEqual([0, 1, 2]);
      expect(view.position).toBe(3);
      await view.close();
      await spool.close();
      await handle.reopen();
      spool = await LocalDurableSpool.open<Sale>({ db: handle.db, name: "sales" });
      await lastValueFrom(of({ shop: "b", amount: 0 }, { shop: "a", amount: 10 }).pipe(spool.record()));
      view = await MaterializedView.open<Sale, number>(handle.db, { ...options, source: spool });
      expect(view.position).toBe(3);
      await firstValueFrom(view.run().pipe(take(2), toArray()));
      expect(await view.get("a")).toBe(14);
      expect(await view.get("b")).toBeUndefined();
      await view.rebuild();
      expect(await view.entries()).toEqual([]);
      await firstValueFrom(view.run().pipe(take(5), toArray()));
      expect(await view.entries()).toEqual([["a", 14]]);
      expect(view.lego.counters).toMatchObject({ applied: 7, invalid: 0 });
      await view.close();
      await spool.close();
    } finally {
      await handle.dispose();
    }
  });

  it("skips and reports events whose fold throws", async () => {
    const handle = await backend.create();
    try {
      const spool = await LocalDurableSpool.open<number>({ db: handle.db, name: "n" });
      await lastValueFrom(of(1, -1, 2).pipe(spool.record()));
      const bad: number[] = [];
      const view = await MaterializedView.open<number, number>(handle.db, {
        source: spool,
        name: "v",
        keyOf: () => "sum",
        reduce: (sum = 0, n) => {
          if (n < 0) throw new Error("negative");
          return sum + n;
        },
        onInvalid: ({ offset }) => bad.push(offset),
      });
      await firstValueFrom(view.run().pipe(take(2), toArray()));
      expect(await view.get("sum")).toBe(3);
      expect(bad).toEqual([1]);
      await view.close();
      await spool.close();
    } finally {
      await handle.dispose();
    }
  });
});
