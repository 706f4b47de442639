import { EMPTY, NEVER, Subject, lastValueFrom, of, throwError, toArray } from "rxjs";
import { describe, expect, expectTypeOf, it } from "vitest";
import { MemoryDeduplicationStore, dedupe, isLegoError, type DeduplicationStore, type MonoLegoOperator } from "../../../src/index.js";

const id = (v: { id?: string }): string | undefined => v.id;

describe("dedupe", () => {
  it("passes the first value of each id and drops repeats, counted", async () => {
    const op = dedupe(new MemoryDeduplicationStore(), (v: string) => v, { group: "g" });
    expect(await lastValueFrom(of("a", "b", "a", "c", "b").pipe(op, toArray()))).toEqual(["a", "b", "c"]);
    expect(op.lego).toEqual({ kind: "DeduplicationStore", name: "g.dedupe", group: "g" });
    expect(op.lego.counters).toMatchObject({ passed: 3, dropped: 2 });
    expectTypeOf(op).toEqualTypeOf<MonoLegoOperator<string>>();
  });

  it("drops and reports values without an id or whose store check failed", async () => {
    const reports: string[] = [];
    const broken: DeduplicationStore = {
      seen: (key) => (key === "x" ? Promise.reject(new Error("disk")) : Promise.resolve(false)),
      has: () => Promise.resolve(false),
      forget: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const op = dedupe(broken, id, { onInvalid: (r) => reports.push(r.reason) });
    expect(await lastValueFrom(of({}, { id: "x" }, { id: "y" }).pipe(op, toArray()))).toEqual([{ id: "y" }]);
    expect(reports).toEqual(["no-id", "store-failed"]);
  });

  it("keeps the window across subscriptions of the same store", async () => {
    const store = new MemoryDeduplicationStore();
    await lastValueFrom(of("a").pipe(dedupe(store, (v: string) => v), toArray()));
    expect(await lastValueFrom(of("a", "b").pipe(dedupe(store, (v: string) => v), toArray()))).toEqual(["b"]);
  });

  it("standard cases: empty, never, error, unsubscribe, synchronous flood", async () => {
    const store = new MemoryDeduplicationStore();
    expect(await lastValueFrom(EMPTY.pipe(dedupe(store, String), toArray()))).toEqual([]);
    const error: unknown = await lastValueFrom(throwError(() => new Error("boom")).pipe(dedupe(store, String))).catch((e: unknown) => e);
    expect((error as Error).message).toBe("boom");
    let done = false;
    NEVER.pipe(dedupe(store, String)).subscribe({ complete: () => (done = true) }).unsubscribe();
    expect(done).toBe(false);
    const source = new Subject<string>();
    const seen: string[] = [];
    source.pipe(dedupe(store, (v: string) => v)).subscribe((v) => seen.push(v)).unsubscribe();
    source.next("late");
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([]);
    expect(source.observed).toBe(false);
    const flood: unknown = await lastValueFrom(of("1", "2", "3").pipe(dedupe(store, (v: string) => v, { maxPending: 1 }))).catch((e: unknown) => e);
    expect(isLegoError(flood, "QUEUE_FULL")).toBe(true);
  });

  it("validates its arguments at once", () => {
    expect(() => dedupe({} as DeduplicationStore, String)).toThrow(/store.seen/);
    expect(() => dedupe(new MemoryDeduplicationStore(), 1 as never)).toThrow(TypeError);
    expect(() => dedupe(new MemoryDeduplicationStore(), String, { maxPending: 1.5 })).toThrow(RangeError);
  });
});
