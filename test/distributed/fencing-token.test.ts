import fc from "fast-check";
import { Observable, take, type OperatorFunction } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  compareTokens,
  fence,
  fencedRegister,
  FencingGuard,
  fencingToken,
  isFencingToken,
  isLegoError,
  isStale,
  lease,
  ManualClock,
  MemoryVersionedRegister,
  type FencedRecord,
  type LeaseRecord,
  type MonoLegoOperator,
} from "../../src/index.js";
import { advance } from "./virtual-time.js";

interface Cmd {
  readonly name: string;
  readonly token: number;
}
const cmd = (name: string, token: number): Cmd => ({ name, token });

describe("FencingToken atom", () => {
  it("validates tokens", () => {
    expect(fencingToken(7)).toBe(7);
    expect(() => fencingToken("7")).toThrow(new TypeError('token must be a number, got "7"'));
    expect(() => fencingToken(0)).toThrow(new RangeError("token must be a positive integer, got 0"));
    expect(() => fencingToken(1.5)).toThrow(RangeError);
    expect(isFencingToken(3)).toBe(true);
    expect(isFencingToken(-3)).toBe(false);
    expect(isFencingToken(Number.NaN)).toBe(false);
  });

  it("orders tokens: a smaller token is stale", () => {
    expect(compareTokens(3, 5)).toBeLessThan(0);
    expect(compareTokens(5, 5)).toBe(0);
    expect(compareTokens(6, 5)).toBeGreaterThan(0);
    expect(isStale(3, 5)).toBe(true);
    expect(isStale(5, 5)).toBe(false);
    expect(isStale(6, 5)).toBe(false);
  });
});

describe("FencingGuard (pure)", () => {
  it("admits equal or newer tokens and refuses older ones", () => {
    const guard = new FencingGuard();
    expect([7, 7, 5, 9, 8, 9].map((t) => guard.admit(t))).toEqual([true, true, false, true, false, true]);
    expect(guard.highest).toBe(9);
    expect(guard.fenced).toBe(2);
    expect(guard.check(8)).toBe(false);
    expect(guard.check(10)).toBe(true);
    expect(guard.highest).toBe(9);
  });

  it("starts from a known highest token and throws FENCED from assert", () => {
    const guard = new FencingGuard({ highest: 4, group: "jobs" });
    expect(() => guard.assert(3)).toThrow(expect.objectContaining({ code: "FENCED", group: "jobs" }));
    expect(() => guard.assert(4)).not.toThrow();
    expect(() => new FencingGuard({ highest: -1 })).toThrow(RangeError);
  });

  it("property: a guard's highest is the running maximum and it admits exactly the non-decreasing prefix maxima", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 50 })), (tokens) => {
        const guard = new FencingGuard();
        let max = 0;
        for (const t of tokens) {
          const passed = guard.admit(t);
          if (passed !== t >= max) return false;
          max = Math.max(max, t);
          if (guard.highest !== max) return false;
        }
        return guard.fenced === tokens.filter((t, i) => t < Math.max(0, ...tokens.slice(0, i))).length;
      }),
    );
  });
});

