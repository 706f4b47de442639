import type { Observable } from "rxjs";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  leaderElection,
  ManualClock,
  MemoryVersionedRegister,
  type Leader,
  type LeaseRecord,
} from "../../src/index.js";
import { advance } from "./virtual-time.js";

const TTL = 30;

describe("leaderElection", () => {
  it("two candidates: exactly one leads; leader$ and isLeader$ say who", async () => {
    const clock = new ManualClock();
    const register = new MemoryVersionedRegister<LeaseRecord>();
    const a = leaderElection(register, { key: "leader", id: "a", ttl: TTL, scheduler: clock });
    const b = leaderElection(register, { key: "leader", id: "b", ttl: TTL, scheduler: clock });
    const leaders: (Leader | undefined)[] = [];
    const aLeads: boolean[] = [];
    const bLeads: boolean[] = [];
    b.leader$.subscribe((l) => leaders.push(l));
    a.isLeader$.subscribe((x) => aLeads.push(x));
    b.isLeader$.subscribe((x) => bLeads.push(x));
    const elected = a.campaign();
    void b.campaign();
    await advance(clock, 1);
    expect(await elected).toBe(1);
    await advance(clock, 100);
    expect(aLeads).toEqual([false, true]);
    expect(bLeads).toEqual([false]);
    expect(leaders).toEqual([undefined, { id: "a", token: 1 }]);
    expect(a.campaigning).toBe(true);
  });

  it("the leader crashes (stops renewing): the other takes over within ttl + retryEvery of its last renew", async () => {
    const clock = new ManualClock();
    const frozen = new ManualClock();
    const register = new MemoryVersionedRegister<LeaseRecord>();
    const a = leaderElection(register, { key: "leader", id: "a", ttl: TTL, scheduler: frozen });
    const b = leaderElection(register, { key: "leader", id: "b", ttl: TTL, scheduler: clock });
    const tokenA = await a.campaign();
    const leaders: (Leader | undefined)[] = [];
    b.leader$.subscribe((l) => leaders.push(l));
    let tokenB: number | undefined;
    void b.campaign().then((t) => (tokenB = t));
    await advance(clock, TTL - 1);
    expect(tokenB).toBeUndefined();
    await advance(clock, 1); // b saw version 1 at 0: expired at exactly 30, and it woke then
    expect(tokenB).toBeGreaterThan(tokenA);
    expect(clock.now()).toBe(TTL);
    expect(leaders).toEqual([
      { id: "a", token: tokenA },
      { id: "b", token: tokenB },
    ]);
    expect(b.lego.counters).toMatchObject({ elected: 1, errors: 0 });
  });

  it("the deposed leader notices on its next renew and campaigns again; it does not win while b renews", async () => {
    const clock = new ManualClock();
    const register = new MemoryVersionedRegister<LeaseRecord>();
    const a = leaderElection(register, { key: "leader", id: "a", ttl: TTL, scheduler: clock });
    const aLeads: boolean[] = [];
    a.isLeader$.subscribe((x) => aLeads.push(x));
    await a.campaign();
    await advance(clock, 1);
    await register.put("leader", { holder: "b", ttl: TTL }); // b took it (e.g. a was partitioned)
    await advance(clock, 10);
    expect(aLeads).toEqual([false, true, false]);
    expect(a.lease.status).toMatchObject({ state: "lost", reason: "conflict" });
    expect(a.campaigning).toBe(true);
    // b keeps renewing by hand every 10 ms; a must never win
    for (let i = 0; i < 10; i++) {
      const current = await register.get("leader");
      await register.update("leader", { holder: "b", ttl: TTL }, current?.version ?? 0);
      await advance(clock, 10);
    }
    expect(aLeads).toEqual([false, true, false]);
    // b stops: a takes over again
    await advance(clock, TTL + 10);
    expect(aLeads).toEqual([false, true, false, true]);
  });

  it("resign releases the lease at once and the next candidate wins without waiting for ttl", async () => {
    const clock = new ManualClock();
    const register = new MemoryVersionedRegister<LeaseRecord>();
    const a = leaderElection(register, { key: "leader", id: "a", ttl: TTL, scheduler: clock });
    const b = leaderElection(register, { key: "leader", id: "b", ttl: TTL, retryEvery: 5, scheduler: clock });
    await a.campaign();
    let bLeads = false;
    void b.campaign().then(() => (bLeads = true));
    await advance(clock, 7);
    await a.resign();
    expect(a.campaigning).toBe(false);
    await advance(clock, 5);
    expect(bLeads).toBe(true);
    expect(clock.now()).toBeLessThan(TTL);
  });

  it("resign before winning rejects the pending campaign with ABORTED", async () => {
    const clock = new ManualClock();
    const register = new MemoryVersionedRegister<LeaseRecord>();
    await register.create("leader", { holder: "x", ttl: TTL });
    const a = leaderElection(register, { key: "leader", id: "a", ttl: TTL, scheduler: clock });
    const pending = a.campaign();
    await advance(clock, 5);
    await a.resign();
    await expect(pending).rejects.toMatchObject({ code: "ABORTED" });
    await advance(clock, 100);
    expect(a.lease.status.state).toBe("standby");
    expect(clock.pending).toBe(0);
  });

  it("campaign while leading resolves at once with the token; close stops everything", async () => {
    const clock = new ManualClock();
    const register = new MemoryVersionedRegister<LeaseRecord>();
    const a = leaderElection(register, { key: "leader", id: "a", ttl: TTL, scheduler: clock, group: "jobs" });
    expect(a.lego).toEqual({ kind: "LeaderElection", name: "jobs.leader_election", group: "jobs" });
    const token = await a.campaign();
    expect(await a.campaign()).toBe(token);
    await a.close();
    expect(await register.get("leader")).toBeUndefined();
    await expect(a.campaign()).rejects.toMatchObject({ code: "STORE_CLOSED" });
    expect(clock.pending).toBe(0);
  });

  it("counts register errors and keeps trying", async () => {
    const clock = new ManualClock();
    const register = new MemoryVersionedRegister<LeaseRecord>();
    const get = register.get.bind(register);
    let failures = 2;
    register.get = (key) => (failures-- > 0 ? Promise.reject(new Error("unreachable")) : get(key));
    const a = leaderElection(register, { key: "leader", id: "a", ttl: TTL, retryEvery: 4, scheduler: clock });
    let token: number | undefined;
    void a.campaign().then((t) => (token = t));
    await advance(clock, 8);
    expect(token).toBe(1);
    expect(a.lego.counters).toMatchObject({ attempts: 3, errors: 2, elected: 1 });
  });

  it("has the documented types and validates at call time", () => {
    const register = new MemoryVersionedRegister<LeaseRecord>();
    const a = leaderElection(register, { key: "k", id: "a", ttl: 10 });
    expectTypeOf(a.leader$).toEqualTypeOf<Observable<Leader | undefined>>();
    expectTypeOf(a.isLeader$).toEqualTypeOf<Observable<boolean>>();
    expectTypeOf(a.campaign.bind(a)).returns.toEqualTypeOf<Promise<number>>();
    expect(() => leaderElection(register, { key: "k", id: "", ttl: 10 })).toThrow(new RangeError("id must not be empty"));
    expect(() => leaderElection(register, { key: "k", id: "a", ttl: 10, retryEvery: 0 })).toThrow(/^retryEvery/);
    expect(() => leaderElection(register, { key: "k", id: "a", ttl: -1 })).toThrow(/^ttl/);
  });
});
