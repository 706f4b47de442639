import { Subject, type Observable, type Subscription } from "rxjs";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  heartbeat,
  ManualClock,
  MemoryVersionedRegister,
  membership,
  type HeartbeatBeat,
  type LegoObservable,
  type MemberRecord,
  type MembershipEvent,
  type MembershipView,
} from "../../src/index.js";
import { advance, settle } from "./virtual-time.js";

interface Meta {
  readonly address: string;
}

function setup(): { clock: ManualClock; register: MemoryVersionedRegister<MemberRecord<Meta>> } {
  return { clock: new ManualClock(), register: new MemoryVersionedRegister<MemberRecord<Meta>>() };
}

const summary = (events: MembershipEvent<Meta>[]): string[] =>
  events.map((e) => `${e.at}:${e.type}:${e.member.id}#${e.member.incarnation}${e.reason === undefined ? "" : `(${e.reason})`}`);

describe("heartbeat", () => {
  it("writes a beat at once and then every period, with incarnation and metadata", async () => {
    const { clock, register } = setup();
    const beats: HeartbeatBeat[] = [];
    let load = 0;
    const sub = heartbeat(register, { member: "a", every: 10, metadata: () => ({ address: `load-${load++}` }), scheduler: clock }).subscribe(
      (b) => beats.push(b),
    );
    await advance(clock, 25);
    expect(beats.map((b) => [b.beat, b.at, b.incarnation])).toEqual([
      [1, 0, 1],
      [2, 10, 1],
      [3, 20, 1],
    ]);
    expect((await register.get("members/a"))?.value).toEqual({ member: "a", incarnation: 1, beat: 3, metadata: { address: "load-2" } });
    sub.unsubscribe();
    await settle();
    expect(await register.get("members/a")).toBeUndefined();
  });

  it("a restart announces the next incarnation", async () => {
    const { clock, register } = setup();
    await register.put("members/a", { member: "a", incarnation: 4, beat: 9 });
    const beats: HeartbeatBeat[] = [];
    heartbeat(register, { member: "a", every: 10, scheduler: clock }).subscribe((b) => beats.push(b));
    await advance(clock, 0);
    expect(beats[0]).toMatchObject({ incarnation: 5, beat: 1 });
    expect((await register.get("members/a"))?.value).toEqual({ member: "a", incarnation: 5, beat: 1 });
  });

  it("a failed write is counted and the next beat tries again; leaveOnStop false keeps the key", async () => {
    const { clock, register } = setup();
    const put = register.put.bind(register);
    let fail = true;
    register.put = (key, value) => (fail ? Promise.reject(new Error("down")) : put(key, value));
    const hb = heartbeat(register, { member: "a", every: 10, incarnation: 2, leaveOnStop: false, scheduler: clock });
    const beats: HeartbeatBeat[] = [];
    const sub = hb.subscribe((b) => beats.push(b));
    await advance(clock, 5);
    fail = false;
    await advance(clock, 10);
    expect(beats.map((b) => b.beat)).toEqual([2]);
    expect(hb.lego.counters).toMatchObject({ beats: 1, errors: 1 });
    sub.unsubscribe();
    await settle();
    expect((await register.get("members/a"))?.value.incarnation).toBe(2);
  });

  it("has the documented type, descriptor and validation", () => {
    const register = new MemoryVersionedRegister<MemberRecord>();
    expectTypeOf(heartbeat(register, { member: "a", every: 1 })).toEqualTypeOf<LegoObservable<HeartbeatBeat>>();
    expect(heartbeat(register, { member: "a", every: 1, group: "cluster" }).lego).toEqual({
      kind: "Heartbeat",
      name: "cluster.heartbeat",
      group: "cluster",
    });
    expect(() => heartbeat(register, { member: "a/b", every: 1 })).toThrow(RangeError);
    expect(() => heartbeat(register, { member: "a b", every: 1 })).toThrow(RangeError);
    expect(() => heartbeat(register, { member: "a", every: 0 })).toThrow(/^every/);
    expect(() => heartbeat(register, { member: "a", every: 1, incarnation: 0 })).toThrow(/^incarnation/);
    expect(() => heartbeat(register, { member: "a", every: 1, leaveOnStop: "no" as never })).toThrow(TypeError);
  });
});

