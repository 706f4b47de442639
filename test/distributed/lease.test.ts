import fc from "fast-check";
import type { Observable } from "rxjs";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  isLegoError,
  lease,
  LeaseMachine,
  ManualClock,
  MemoryVersionedRegister,
  type Lease,
  type LeaseHolder,
  type LeaseRecord,
  type LeaseStatus,
} from "../../src/index.js";
import { advance, settle } from "./virtual-time.js";

const TTL = 30;

function setup(): { clock: ManualClock; register: MemoryVersionedRegister<LeaseRecord> } {
  return { clock: new ManualClock(), register: new MemoryVersionedRegister<LeaseRecord>() };
}

function statuses(l: Lease): LeaseStatus[] {
  const seen: LeaseStatus[] = [];
  l.status$.subscribe((s) => seen.push(s));
  return seen;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("LeaseMachine (pure)", () => {
  it("steps down at last sent renew + ttl − margin", () => {
    const m = new LeaseMachine({ ttl: 30, margin: 3 });
    expect(m.stepDownAt).toBeUndefined();
    expect(m.holds(0)).toBe(false);
    m.granted(7, 100);
    expect(m.token).toBe(7);
    expect(m.stepDownAt).toBe(127);
    expect(m.holds(126.9)).toBe(true);
    expect(m.holds(127)).toBe(false);
    m.renewed(9, 110);
    expect(m.token).toBe(7);
    expect(m.version).toBe(9);
    expect(m.stepDownAt).toBe(137);
    m.drop();
    expect(m.token).toBeUndefined();
    expect(m.holds(110)).toBe(false);
  });

  it("a renew after drop changes nothing", () => {
    const m = new LeaseMachine({ ttl: 30 });
    m.renewed(5, 0);
    expect(m.token).toBeUndefined();
    expect(m.stepDownAt).toBeUndefined();
  });

  it.each([
    // [looks as [version, now]], expected kinds
    [[[undefined, 0]], ["free"]],
    [[[4, 0], [4, 29], [4, 30]], ["held", "held", "expired"]],
    [[[4, 0], [5, 20], [5, 49], [5, 50]], ["held", "held", "held", "expired"]],
    [[[4, 0], [undefined, 10], [4, 20], [4, 49], [4, 50]], ["held", "free", "held", "held", "expired"]],
  ] as [[number | undefined, number][], string[]][])("observes a version unchanged for ttl as expired: %j", (looks, kinds) => {
    const m = new LeaseMachine({ ttl: 30 });
    expect(looks.map(([version, now]) => m.observe(version, now).kind)).toEqual(kinds);
  });

  it("says when an observed lease expires", () => {
    const m = new LeaseMachine({ ttl: 30 });
    expect(m.observe(4, 10)).toEqual({ kind: "held", version: 4, expiresAt: 40 });
    expect(m.observe(4, 40)).toEqual({ kind: "expired", version: 4 });
  });

  it("reads its clock when not given now", () => {
    const clock = new ManualClock(5);
    const m = new LeaseMachine({ ttl: 30, clock });
    m.observe(2);
    clock.advance(30);
    expect(m.observe(2).kind).toBe("expired");
    expect(() => new LeaseMachine({ ttl: 1 }).observe(1)).toThrow(TypeError);
  });

  it("property: the holder always steps down before any candidate may take over (rates within margin)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 10_000 }), // ttl
        fc.double({ min: 0, max: 0.02, noNaN: true }), // clock-rate error rho
        fc.integer({ min: 0, max: 1_000 }), // write latency (sent → applied)
        fc.integer({ min: 0, max: 1_000 }), // observation delay (applied → first seen)
        (ttl, rho, latency, delay) => {
          const margin = Math.ceil(2.1 * rho * ttl);
          fc.pre(margin < ttl);
          const holder = new LeaseMachine({ ttl, margin });
          holder.granted(1, 0); // sent at real time 0 (holder clock slow: real = local·(1+rho))
          const stopReal = (holder.stepDownAt as number) * (1 + rho);
          const candidate = new LeaseMachine({ ttl, margin });
          const seenReal = latency + delay;
          candidate.observe(1, 0); // candidate's clock fast: local = (real − seenReal)·(1+rho)... expiry in local ms
          const takeoverReal = seenReal + ttl / (1 + rho);
          return stopReal <= takeoverReal;
        },
      ),
    );
  });

  it("validates its options", () => {
    expect(() => new LeaseMachine({ ttl: 0 })).toThrow(RangeError);
    expect(() => new LeaseMachine({ ttl: 10, margin: 10 })).toThrow(new RangeError("margin must be less than ttl (10), got 10"));
    expect(() => new LeaseMachine({ ttl: 10, clock: {} as never })).toThrow(TypeError);
  });
});

