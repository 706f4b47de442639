import {
  EMPTY,
  NEVER,
  Observable,
  Subject,
  concat,
  firstValueFrom,
  from,
  lastValueFrom,
  of,
  take,
  tap,
  throwError,
  toArray,
  type MonoTypeOperatorFunction,
} from "rxjs";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  Keyspace,
  LocalDurableSpool,
  ManualClock,
  isLegoError,
  legoOf,
  numberCodec,
  type SpoolInvalid,
  type SpoolRecord,
} from "../../src/index.js";
import { MemoryLevel } from "memory-level";
import { backends, failWrites, text, type BackendHandle } from "./backends.js";

const errorOf = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (e: unknown) => e);
const values = async <T>(spool: LocalDurableSpool<T>, options = {}): Promise<T[]> =>
  (await lastValueFrom(spool.replay(options).pipe(toArray()))).map((r) => r.value);
const offsets = async <T>(spool: LocalDurableSpool<T>, options = {}): Promise<number[]> =>
  (await lastValueFrom(spool.replay(options).pipe(toArray()))).map((r) => r.offset);

describe.each(backends)("LocalDurableSpool on $name", (backend) => {
  let handle: BackendHandle;
  const open: <T>(options?: Partial<Parameters<typeof LocalDurableSpool.open<T>>[0]>) => Promise<LocalDurableSpool<T>> = (options = {}) =>
    LocalDurableSpool.open({ db: handle.db, name: "readings", ...options });

  beforeEach(async () => {
    handle = await backend.create();
  });

  afterEach(async () => {
    await handle.dispose();
  });

  it("records each item, passes it on in order, and replays it with consecutive offsets from 0", async () => {
    const spool = await open<{ celsius: number }>();
    const passed = await lastValueFrom(from([{ celsius: 20 }, { celsius: 21 }, { celsius: 22 }]).pipe(spool.record(), toArray()));
    expect(passed).toEqual([{ celsius: 20 }, { celsius: 21 }, { celsius: 22 }]);
    const records = await lastValueFrom(spool.replay().pipe(toArray()));
    expect(records.map(({ offset, value }) => [offset, value])).toEqual([
      [0, { celsius: 20 }],
      [1, { celsius: 21 }],
      [2, { celsius: 22 }],
    ]);
    await spool.close();
  });

  it("passes an item on only once it is stored", async () => {
    const spool = await open<number>();
    const seen: [offset: number, stored: number][] = [];
    const source = new Subject<number>();
    const done = lastValueFrom(source.pipe(spool.append(), tap((record) => seen.push([record.offset, spool.nextOffset]))));
    source.next(1);
    source.next(2);
    await Promise.resolve();
    source.next(3);
    source.complete();
    await done;
    expect(seen.map(([offset]) => offset)).toEqual([0, 1, 2]);
    // When an item passes, the log already counts it as stored.
    for (const [offset, stored] of seen) expect(stored).toBeGreaterThan(offset);
    await spool.close();
  });

  it("append() emits each stored record with its offset and appendedAt from the scheduler", async () => {
    const clock = new ManualClock(5000);
    const spool = await open<string>({ scheduler: clock, group: "ambient" });
    const records = await lastValueFrom(of("a", "b").pipe(spool.append(), toArray()));
    expect(records).toEqual([
      { offset: 0, value: "a", appendedAt: 5000 },
      { offset: 1, value: "b", appendedAt: 5000 },
    ]);
    expect(clock.group).toBe("ambient");
    await spool.close();
  });

  it("continues its offsets after a restart", async () => {
    const first = await open<number>();
    await lastValueFrom(of(1, 2, 3).pipe(first.record()));
    await first.close();
    const db = await handle.reopen();
    const second = await LocalDurableSpool.open<number>({ db, name: "readings" });
    expect(second.nextOffset).toBe(3);
    const [record] = await lastValueFrom(of(4).pipe(second.append(), toArray()));
    expect(record?.offset).toBe(3);
    expect(await values(second)).toEqual([1, 2, 3, 4]);
    await second.close();
  });

  it("uses group commit: a synchronous burst of 1000 items costs one fsynced write", async () => {
    const spool = await open<number>({ durability: "sync" });
    const items = Array.from({ length: 1000 }, (_, i) => i);
    expect(await lastValueFrom(from(items).pipe(spool.record(), toArray()))).toEqual(items);
    expect(spool.lego.counters).toMatchObject({ appended: 1000, batches: 1, fsyncs: 1 });
    await spool.close();
  });

  it("puts items that arrive while a write is in flight into the next single write", async () => {
    const spool = await open<number>({ durability: "sync" });
    const source = new Subject<number>();
    const passed = lastValueFrom(source.pipe(spool.record(), toArray()));
    source.next(0);
    await Promise.resolve();
    await Promise.resolve();
    for (let i = 1; i <= 100; i++) source.next(i);
    source.complete();
    expect(await passed).toHaveLength(101);
    expect(spool.lego.counters.batches).toBe(2);
    expect(spool.lego.counters.fsyncs).toBe(2);
    await spool.close();
  });

  it("relaxed durability writes without fsync", async () => {
    const spool = await open<number>({ durability: "relaxed" });
    await lastValueFrom(from([1, 2, 3]).pipe(spool.record(), toArray()));
    expect(spool.lego.counters).toMatchObject({ appended: 3, fsyncs: 0 });
    expect(spool.durability).toBe("relaxed");
    await spool.close();
  });

  it("splits a burst into writes of at most maxBatch items", async () => {
    const spool = await open<number>({ maxBatch: 10 });
    await lastValueFrom(from(Array.from({ length: 35 }, (_, i) => i)).pipe(spool.record(), toArray()));
    expect(spool.lego.counters.batches).toBe(4);
    await spool.close();
  });

  it("gives several recording streams one sequence of offsets", async () => {
    const spool = await open<string>();
    const [a, b] = await Promise.all([
      lastValueFrom(of("a1", "a2").pipe(spool.append(), toArray())),
      lastValueFrom(of("b1", "b2").pipe(spool.append(), toArray())),
    ]);
    const all = [...a, ...b].map((r) => r.offset).sort((x, y) => x - y);
    expect(all).toEqual([0, 1, 2, 3]);
    expect(a.map((r) => r.value)).toEqual(["a1", "a2"]);
    await spool.close();
  });

  it("passes a source error on after the items before it", async () => {
    const spool = await open<number>();
    const passed: number[] = [];
    const error = await errorOf(
      new Promise((resolve, reject) => {
        concat(of(1, 2), throwError(() => new Error("sensor unplugged")))
          .pipe(spool.record())
          .subscribe({ next: (v) => passed.push(v), error: reject, complete: () => resolve(undefined) });
      }),
    );
    expect((error as Error).message).toBe("sensor unplugged");
    expect(passed).toEqual([1, 2]);
    expect(await values(spool)).toEqual([1, 2]);
    await spool.close();
  });

  it("passes on a source error even when the error value is undefined", async () => {
    const spool = await open<number>();
    let outcome = "pending";
    await new Promise<void>((resolve) => {
      concat(of(1), throwError(() => undefined))
        .pipe(spool.record())
        .subscribe({
          error: () => {
            outcome = "error";
            resolve();
          },
          complete: () => {
            outcome = "complete";
            resolve();
          },
        });
    });
    expect(outcome).toBe("error");
    await spool.close();
  });

  it("completes without writing for an empty source", async () => {
    const spool = await open<number>();
    expect(await lastValueFrom(EMPTY.pipe(spool.record(), toArray()))).toEqual([]);
    expect(spool.lego.counters.batches).toBe(0);
    await spool.close();
  });

  it("drops and reports an item the codec cannot encode; the stream and the log go on", async () => {
    const invalid: SpoolInvalid<unknown>[] = [];
    const spool = await open<unknown>({ onInvalid: (report) => invalid.push(report) });
    const passed = await lastValueFrom(of(1, Number.NaN, 3).pipe(spool.record(), toArray()));
    expect(passed).toEqual([1, 3]);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]?.reason).toBe("encode");
    expect(isLegoError(invalid[0]?.error, "ENCODE_FAILED")).toBe(true);
    expect(invalid[0]?.error.message).toMatch(/cannot encode value/);
    expect(spool.lego.counters.invalid).toBe(1);
    expect(await offsets(spool)).toEqual([0, 1]);
    await spool.close();
  });

  it("errors the stream with SPOOL_WRITE_FAILED when a write fails, passing on nothing of it", async () => {
    const spool = await open<number>();
    await lastValueFrom(of(1).pipe(spool.record()));
    const heal = failWrites(handle.db);
    const passed: number[] = [];
    const error = await errorOf(lastValueFrom(of(2, 3).pipe(spool.record(), toArray())));
    heal();
    expect(isLegoError(error, "SPOOL_WRITE_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(/spool "readings": writing 2 items failed/);
    expect(passed).toEqual([]);
    expect(spool.lego.counters.failed).toBe(2);
    const [next] = await lastValueFrom(of(4).pipe(spool.append(), toArray()));
    expect(next?.offset).toBe(1);
    expect(await values(spool)).toEqual([1, 4]);
    await spool.close();
  });

  it("after a failed append nothing after it passes downstream nor reaches the log (1, 2, then SPOOL_WRITE_FAILED)", async () => {
    const spool = await open<number>({ maxBatch: 1 });
    let writes = 0;
    const failThird = (): void => {
      if (++writes === 3) throw new Error("disk full (simulated)");
    };
    handle.db.hooks.prewrite.add(failThird);
    const followed: number[] = [];
    const follow = spool.replay({ follow: true }).subscribe((r) => followed.push(r.value));
    const seen: unknown[] = [];
    await new Promise<void>((resolve) => {
      of(1, 2, 3, 4).pipe(spool.record()).subscribe({
        next: (v) => seen.push(v),
        error: (e: unknown) => {
          seen.push(isLegoError(e, "SPOOL_WRITE_FAILED") ? "SPOOL_WRITE_FAILED" : e);
          resolve();
        },
        complete: resolve,
      });
    });
    await spool.flush();
    handle.db.hooks.prewrite.delete(failThird);
    expect(seen).toEqual([1, 2, "SPOOL_WRITE_FAILED"]);
    expect(await values(spool)).toEqual([1, 2]);
    expect(followed).toEqual([1, 2]);
    expect(writes).toBe(3);
    follow.unsubscribe();
    await spool.close();
  });

  it("overflow reject: errors with SPOOL_OVERFLOW after the accepted items, and stops a synchronous source", async () => {
    const spool = await open<number>({ maxPending: 2, overflow: "reject" });
    let produced = 0;
    const endless = new Observable<number>((subscriber) => {
      while (!subscriber.closed) subscriber.next(produced++);
    });
    const passed: number[] = [];
    const error = await errorOf(
      new Promise((resolve, reject) => {
        endless.pipe(spool.record()).subscribe({ next: (v) => passed.push(v), error: reject, complete: () => resolve(undefined) });
      }),
    );
    expect(isLegoError(error, "SPOOL_OVERFLOW")).toBe(true);
    expect(passed).toEqual([0, 1]);
    expect(produced).toBe(3);
    expect(spool.lego.counters.rejected).toBe(1);
    await spool.close();
  });

  it.each([
    ["drop_newest", [0, 1], 3],
    ["drop_oldest", [3, 4], 3],
    ["latest", [4], 4],
  ] as const)("overflow %s drops and counts, and the stream completes", async (overflow, kept, dropped) => {
    const spool = await open<number>({ maxPending: 2, overflow });
    expect(await lastValueFrom(of(0, 1, 2, 3, 4).pipe(spool.record(), toArray()))).toEqual(kept);
    expect(spool.lego.counters.dropped).toBe(dropped);
    expect(await values(spool)).toEqual(kept);
    await spool.close();
  });

  it("still writes the queued items of a subscriber that left, but passes nothing on", async () => {
    const spool = await open<number>();
    const passed: number[] = [];
    const subscription = of(1, 2, 3).pipe(spool.record()).subscribe((v) => passed.push(v));
    subscription.unsubscribe();
    await spool.flush();
    expect(passed).toEqual([]);
    expect(await values(spool)).toEqual([1, 2, 3]);
    await spool.close();
  });

  it("records again on resubscription", async () => {
    const spool = await open<number>();
    const recorded = of(1, 2).pipe(spool.record());
    await lastValueFrom(recorded);
    await lastValueFrom(recorded);
    expect(await values(spool)).toEqual([1, 2, 1, 2]);
    await spool.close();
  });

  it("replay() emits what was stored when subscribed, from `from` included, then completes", async () => {
    const spool = await open<string>();
    await lastValueFrom(of("a", "b", "c").pipe(spool.record()));
    const replay$ = spool.replay({ from: 1 });
    expect(legoOf(replay$)).toEqual({ kind: "LocalDurableSpool", name: "readings" });
    expect(await lastValueFrom(replay$.pipe(toArray()))).toMatchObject([
      { offset: 1, value: "b" },
      { offset: 2, value: "c" },
    ]);
    expect(await values(spool, { from: 3 })).toEqual([]);
    expect(spool.lego.counters.replayed).toBe(2);
    await spool.close();
  });

  it("replay() does not include records written after it was subscribed", async () => {
    const spool = await open<string>();
    await lastValueFrom(of("a", "b").pipe(spool.record()));
    const replayed = lastValueFrom(spool.replay({ chunkSize: 1 }).pipe(toArray()));
    const recorded = lastValueFrom(of("c").pipe(spool.record()));
    await recorded;
    expect((await replayed).map((r) => r.value)).toEqual(["a", "b"]);
    await spool.close();
  });

  it("replay({ follow: true }) keeps emitting new records and stops on unsubscribe", async () => {
    const spool = await open<string>();
    await lastValueFrom(of("a").pipe(spool.record()));
    const seen: SpoolRecord<string>[] = [];
    let sawThree: () => void = () => undefined;
    const three = new Promise<void>((resolve) => (sawThree = resolve));
    const following = spool.replay({ follow: true }).subscribe((r) => {
      seen.push(r);
      if (seen.length === 3) sawThree();
    });
    await lastValueFrom(of("b", "c").pipe(spool.record()));
    await three;
    expect(seen.map((r) => [r.offset, r.value])).toEqual([
      [0, "a"],
      [1, "b"],
      [2, "c"],
    ]);
    following.unsubscribe();
    const witness = firstValueFrom(spool.replay({ from: 3, follow: true }));
    await lastValueFrom(of("d").pipe(spool.record()));
    expect((await witness).value).toBe("d");
    expect(seen).toHaveLength(3);
    await spool.close();
  });

  it("a following replay completes when the spool closes", async () => {
    const spool = await open<string>();
    let sawA: () => void = () => undefined;
    const a = new Promise<void>((resolve) => (sawA = resolve));
    const done = lastValueFrom(spool.replay({ follow: true }).pipe(tap(() => sawA()), toArray()));
    await lastValueFrom(of("a").pipe(spool.record()));
    await a;
    await spool.close();
    expect((await done).map((r) => r.value)).toEqual(["a"]);
  });

  it("replay() drops and reports a record it cannot decode, and goes on", async () => {
    const invalid: SpoolInvalid<number>[] = [];
    const spool = await open<number>({ codec: numberCodec(), onInvalid: (report) => invalid.push(report) });
    await lastValueFrom(of(1).pipe(spool.record()));
    await spool.log.wal.append([text("garbage")]);
    await lastValueFrom(of(3).pipe(spool.record()));
    expect(await offsets(spool)).toEqual([0, 2]);
    expect(invalid.map((r) => [r.reason, r.reason === "decode" ? r.offset : -1])).toEqual([["decode", 1]]);
    expect(isLegoError(invalid[0]?.error, "DECODE_FAILED")).toBe(true);
    await spool.close();
  });

  it("retention trims the oldest records; replay starts at the oldest kept", async () => {
    const spool = await open<number>({ retention: { maxEntries: 2 } });
    await lastValueFrom(of(1, 2, 3, 4).pipe(spool.record()));
    await spool.log.trim();
    expect(await offsets(spool)).toEqual([2, 3]);
    expect(spool.firstOffset).toBe(2);
    await spool.close();
  });

  it("age retention uses the scheduler's clock", async () => {
    const clock = new ManualClock(0);
    const spool = await open<number>({ scheduler: clock, retention: { maxAgeMs: 1000 } });
    await lastValueFrom(of(1, 2).pipe(spool.record()));
    clock.advance(1500);
    await lastValueFrom(of(3).pipe(spool.record()));
    await spool.log.trim();
    expect(await values(spool)).toEqual([3]);
    await spool.close();
  });

  it("checkpoints let a consumer resume after a restart", async () => {
    const spool = await open<string>();
    await lastValueFrom(of("a", "b", "c").pipe(spool.record()));
    const first = await firstValueFrom(spool.replay().pipe(take(2), toArray()));
    await spool.checkpoints.commit("uploader", first[1]!.offset);
    await spool.close();
    const db = await handle.reopen();
    const again = await LocalDurableSpool.open<string>({ db, name: "readings" });
    const resumed = await values(again, { from: await again.checkpoints.nextOffset("uploader") });
    expect(resumed).toEqual(["c"]);
    await again.close();
  });

  it("keeps the log and checkpoints inside the spool's keyspace", async () => {
    const spool = await open<string>();
    await lastValueFrom(of("a").pipe(spool.record()));
    await spool.checkpoints.commit("c", 0);
    const other = await LocalDurableSpool.open<string>({ db: handle.db, name: "other" });
    expect(other.nextOffset).toBe(0);
    expect(await values(other)).toEqual([]);
    expect(spool.keyspace).toBeInstanceOf(Keyspace);
    await other.close();
    await spool.close();
  });

  it("close() waits for writes in flight; the items pass on before it resolves", async () => {
    const spool = await open<number>();
    const passed: number[] = [];
    of(1, 2, 3).pipe(spool.record()).subscribe((v) => passed.push(v));
    await spool.close();
    expect(passed).toEqual([1, 2, 3]);
    const db = await handle.reopen();
    const reopened = await LocalDurableSpool.open<number>({ db, name: "readings" });
    expect(await values(reopened)).toEqual([1, 2, 3]);
    await reopened.close();
  });

  it("a closed spool refuses writes and replays with SPOOL_CLOSED", async () => {
    const spool = await open<number>();
    await spool.close();
    await spool.close();
    const writeError = await errorOf(lastValueFrom(of(1).pipe(spool.record())));
    expect(isLegoError(writeError, "SPOOL_CLOSED")).toBe(true);
    expect((writeError as Error).message).toMatch(/is closed and refuses writes/);
    const replayError = await errorOf(lastValueFrom(spool.replay()));
    expect(isLegoError(replayError, "SPOOL_CLOSED")).toBe(true);
    expect(spool.isClosed).toBe(true);
  });

  it("closing ends a stream that is still recording with SPOOL_CLOSED", async () => {
    const spool = await open<number>();
    const source = new Subject<number>();
    const result = errorOf(lastValueFrom(source.pipe(spool.record(), toArray())));
    source.next(1);
    await spool.close();
    expect(isLegoError(await result, "SPOOL_CLOSED")).toBe(true);
    expect(source.observed).toBe(false);
  });

  it("a never-ending source writes nothing and unsubscribes cleanly", async () => {
    const spool = await open<number>();
    const subscription = NEVER.pipe(spool.record()).subscribe();
    subscription.unsubscribe();
    expect(spool.pending).toBe(0);
    await spool.close();
  });

  it("refuses a second open of the same spool on the same database with SPOOL_LOCKED until the first closes", async () => {
    const spool = await open<number>();
    const error = await errorOf(open<number>());
    expect(isLegoError(error, "SPOOL_LOCKED")).toBe(true);
    expect((error as Error).message).toMatch(/already open in this process/);
    await spool.close();
    const again = await open<number>();
    await again.close();
  });

  it("drops an item whose codec returns something other than bytes", async () => {
    const invalid: SpoolInvalid<number>[] = [];
    const spool = await open<number>({
      codec: { id: "broken", version: 1, encode: (v: number) => (v === 2 ? ("two" as unknown as Uint8Array) : text(String(v))), decode: Number },
      onInvalid: (report) => invalid.push(report),
    });
    expect(await lastValueFrom(of(1, 2, 3).pipe(spool.record(), toArray()))).toEqual([1, 3]);
    expect(invalid[0]?.error.message).toMatch(/not a Uint8Array/);
    await spool.close();
  });

  it("record() and replay() carry the spool's descriptor", async () => {
    const spool = await open<number>({ group: "ambient" });
    expect(legoOf(spool.record())).toEqual({ kind: "LocalDurableSpool", name: "readings", group: "ambient" });
    expect(spool.replay().lego).toBe(spool.lego);
    expectTypeOf(spool.record()).toExtend<MonoTypeOperatorFunction<number>>();
    expectTypeOf(spool.replay()).toExtend<Observable<SpoolRecord<number>>>();
    await spool.close();
  });
});