describe("membership", () => {
  it("join, suspect after suspectAfter, alive again, leave after ttl (virtual time)", async () => {
    const { clock, register } = setup();
    const cluster = membership(register, { ttl: 40, suspectAfter: 20, scheduler: clock });
    const events: MembershipEvent<Meta>[] = [];
    cluster.events$.subscribe((e) => events.push(e));
    const a = heartbeat(register, { member: "a", every: 10, metadata: { address: "10.0.0.1" }, scheduler: clock }).subscribe();
    const bClock = new ManualClock(); // b's own clock: b beats once, then stalls
    heartbeat(register, { member: "b", every: 10, scheduler: bClock }).subscribe();
    await advance(clock, 0);
    bClock.advance(0);
    await settle();
    expect(summary(events)).toEqual(["0:join:a#1", "0:join:b#1"]);
    expect(events[1]?.view.members.map((m) => [m.id, m.status, m.metadata])).toEqual([
      ["a", "alive", { address: "10.0.0.1" }],
      ["b", "alive", undefined],
    ]);
    await advance(clock, 25); // 25: b silent since 0 → suspected at 20
    expect(summary(events).slice(2)).toEqual(["20:suspect:b#1"]);
    bClock.advance(10); // b beats again at 25
    await settle();
    expect(summary(events).slice(3)).toEqual(["25:alive:b#1"]);
    await advance(clock, 45); // b silent since 25: suspect at 45, leave at 65
    expect(summary(events).slice(4)).toEqual(["45:suspect:b#1", "65:leave:b#1(timeout)"]);
    expect(events.at(-1)?.view.members.map((m) => m.id)).toEqual(["a"]);
    a.unsubscribe(); // orderly leave: the key is deleted
    await advance(clock, 1);
    expect(summary(events).slice(6)).toEqual(["70:leave:a#1(left)"]);
    expect(events.at(-1)?.view).toEqual({ version: 7, members: [] });
    expect(cluster.lego.counters).toEqual({ joins: 2, leaves: 2, suspicions: 2, invalid: 0 });
  });

  it("a restart (higher incarnation) is a join; a late write of an older incarnation is ignored", async () => {
    const { clock, register } = setup();
    const cluster = membership(register, { ttl: 100, scheduler: clock });
    const events: MembershipEvent<Meta>[] = [];
    cluster.events$.subscribe((e) => events.push(e));
    await register.put("members/a", { member: "a", incarnation: 1, beat: 1 });
    await register.put("members/a", { member: "a", incarnation: 2, beat: 1 });
    await register.put("members/a", { member: "a", incarnation: 1, beat: 2 });
    await register.put("members/x", { member: "y", incarnation: 1, beat: 1 }); // key and member disagree
    await register.put("members/z", { nonsense: true } as never);
    expect(summary(events)).toEqual(["0:join:a#1", "0:join:a#2"]);
    expect(cluster.lego.counters).toMatchObject({ invalid: 3 });
  });

  it("members present at subscribe join at once and leave one ttl later if silent", async () => {
    const { clock, register } = setup();
    await register.put("members/old", { member: "old", incarnation: 3, beat: 7 });
    const views: MembershipView<Meta>[] = [];
    membership(register, { ttl: 30, scheduler: clock }).members$.subscribe((v) => views.push(v));
    await advance(clock, 30);
    expect(views.map((v) => [v.version, v.members.map((m) => `${m.id}:${m.status}`)])).toEqual([
      [0, []],
      [1, ["old:alive"]],
      [2, ["old:suspect"]],
      [3, []],
    ]);
  });

  it("with a phi accrual detector, suspects a member whose regular beats stop, at the detector's time", async () => {
    const { clock, register } = setup();
    const cluster = membership(register, {
      ttl: 1_000,
      failureDetector: { threshold: 8, firstHeartbeatEstimate: 10, minStdDeviation: 2 },
      scheduler: clock,
    });
    const events: MembershipEvent<Meta>[] = [];
    cluster.events$.subscribe((e) => events.push(e));
    const beats = new Subject<void>();
    let beat = 0;
    beats.subscribe(() => void register.put("members/a", { member: "a", incarnation: 1, beat: ++beat }));
    for (let i = 0; i < 20; i++) {
      beats.next();
      await advance(clock, 10, 10);
    }
    expect(summary(events)).toEqual(["0:join:a#1"]); // regular beats: never suspected
    await advance(clock, 100);
    const suspect = events.find((e) => e.type === "suspect");
    expect(suspect).toBeDefined();
    // last beat at 190; mean 10, sd floored at 2: phi 8 is reached about 190 + 10 + 2·4.2
    expect(suspect?.at).toBeGreaterThan(200);
    expect(suspect?.at).toBeLessThan(215);
  });

  it("each subscription watches on its own; unsubscribing stops the timer and the watch", async () => {
    const { clock, register } = setup();
    const cluster = membership(register, { ttl: 30, scheduler: clock });
    const first: MembershipEvent<Meta>[] = [];
    const sub: Subscription = cluster.events$.subscribe((e) => first.push(e));
    await register.put("members/a", { member: "a", incarnation: 1, beat: 1 });
    sub.unsubscribe();
    expect(clock.pending).toBe(0);
    const second: MembershipEvent<Meta>[] = [];
    cluster.events$.subscribe((e) => second.push(e));
    expect(summary(second)).toEqual(["0:join:a#1"]);
    expect(first).toHaveLength(1);
  });

  it("passes a register watch error on", async () => {
    const { clock, register } = setup();
    const cluster = membership(register, { ttl: 30, scheduler: clock });
    let failure: unknown;
    cluster.events$.subscribe({ error: (e: unknown) => (failure = e) });
    await register.close();
    await register.put("members/a", { member: "a", incarnation: 1, beat: 1 }).catch(() => undefined);
    expect(failure).toBeUndefined(); // the memory register completes watchers on close
    let errored: unknown;
    cluster.events$.subscribe({ error: (e: unknown) => (errored = e) });
    expect(errored).toMatchObject({ code: "STORE_CLOSED" });
  });

  it("has the documented types, descriptor and validation", () => {
    const register = new MemoryVersionedRegister<MemberRecord<Meta>>();
    const cluster = membership(register, { ttl: 10, group: "cluster" });
    expectTypeOf(cluster.events$).toEqualTypeOf<LegoObservable<MembershipEvent<Meta>>>();
    expectTypeOf(membership<Meta>(register, { ttl: 1 }).members$).toEqualTypeOf<Observable<MembershipView<Meta>>>();
    expect(cluster.lego).toEqual({ kind: "Membership", name: "cluster.membership", group: "cluster" });
    expect(cluster.events$.lego).toBe(cluster.lego);
    expect(() => membership(register, { ttl: 0 })).toThrow(/^ttl/);
    expect(() => membership(register, { ttl: 10, suspectAfter: 10 })).toThrow(
      new RangeError("suspectAfter must be less than ttl (10), got 10"),
    );
    expect(() => membership(register, { ttl: 10, failureDetector: { threshold: -1 } })).toThrow(/^threshold/);
    expect(() => membership(register, { ttl: 10, prefix: "bad prefix" })).toThrow(RangeError);
  });
});
