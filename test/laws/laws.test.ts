import { generateKeyPairSync, randomBytes } from "node:crypto";
import fc from "fast-check";
import { from, map, filter, scan, delay, type Observable } from "rxjs";
import { describe, expect, it } from "vitest";
import { BoundedRingBuffer, changeFilter, ed25519Signer, ed25519Verifier, hmacSigner, isStaleCounter, legoMeter, term, version, withLego } from "manyfold-rx";
import { laws, runInVirtualTime, type ReplayableStore } from "manyfold-rx/testing";

const small = fc.integer({ min: 0, max: 5 });

describe("operator laws", () => {
  it("runInVirtualTime records values with frames and completion", () => {
    expect(runInVirtualTime(map((x: number) => x * 2), [1, 2])).toEqual([
      { frame: 0, kind: "N", value: 2 },
      { frame: 1, kind: "N", value: 4 },
      { frame: 2, kind: "C" },
    ]);
    expect(runInVirtualTime(delay(5), [1])).toEqual([{ frame: 5, kind: "N", value: 1 }, { frame: 5, kind: "C" }]);
  });
  it("idempotent holds for changeFilter and fails for map(x+1) with a counterexample", () => {
    expect(laws.idempotent(() => changeFilter<number>(), small).holds).toBe(true);
    const r = laws.idempotent(() => map((x: number) => x + 1), small);
    expect(r.holds).toBe(false);
    if (!r.holds) {
      expect(r.counterexample).toEqual([[0]]); // shrunk to the smallest input
      expect(r.message).toMatch(/applied twice/);
    }
  });
  it("deterministic fails for an operator that reads outside state", () => {
    let calls = 0;
    expect(laws.deterministic(() => map((x: number) => x + calls++), small).holds).toBe(false);
    expect(laws.deterministic(() => map((x: number) => x * 3), small).holds).toBe(true);
  });
  it("ordered accepts filters and rejects reordering or inventing", () => {
    expect(laws.ordered(() => filter((x: number) => x > 2), small).holds).toBe(true);
    expect(laws.ordered(() => (s: Observable<number>) => s.pipe(map((x) => x + 1)), small).holds).toBe(false);
  });
  it("monotonic: a running max holds, identity on arbitrary inputs fails", () => {
    expect(laws.monotonic(() => scan((m: number, x: number) => Math.max(m, x), -Infinity), small, (a, b) => a - b).holds).toBe(true);
    expect(laws.monotonic(() => map((x: number) => x), small, (a, b) => a - b).holds).toBe(false);
  });
  it("atMostOnce / atLeastOnce / bestEffort", () => {
    const doubled = (s: Observable<number>): Observable<number> => s.pipe(map((x) => [x, x]), (o) => o.pipe(map((p) => p[0] ?? 0)));
    expect(laws.atMostOnce(() => doubled, small).holds).toBe(true);
    expect(laws.atMostOnce(() => (s: Observable<number>) => from([1, 1]).pipe((o) => (s.subscribe(), o)), small).holds).toBe(false);
    expect(laws.atLeastOnce(() => filter((x: number) => x > 0), small).holds).toBe(false);
    expect(laws.atLeastOnce(() => map((x: number) => x), small).holds).toBe(true);
    expect(laws.bestEffort(() => map((x: number) => { if (x === 3) throw new Error("boom"); return x; }), small).holds).toBe(false);
  });
});

describe("value and store laws", () => {
  it("bounded holds for BoundedRingBuffer and fails for an array", () => {
    expect(laws.bounded(() => new BoundedRingBuffer<number>({ capacity: 4 }), 4, small).holds).toBe(true);
    const r = laws.bounded(() => { const a: number[] = []; return { push: (x: number) => a.push(x), get size() { return a.length; } }; }, 4, small);
    expect(r.holds).toBe(false);
    if (!r.holds) expect(r.message).toBe("size 5 > 4");
  });
  it("commutative and associative", () => {
    expect(laws.commutative((a: number, b: number) => a + b, fc.integer()).holds).toBe(true);
    expect(laws.commutative((a: number, b: number) => a - b, fc.integer()).holds).toBe(false);
    expect(laws.associative((a: string, b: string) => a + b, fc.string()).holds).toBe(true);
    expect(laws.associative((a: number, b: number) => a - b, fc.integer()).holds).toBe(false);
  });
  it("authenticated holds for HMAC and Ed25519, fails for a verifier that accepts anything", () => {
    const mac = hmacSigner(randomBytes(32));
    expect(laws.authenticated(mac, mac, { numRuns: 30 }).holds).toBe(true);
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    expect(laws.authenticated(ed25519Signer(privateKey), ed25519Verifier(publicKey), { numRuns: 20 }).holds).toBe(true);
    expect(laws.authenticated(mac, { verify: () => true }, { numRuns: 5 }).holds).toBe(false);
  });
  it("observable", () => {
    expect(laws.observable(changeFilter()).holds).toBe(true);
    expect(laws.observable(map((x: number) => x)).holds).toBe(false);
    expect(laws.observable(withLego({}, legoMeter("X", {}, ["n"]).descriptor)).holds).toBe(true);
  });
  it("fenced holds for an isStaleCounter guard and fails without one", () => {
    const guarded = () => {
      let highest = -1;
      return { write: (t: number) => (isStaleCounter(term(t), term(Math.max(highest, 0))) && highest >= 0 ? false : ((highest = Math.max(highest, t)), true)) };
    };
    expect(laws.fenced(guarded).holds).toBe(true);
    expect(laws.fenced(() => ({ write: () => true })).holds).toBe(false);
    expect(isStaleCounter(version(1), version(2))).toBe(true);
  });
  it("replayable and durable on an in-memory log; durable fails when reopen loses data", async () => {
    const memoryLog = (data: number[]): ReplayableStore<number> => ({
      append: (x) => { data.push(x); return Promise.resolve(); },
      replay: () => from([...data]),
      close: () => Promise.resolve(),
    });
    expect((await laws.replayable(() => Promise.resolve(memoryLog([])), small, (r) => r)).holds).toBe(true);
    expect((await laws.durable(() => { const data: number[] = []; return Promise.resolve({ store: memoryLog(data), reopen: () => Promise.resolve(memoryLog(data)) }); }, small, (r) => r)).holds).toBe(true);
    const lossy = await laws.durable(() => Promise.resolve({ store: memoryLog([]), reopen: () => Promise.resolve(memoryLog([])) }), small, (r) => r);
    expect(lossy.holds).toBe(false);
  });
  it("exactlyOnceEffect holds with a memo and fails without", async () => {
    const memo = () => { const done = new Map<string, number>(); return Promise.resolve({ run: async (k: string, fn: () => Promise<number>) => done.get(k) ?? (done.set(k, await fn()), done.get(k) ?? 0), close: () => Promise.resolve() }); };
    expect((await laws.exactlyOnceEffect(memo)).holds).toBe(true);
    expect((await laws.exactlyOnceEffect(() => Promise.resolve({ run: (_k: string, fn: () => Promise<number>) => fn(), close: () => Promise.resolve() }))).holds).toBe(false);
  });
});