describe("fence (operator)", () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });
  const values = { a: cmd("a", 5), b: cmd("b", 7), c: cmd("c", 5), d: cmd("d", 7), e: cmd("e", 9) };
  const tokenOf = (c: Cmd): number => c.token;

  it("drops values carrying a token older than the newest seen", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("-a-b-c-d-e-|", values);
      expectObservable(source.pipe(fence({ tokenOf }))).toBe("-a-b---d-e-|", values);
      expectSubscriptions(source.subscriptions).toBe("^----------!");
    });
  });

  it("mode error: fails with FENCED on the first stale value", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("-a-b-c-d-|", values);
      expectObservable(source.pipe(fence({ tokenOf, mode: "error" }))).toBe(
        "-a-b-#",
        values,
        expect.objectContaining({ code: "FENCED" }) as unknown,
      );
    });
  });

  it("reports each stale value with the newest token, and counts", () => {
    const stale: [string, number][] = [];
    const op = fence<Cmd>({ tokenOf, onFenced: (c, newest) => stale.push([c.name, newest]) });
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("abcde|", values).pipe(op)).toBe("ab-de|", values);
    });
    expect(stale).toEqual([["c", 7]]);
    expect(op.lego.counters).toEqual({ passed: 4, fenced: 1, invalid: 0 });
  });

  it("drops and counts values without a valid token (bad data does not kill the stream)", () => {
    const op = fence<Cmd>({ tokenOf });
    const bad = { x: cmd("x", 0), y: cmd("y", Number.NaN) };
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("axyb|", { ...values, ...bad }).pipe(op)).toBe("a--b|", values);
    });
    expect(op.lego.counters).toMatchObject({ invalid: 2 });
  });

  it("drops values whose tokenOf throws", () => {
    const throwing = fence<Cmd>({
      tokenOf: () => {
        throw new Error("no token");
      },
    });
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("ab|", values).pipe(throwing)).toBe("--|");
    });
    expect(throwing.lego.counters).toMatchObject({ invalid: 2 });
  });

  it("empty, never, error", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<Cmd>("|").pipe(fence({ tokenOf }))).toBe("|");
      expectObservable(cold<Cmd>("-").pipe(fence({ tokenOf }))).toBe("-");
      expectObservable(cold("-a#", values).pipe(fence({ tokenOf }))).toBe("-a#", values);
    });
  });

  it("early unsubscribe stops the source", () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold("-a-b-c-d-|", values);
      expectObservable(source.pipe(fence({ tokenOf })), "----!").toBe("-a-b", values);
      expectSubscriptions(source.subscriptions).toBe("^---!");
    });
  });

  it("stops a synchronous source after unsubscribe", () => {
    const emitted: number[] = [];
    const source = new Observable<Cmd>((subscriber) => {
      for (let i = 1; i <= 10 && !subscriber.closed; i++) {
        emitted.push(i);
        subscriber.next(cmd(String(i), i));
      }
    });
    source.pipe(fence({ tokenOf }), take(2)).subscribe();
    expect(emitted).toEqual([1, 2]);
  });

  it("gives each subscription its own guard", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const op = fence<Cmd>({ tokenOf });
      expectObservable(cold("ec|", values).pipe(op)).toBe("e-|", values);
      expectObservable(cold("c|", values).pipe(op)).toBe("c|", values);
    });
  });

  it("has the documented type and descriptor", () => {
    expectTypeOf(fence<Cmd>({ tokenOf })).toEqualTypeOf<MonoLegoOperator<Cmd>>();
    expectTypeOf(fence<Cmd>({ tokenOf })).toExtend<OperatorFunction<Cmd, Cmd>>();
    expect(fence({ tokenOf, group: "jobs", name: "cmds" }).lego).toEqual({ kind: "FencingToken", name: "cmds", group: "jobs" });
  });

  it("validates its options at call time", () => {
    expect(() => fence({} as never)).toThrow(new TypeError("tokenOf must be a function, got undefined"));
    expect(() => fence({ tokenOf, mode: "skip" as never })).toThrow(RangeError);
    expect(() => fence({ tokenOf, onFenced: 3 as never })).toThrow(TypeError);
  });
});