describe("lease", () => {
  it("acquires a free key: the granting version is the fencing token", async () => {
    const { clock, register } = setup();
    await register.put("other", { holder: "x", ttl: 1 }); // version 1
    const a = lease(register, { key: "job", holder: "a", ttl: TTL, scheduler: clock });
    const seen = statuses(a);
    const token = await a.acquire();
    expect(token).toBe(2);
    expect(a.token).toBe(2);
    expect(seen).toEqual([
      { state: "standby", since: 0 },
      { state: "held", token: 2, since: 0, expiresAt: 27 },
    ]);
    expect((await register.get("job"))?.value).toEqual({ holder: "a", ttl: TTL });
    expect(await a.acquire()).toBe(2); // already held
    expect(a.lego.counters).toMatchObject({ acquired: 1, refused: 0 });
  });

  it("refuses a held key with LEASE_HELD and says when it would expire", async () => {
    const { clock, register } = setup();
    const a = lease(register, { key: "job", holder: "a", ttl: TTL, scheduler: clock });
    const b = lease(register, { key: "job", holder: "b", ttl: TTL, scheduler: clock });
    await a.acquire();
    await advance(clock, 5);
    const error = await rejection(b.acquire());
    expect(isLegoError(error, "LEASE_HELD")).toBe(true);
    expect((error as Error).message).toMatch(/held by a/);
    expect(b.observedExpiry).toBe(35);
    expect(b.status.state).toBe("standby");
    expect(b.lego.counters).toMatchObject({ refused: 1 });
  });

  it("renews every ttl/3 and keeps the token; renews move the step-down", async () => {
    const { clock, register } = setup();
    const a = lease(register, { key: "job", holder: "a", ttl: TTL, scheduler: clock });
    const seen = statuses(a);
    await a.acquire();
    await advance(clock, 100);
    expect(a.status).toEqual({ state: "held", token: 1, since: 0, expiresAt: 100 + 27 });
    expect(a.lego.counters).toMatchObject({ renewed: 10, lost: 0 });
    expect(seen.map((s) => s.state)).toEqual(["standby", "held", ...Array<string>(10).fill("held")]);
    const record = await register.get("job");
    expect(record?.value).toEqual({ holder: "a", token: 1, ttl: TTL });
    expect(record?.version).toBe(11);
  });

  it("holder crashes (stops renewing): the other candidate takes over after ttl of no change, with a larger token", async () => {
    const { clock, register } = setup();
    const crashed = new ManualClock(); // a's own clock: frozen = a is dead
    const a = lease(register, { key: "job", holder: "a", ttl: TTL, scheduler: crashed });
    const b = lease(register, { key: "job", holder: "b", ttl: TTL, scheduler: clock });
    const tokenA = await a.acquire();
    await advance(clock, 1);
    await expect(b.acquire()).rejects.toMatchObject({ code: "LEASE_HELD" });
    await advance(clock, TTL - 1);
    await expect(b.acquire()).rejects.toMatchObject({ code: "LEASE_HELD" });
    await advance(clock, 1);
    const tokenB = await b.acquire();
    expect(clock.now()).toBe(TTL + 1);
    expect(tokenB).toBeGreaterThan(tokenA);
    expect((await register.get("job"))?.value.holder).toBe("b");
  });

  it("a live holder keeps the lease against a candidate that keeps trying", async () => {
    const { clock, register } = setup();
    const a = lease(register, { key: "job", holder: "a", ttl: TTL, scheduler: clock });
    const b = lease(register, { key: "job", holder: "b", ttl: TTL, scheduler: clock });
    await a.acquire();
    for (let t = 0; t < 200; t += 5) {
      await expect(b.acquire()).rejects.toMatchObject({ code: "LEASE_HELD" });
      await advance(clock, 5);
    }
    expect(a.status.state).toBe("held");
  });

  it("steps down on its own clock at last renew + ttl − margin when renews fail, before the candidate takes over", async () => {
    const { clock, register } = setup();
    const a = lease(register, { key: "job", holder: "a", ttl: TTL, margin: 3, scheduler: clock });
    const b = lease(register, { key: "job", holder: "b", ttl: TTL, margin: 3, scheduler: clock });
    const seen = statuses(a);
    await a.acquire();
    await advance(clock, 10); // renewed at 10 (sent at 10)
    // The register becomes unreachable for a: every update fails with a non-conflict error.
    const update = register.update.bind(register);
    register.update = (key, value, expected) =>
      value.holder === "a" ? Promise.reject(new Error("unreachable")) : update(key, value, expected);
    await expect(b.acquire()).rejects.toMatchObject({ code: "LEASE_HELD" }); // b sees version 2 at 10
    await advance(clock, 26);
    expect(a.status.state).toBe("held");
    await advance(clock, 1); // 37 = 10 + 30 − 3
    expect(a.status).toEqual({ state: "lost", token: 1, reason: "expired", since: 37 });
    expect(a.lego.counters).toMatchObject({ renewErrors: 2, lost: 1 });
    await expect(b.acquire()).rejects.toMatchObject({ code: "LEASE_HELD" }); // 37 < 40
    await advance(clock, 3);
    expect(await b.acquire()).toBe(3);
    expect(seen.at(-1)?.state).toBe("lost");
  });

  it("a renew that meets another version loses the lease at once (REGISTER_CONFLICT → LEASE_LOST)", async () => {
    const { clock, register } = setup();
    const a = lease(register, { key: "job", holder: "a", ttl: TTL, scheduler: clock });
    await a.acquire();
    await register.put("job", { holder: "intruder", ttl: TTL });
    const error = await rejection(a.renew());
    expect(isLegoError(error, "LEASE_LOST")).toBe(true);
    expect(a.status).toEqual({ state: "lost", token: 1, reason: "conflict", since: 0 });
    expect(a.token).toBeUndefined();
    await expect(a.renew()).rejects.toMatchObject({ code: "LEASE_LOST" });
  });

  it("the automatic renew also notices the loss", async () => {
    const { clock, register } = setup();
    const a = lease(register, { key: "job", holder: "a", ttl: TTL, scheduler: clock });
    await a.acquire();
    await advance(clock, 3);
    await register.put("job", { holder: "intruder", ttl: TTL });
    await advance(clock, 7);
    expect(a.status).toEqual({ state: "lost", token: 1, reason: "conflict", since: 10 });
    expect(clock.pending).toBe(0);
  });

  it("release deletes the key so the next candidate acquires at once", async () => {
    const { clock, register } = setup();
    const a = lease(register, { key: "job", holder: "a", ttl: TTL, scheduler: clock });
    const b = lease(register, { key: "job", holder: "b", ttl: TTL, scheduler: clock });
    const seen = statuses(a);
    await a.acquire();
    await advance(clock, 4);
    await a.release();
    expect(seen.at(-1)).toEqual({ state: "standby", since: 4 });
    expect(await register.get("job")).toBeUndefined();
    expect(await b.acquire()).toBe(3);
    expect(clock.pending).toBe(2); // b's renew and step-down timers; a left none
    await a.release(); // not held: nothing to do
    expect((await register.get("job"))?.value.holder).toBe("b");
  });

  it("release after a takeover leaves the new holder's record alone", async () => {
    const { clock, register } = setup();
    const a = lease(register, { key: "job", holder: "a", ttl: TTL, scheduler: clock });
    await a.acquire();
    await register.put("job", { holder: "b", ttl: TTL });
    await a.release();
    expect((await register.get("job"))?.value.holder).toBe("b");
  });

  it("holder$ follows the register: holder and grant token, not every renew", async () => {
    const { clock, register } = setup();
    const a = lease(register, { key: "job", holder: "a", ttl: TTL, scheduler: clock });
    const seen: (LeaseHolder | undefined)[] = [];
    a.holder$.subscribe((h) => seen.push(h));
    await a.acquire();
    await advance(clock, 40);
    await a.release();
    expect(seen).toEqual([undefined, { holder: "a", token: 1 }, undefined]);
  });

  it("close releases and completes status$", async () => {
    const { clock, register } = setup();
    const a = lease(register, { key: "job", holder: "a", ttl: TTL, scheduler: clock });
    let completed = false;
    a.status$.subscribe({ complete: () => (completed = true) });
    await a.acquire();
    await a.close();
    expect(completed).toBe(true);
    expect(await register.get("job")).toBeUndefined();
    await expect(a.acquire()).rejects.toMatchObject({ code: "STORE_CLOSED" });
    await a.close();
  });

  it("concurrent acquires of two candidates on a free key: exactly one wins", async () => {
    const { clock, register } = setup();
    const a = lease(register, { key: "job", holder: "a", ttl: TTL, scheduler: clock });
    const b = lease(register, { key: "job", holder: "b", ttl: TTL, scheduler: clock });
    const results = await Promise.allSettled([a.acquire(), b.acquire()]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected");
    expect(isLegoError(refused?.reason, "LEASE_HELD")).toBe(true);
  });

  it("a takeover racing a late renew: the conditional write lets only one through", async () => {
    const { clock, register } = setup();
    const frozen = new ManualClock();
    const a = lease(register, { key: "job", holder: "a", ttl: TTL, scheduler: frozen });
    const b = lease(register, { key: "job", holder: "b", ttl: TTL, scheduler: clock });
    await a.acquire();
    await expect(b.acquire()).rejects.toMatchObject({ code: "LEASE_HELD" });
    await advance(clock, TTL);
    // a renews right before b's takeover write lands
    await a.renew();
    await expect(b.acquire()).rejects.toMatchObject({ code: "LEASE_HELD" });
    expect(a.status.state).toBe("held");
  });

  it("property: over random crash times, never two holders at once, and a takeover within ttl + two retries of the crash", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 10 }), async (crashAt, retry) => {
        const clock = new ManualClock();
        const register = new MemoryVersionedRegister<LeaseRecord>();
        const aClock = new ManualClock();
        const a = lease(register, { key: "job", holder: "a", ttl: TTL, scheduler: aClock });
        const b = lease(register, { key: "job", holder: "b", ttl: TTL, scheduler: clock });
        await a.acquire();
        let bHeldAt: number | undefined;
        for (let t = 0; t < 200; t++) {
          if (t < crashAt) {
            aClock.advance(1);
            await settle();
          }
          clock.advance(1);
          if (t % retry === 0 && bHeldAt === undefined) {
            try {
              await b.acquire();
              bHeldAt = clock.now();
            } catch {
              // held
            }
          }
          await settle();
          const aActs = t < crashAt && a.status.state === "held";
          if (aActs && b.status.state === "held") return false;
        }
        return bHeldAt !== undefined && bHeldAt <= crashAt + 1 + TTL + 2 * retry;
      }),
      { numRuns: 40 },
    );
  });

  it("has the documented types", () => {
    const a = lease(new MemoryVersionedRegister<LeaseRecord>(), { key: "k", holder: "a", ttl: 10 });
    expectTypeOf(a.acquire.bind(a)).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(a.status$).toExtend<Observable<LeaseStatus>>();
    expectTypeOf(a.holder$).toEqualTypeOf<Observable<LeaseHolder | undefined>>();
  });

  it("carries a Lease descriptor", () => {
    const register = new MemoryVersionedRegister<LeaseRecord>();
    expect(lease(register, { key: "k", holder: "a", ttl: 10 }).lego).toEqual({ kind: "Lease" });
    expect(lease(register, { key: "k", holder: "a", ttl: 10, group: "jobs" }).lego).toEqual({
      kind: "Lease",
      name: "jobs.lease",
      group: "jobs",
    });
    expect(lease(register, { key: "k", holder: "a", ttl: 10 }).status$.lego.kind).toBe("Lease");
  });

  describe("validation (at call time)", () => {
    const register = new MemoryVersionedRegister<LeaseRecord>();
    it("rejects a register that is not one", () => {
      expect(() => lease({} as never, { key: "k", holder: "a", ttl: 1 })).toThrow(new TypeError("register.get must be a function, got undefined"));
    });
    it("rejects bad keys, holders and durations", () => {
      expect(() => lease(register, { key: "a b", holder: "a", ttl: 1 })).toThrow(RangeError);
      expect(() => lease(register, { key: "k", holder: "", ttl: 1 })).toThrow(new RangeError("holder must not be empty"));
      expect(() => lease(register, { key: "k", holder: "a", ttl: "1" as never })).toThrow(TypeError);
      expect(() => lease(register, { key: "k", holder: "a", ttl: 0 })).toThrow(/^ttl/);
      expect(() => lease(register, { key: "k", holder: "a", ttl: 10, margin: 10 })).toThrow(/^margin/);
      expect(() => lease(register, { key: "k", holder: "a", ttl: 10, renewEvery: 9 })).toThrow(
        new RangeError("renewEvery must be less than ttl − margin (9), got 9"),
      );
      expect(() => lease(register, { key: "k", holder: "a", ttl: 10, scheduler: {} as never })).toThrow(/^scheduler/);
    });
  });
});