describe("LocalDurableSpool in a database with other default encodings", () => {
  it("records and replays through sublevel options (utf8 values at the root)", async () => {
    const db = new MemoryLevel();
    const spool = await LocalDurableSpool.open<{ v: number }>({ db, name: "readings" });
    await lastValueFrom(of({ v: 1 }, { v: 2 }).pipe(spool.record()));
    await spool.log.trim();
    expect((await lastValueFrom(spool.replay().pipe(toArray()))).map((r) => [r.offset, r.value])).toEqual([
      [0, { v: 1 }],
      [1, { v: 2 }],
    ]);
    await spool.close();
    await db.close();
  });
});

describe("LocalDurableSpool.open validation", () => {
  let handle: BackendHandle;
  beforeEach(async () => {
    handle = await backends[0]!.create();
  });
  afterEach(async () => {
    await handle.dispose();
  });

  it("checks options when called, naming the option", () => {
    const db = handle.db;
    expect(() => LocalDurableSpool.open({ name: "s" })).toThrow(/exactly one of location and db/);
    expect(() => LocalDurableSpool.open({ name: "s", db, location: "/tmp/x" })).toThrow(TypeError);
    expect(() => LocalDurableSpool.open({ name: "s", db: {} as never })).toThrow(/db must be an abstract-level database/);
    expect(() => LocalDurableSpool.open({ name: "s", location: "" })).toThrow(RangeError);
    expect(() => LocalDurableSpool.open({ name: 5 as unknown as string, db })).toThrow(/name must be a string/);
    expect(() => LocalDurableSpool.open({ name: "s", db, durability: "eventually" as never })).toThrow(/durability must be one of sync \| relaxed/);
    expect(() => LocalDurableSpool.open({ name: "s", db, maxPending: 0 })).toThrow(/maxPending must be a positive integer/);
    expect(() => LocalDurableSpool.open({ name: "s", db, maxBatch: Number.NaN })).toThrow(RangeError);
    expect(() => LocalDurableSpool.open({ name: "s", db, overflow: "spill" as never })).toThrow(RangeError);
    expect(() => LocalDurableSpool.open({ name: "s", db, retention: { maxEntries: -1 } })).toThrow(/retention.maxEntries/);
    expect(() => LocalDurableSpool.open({ name: "s", db, scheduler: {} as never })).toThrow(/scheduler must have a now/);
    expect(() => LocalDurableSpool.open({ name: "s", db, codec: { encode: () => new Uint8Array() } as never })).toThrow(/codec.decode/);
    expect(() => LocalDurableSpool.open({ name: "s", db, group: "" })).toThrow(RangeError);
    expect(() => LocalDurableSpool.open({ name: "s", db, onInvalid: 1 as never })).toThrow(TypeError);
  });

  it("checks replay options when called", async () => {
    const spool = await LocalDurableSpool.open({ name: "s", db: handle.db });
    expect(() => spool.replay({ from: -1 })).toThrow(RangeError);
    expect(() => spool.replay({ from: "0" as unknown as number })).toThrow(TypeError);
    expect(() => spool.replay({ follow: 1 as unknown as boolean })).toThrow(TypeError);
    expect(() => spool.replay({ chunkSize: 0 })).toThrow(RangeError);
    await spool.close();
  });
});