describe("fencedRegister (store guard)", () => {
  it("refuses a write carrying an older token than the key's, atomically", async () => {
    const store = fencedRegister(new MemoryVersionedRegister<FencedRecord<string>>());
    await store.put("config", "v1", 7);
    await store.put("config", "v2", 9);
    const error = await store.put("config", "v3", 7).catch((e: unknown) => e);
    expect(isLegoError(error, "FENCED")).toBe(true);
    expect(await store.get("config")).toMatchObject({ value: "v2", token: 9 });
    await store.put("config", "v4", 9); // same grant writes again
    expect(store.lego.counters).toMatchObject({ accepted: 3, fenced: 1 });
  });

  it("refuses an older token on a key the new holder has not written yet (the floor)", async () => {
    const store = fencedRegister(new MemoryVersionedRegister<FencedRecord<string>>());
    await store.put("a", "new", 9);
    await expect(store.put("b", "old", 7)).rejects.toMatchObject({ code: "FENCED" });
    await expect(store.delete("a", 7)).rejects.toMatchObject({ code: "FENCED" });
    expect(await store.floor()).toBe(9);
    expect(await store.get("b")).toBeUndefined();
    await store.delete("a", 9);
    expect(await store.get("a")).toBeUndefined();
  });

  it("retries when another writer slips in between read and write", async () => {
    const register = new MemoryVersionedRegister<FencedRecord<string>>();
    const store = fencedRegister(register);
    await store.put("k", "v1", 3);
    const update = register.update.bind(register);
    let interfered = false;
    register.update = async (key, value, expected) => {
      if (key === "k" && !interfered) {
        interfered = true;
        await register.put("k", { token: 3, value: "other" });
      }
      return update(key, value, expected);
    };
    await store.put("k", "v2", 3);
    expect((await store.get("k"))?.value).toBe("v2");
    expect(store.lego.counters).toMatchObject({ retries: 1 });
  });

  it("concurrent writers with different tokens: the older never overwrites the newer", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 12 }), async (tokens) => {
        const store = fencedRegister(new MemoryVersionedRegister<FencedRecord<number>>(), { maxAttempts: 100 });
        await Promise.allSettled(tokens.map((t) => store.put("k", t, t)));
        const final = await store.get("k");
        return final?.token === Math.max(...tokens) && final.value === final.token;
      }),
      { numRuns: 50 },
    );
  });

  it("a deposed lease holder's write with its old token is FENCED", async () => {
    const clock = new ManualClock();
    const leases = new MemoryVersionedRegister<LeaseRecord>();
    const store = fencedRegister(new MemoryVersionedRegister<FencedRecord<string>>());
    const paused = new ManualClock(); // a is paused (GC, swap): its clock does not move, it never steps down
    const a = lease(leases, { key: "job", holder: "a", ttl: 30, scheduler: paused });
    const b = lease(leases, { key: "job", holder: "b", ttl: 30, scheduler: clock });
    const tokenA = await a.acquire();
    await store.put("output", "from a", tokenA);
    await expect(b.acquire()).rejects.toMatchObject({ code: "LEASE_HELD" });
    await advance(clock, 30);
    const tokenB = await b.acquire();
    await store.put("output", "from b", tokenB);
    // a wakes up, still believing it holds the lease
    expect(a.status.state).toBe("held");
    await expect(store.put("output", "late from a", tokenA)).rejects.toMatchObject({ code: "FENCED" });
    await expect(store.put("other", "late from a", tokenA)).rejects.toMatchObject({ code: "FENCED" });
    expect((await store.get("output"))?.value).toBe("from b");
    expect(store.lego.counters).toMatchObject({ fenced: 2 });
  });

  it("validates at call time and per write", async () => {
    const register = new MemoryVersionedRegister<FencedRecord<string>>();
    expect(() => fencedRegister({} as never)).toThrow(TypeError);
    expect(() => fencedRegister(register, { floorKey: "bad key" })).toThrow(RangeError);
    expect(() => fencedRegister(register, { maxAttempts: 0 })).toThrow(/^maxAttempts/);
    const store = fencedRegister(register, { group: "jobs" });
    expect(store.lego).toEqual({ kind: "FencingToken", group: "jobs" });
    await expect(store.put("k", "v", 0)).rejects.toThrow(RangeError);
    await expect(store.put("_fence", "v", 1)).rejects.toThrow(/floor key/);
  });
});
