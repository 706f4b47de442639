/**
 * Properties as laws: each catalog property (`Idempotent`, `Ordered`,
 * `Bounded`…) as a checker that runs an operator, function or store
 * through fast-check-generated inputs, operators in virtual time on a
 * `TestScheduler`, and reports the smallest counterexample it found.
 *
 * Needs `fast-check` (a peer dependency of `manyfold-rx/testing`).
 */
import fc from "fast-check";
import { type MonoTypeOperatorFunction, type Observable, type OperatorFunction } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { isDeepStrictEqual } from "node:util";
import { PROPERTY_LAWS } from "../atom/properties.js";

/** What a law reports: held, or failed with the (shrunk) inputs that break it. */
export type LawReport =
  | { readonly law: string; readonly holds: true; readonly runs: number }
  | { readonly law: string; readonly holds: false; readonly counterexample: unknown; readonly message: string; readonly runs: number };

export interface LawOptions {
  /** fast-check runs. @default 100 */
  numRuns?: number;
  /** fast-check seed, to replay a failure. @default random */
  seed?: number;
}

function report(law: string, details: fc.RunDetails<unknown>): LawReport {
  if (!details.failed) return Object.freeze({ law, holds: true, runs: details.numRuns });
  const cause = details.errorInstance;
  return Object.freeze({
    law,
    holds: false,
    runs: details.numRuns,
    counterexample: details.counterexample,
    message: cause instanceof Error ? cause.message : `${law} failed`,
  });
}

function params(options: LawOptions): fc.Parameters<unknown> {
  const out: fc.Parameters<unknown> = { numRuns: options.numRuns ?? 100 };
  if (options.seed !== undefined) out.seed = options.seed;
  return out;
}

function check<A extends unknown[]>(law: string, arbs: { [K in keyof A]: fc.Arbitrary<A[K]> }, predicate: (...args: A) => void, options: LawOptions): LawReport {
  const property = fc.property(...(arbs as unknown as [fc.Arbitrary<unknown>]), (...args: unknown[]) => {
    predicate(...(args as A));
  });
  return report(law, fc.check(property as fc.IProperty<unknown>, params(options)));
}

async function checkAsync<A>(law: string, arb: fc.Arbitrary<A>, predicate: (value: A) => Promise<void>, options: LawOptions): Promise<LawReport> {
  return report(law, await fc.check(fc.asyncProperty(arb, predicate) as fc.IAsyncProperty<unknown>, params(options)));
}

function fail(message: string): never {
  throw new Error(message);
}

/** An emitted value or the terminal event, as recorded in virtual time. */
export type Recorded<R> = { readonly frame: number; readonly kind: "N"; readonly value: R } | { readonly frame: number; readonly kind: "E" | "C" };

/**
 * Runs `op` over `inputs` (one per virtual-time frame, then complete) on a
 * fresh `TestScheduler` and returns what it emitted, with frames.
 */
export function runInVirtualTime<T, R>(op: OperatorFunction<T, R>, inputs: readonly T[]): Recorded<R>[] {
  const recorded: Recorded<R>[] = [];
  const scheduler = new TestScheduler(() => undefined);
  scheduler.run(({ cold }) => {
    // One frame per input: each value gets its own marble character.
    const source: Observable<T> = cold(
      inputs.map((_, i) => String.fromCharCode(0x100 + i)).join("") + "|",
      Object.fromEntries(inputs.map((value, i) => [String.fromCharCode(0x100 + i), value])),
    );
    op(source).subscribe({
      next: (value) => recorded.push({ frame: scheduler.now(), kind: "N", value }),
      error: () => recorded.push({ frame: scheduler.now(), kind: "E" }),
      complete: () => recorded.push({ frame: scheduler.now(), kind: "C" }),
    });
  });
  return recorded;
}

function valuesOf<R>(recorded: readonly Recorded<R>[]): R[] {
  return recorded.flatMap((r) => (r.kind === "N" ? [r.value] : []));
}

/** Idempotent: `op` applied twice emits exactly what it emits applied once. */
export function idempotent<T>(op: () => MonoTypeOperatorFunction<T>, inputs: fc.Arbitrary<T>, options: LawOptions = {}): LawReport {
  return check("Idempotent", [fc.array(inputs, { maxLength: 40 })], (xs: T[]) => {
    const once = runInVirtualTime(op(), xs);
    const twice = runInVirtualTime((s: Observable<T>) => op()(op()(s)), xs);
    if (!isDeepStrictEqual(once, twice)) fail(`applied twice ${JSON.stringify(valuesOf(twice))} != once ${JSON.stringify(valuesOf(once))}`);
  }, options);
}

/** Deterministic: two runs of `op` on the same inputs emit the same values at the same frames. */
export function deterministic<T, R>(op: () => OperatorFunction<T, R>, inputs: fc.Arbitrary<T>, options: LawOptions = {}): LawReport {
  return check("Deterministic", [fc.array(inputs, { maxLength: 40 })], (xs: T[]) => {
    const a = runInVirtualTime(op(), xs);
    const b = runInVirtualTime(op(), xs);
    if (!isDeepStrictEqual(a, b)) fail("two runs on the same inputs differ");
  }, options);
}

/** Ordered: `op` emits a subsequence of its inputs, in input order (it may drop, never reorder or invent). */
export function ordered<T>(op: () => MonoTypeOperatorFunction<T>, inputs: fc.Arbitrary<T>, options: LawOptions = {}): LawReport {
  return check("Ordered", [fc.array(inputs, { maxLength: 40 })], (xs: T[]) => {
    const out = valuesOf(runInVirtualTime(op(), xs));
    let i = 0;
    for (const value of out) {
      while (i < xs.length && !isDeepStrictEqual(xs[i], value)) i++;
      if (i === xs.length) fail(`output ${JSON.stringify(out)} is not an in-order subsequence of ${JSON.stringify(xs)}`);
      i++;
    }
  }, options);
}

/** Monotonic: every emitted value is >= the one before, by `compare`. */
export function monotonic<T, R>(op: () => OperatorFunction<T, R>, inputs: fc.Arbitrary<T>, compare: (a: R, b: R) => number, options: LawOptions = {}): LawReport {
  return check("Monotonic", [fc.array(inputs, { maxLength: 40 })], (xs: T[]) => {
    const out = valuesOf(runInVirtualTime(op(), xs));
    for (let i = 1; i < out.length; i++) if (compare(out[i - 1] as R, out[i] as R) > 0) fail(`emitted ${JSON.stringify(out[i])} after ${JSON.stringify(out[i - 1])}`);
  }, options);
}

/** AtMostOnce: no input value is emitted more times than it was given. */
export function atMostOnce<T>(op: () => MonoTypeOperatorFunction<T>, inputs: fc.Arbitrary<T>, options: LawOptions = {}): LawReport {
  return check("AtMostOnce", [fc.array(inputs, { maxLength: 40 })], (xs: T[]) => {
    const out = valuesOf(runInVirtualTime(op(), xs));
    for (const value of out) {
      const given = xs.filter((x) => isDeepStrictEqual(x, value)).length;
      const emitted = out.filter((x) => isDeepStrictEqual(x, value)).length;
      if (emitted > given) fail(`${JSON.stringify(value)} emitted ${emitted} times, given ${given}`);
    }
  }, options);
}

/** AtLeastOnce: every input value is emitted at least once before completion. */
export function atLeastOnce<T>(op: () => MonoTypeOperatorFunction<T>, inputs: fc.Arbitrary<T>, options: LawOptions = {}): LawReport {
  return check("AtLeastOnce", [fc.array(inputs, { maxLength: 40 })], (xs: T[]) => {
    const out = valuesOf(runInVirtualTime(op(), xs));
    for (const x of xs) if (!out.some((o) => isDeepStrictEqual(o, x))) fail(`${JSON.stringify(x)} was never emitted`);
  }, options);
}

/** BestEffort: `op` never errors on valid inputs (it may drop; bad data never kills the stream). */
export function bestEffort<T, R>(op: () => OperatorFunction<T, R>, inputs: fc.Arbitrary<T>, options: LawOptions = {}): LawReport {
  return check("BestEffort", [fc.array(inputs, { maxLength: 40 })], (xs: T[]) => {
    const recorded = runInVirtualTime(op(), xs);
    if (recorded.some((r) => r.kind === "E")) fail("the stream errored");
  }, options);
}

/** Bounded: `size()` of a container never exceeds `bound` whatever is pushed into it. */
export function bounded<T>(make: () => { push(value: T): unknown; readonly size: number }, bound: number, inputs: fc.Arbitrary<T>, options: LawOptions = {}): LawReport {
  return check("Bounded", [fc.array(inputs, { maxLength: 3 * bound + 10 })], (xs: T[]) => {
    const container = make();
    for (const x of xs) {
      try {
        container.push(x);
      } catch {
        // an overflow policy that throws still keeps the bound
      }
      if (container.size > bound) fail(`size ${container.size} > ${bound}`);
    }
  }, options);
}

/** Commutative: `f(a, b)` equals `f(b, a)`. */
export function commutative<T>(f: (a: T, b: T) => unknown, inputs: fc.Arbitrary<T>, options: LawOptions = {}): LawReport {
  return check("Commutative", [inputs, inputs], (a: T, b: T) => {
    if (!isDeepStrictEqual(f(a, b), f(b, a))) fail("f(a, b) != f(b, a)");
  }, options);
}

/** Associative: `f(f(a, b), c)` equals `f(a, f(b, c))`. */
export function associative<T>(f: (a: T, b: T) => T, inputs: fc.Arbitrary<T>, options: LawOptions = {}): LawReport {
  return check("Associative", [inputs, inputs, inputs], (a: T, b: T, c: T) => {
    if (!isDeepStrictEqual(f(f(a, b), c), f(a, f(b, c)))) fail("f(f(a, b), c) != f(a, f(b, c))");
  }, options);
}

/** Authenticated: `verify` accepts what `sign` made and rejects any one-bit change of data. */
export function authenticated(signer: { sign(data: Uint8Array): Uint8Array }, verifier: { verify(data: Uint8Array, sig: Uint8Array): boolean }, options: LawOptions = {}): LawReport {
  return check("Authenticated", [fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), fc.integer({ min: 0, max: 7 })], (data: Uint8Array, at: number, bit: number) => {
    const sig = signer.sign(data);
    if (!verifier.verify(data, sig)) fail("a genuine signature was rejected");
    const tampered = new Uint8Array(data);
    tampered[at % data.length] = (tampered[at % data.length] ?? 0) ^ (1 << bit);
    if (verifier.verify(tampered, sig)) fail("a tampered message was accepted");
  }, options);
}

/** Observable: the value carries a lego descriptor whose counters are numbers. */
export function observable(value: unknown): LawReport {
  const lego = (value as { lego?: { kind?: unknown; counters?: Record<string, unknown> } } | null)?.lego;
  const holds = typeof lego?.kind === "string" && typeof lego.counters === "object" && Object.values(lego.counters).every((c) => typeof c === "number");
  return holds
    ? Object.freeze({ law: "Observable", holds: true, runs: 1 })
    : Object.freeze({ law: "Observable", holds: false, runs: 1, counterexample: value, message: "no lego descriptor with numeric counters" });
}

/** A store with append and an ordered replay of what it holds (EventLogPort-like). */
export interface ReplayableStore<T> {
  append(value: T): Promise<unknown>;
  replay(): Observable<unknown>;
  close(): Promise<void>;
}

async function replayAll(store: ReplayableStore<unknown>, project: (record: unknown) => unknown): Promise<unknown[]> {
  const out: unknown[] = [];
  await new Promise<void>((resolve, reject) => {
    store.replay().subscribe({ next: (r) => out.push(project(r)), error: reject, complete: resolve });
  });
  return out;
}

/** Replayable: replaying twice yields the same records, equal to what was appended, in order. */
export function replayable<T>(open: () => Promise<ReplayableStore<T>>, inputs: fc.Arbitrary<T>, project: (record: unknown) => unknown, options: LawOptions = {}): Promise<LawReport> {
  return checkAsync("Replayable", fc.array(inputs, { maxLength: 20 }), async (xs) => {
    const store = await open();
    try {
      for (const x of xs) await store.append(x);
      const a = await replayAll(store, project);
      const b = await replayAll(store, project);
      if (!isDeepStrictEqual(a, xs) || !isDeepStrictEqual(b, xs)) fail(`replay ${JSON.stringify(a)} / ${JSON.stringify(b)} != appended ${JSON.stringify(xs)}`);
    } finally {
      await store.close();
    }
  }, { numRuns: 25, ...options });
}

/** Durable: what was appended before `close()` is replayed after reopening (`reopen` opens the same data). */
export function durable<T>(open: () => Promise<{ store: ReplayableStore<T>; reopen: () => Promise<ReplayableStore<T>> }>, inputs: fc.Arbitrary<T>, project: (record: unknown) => unknown, options: LawOptions = {}): Promise<LawReport> {
  return checkAsync("Durable", fc.array(inputs, { maxLength: 20 }), async (xs) => {
    const { store, reopen } = await open();
    for (const x of xs) await store.append(x);
    await store.close();
    const again = await reopen();
    try {
      const out = await replayAll(again, project);
      if (!isDeepStrictEqual(out, xs)) fail(`after reopen ${JSON.stringify(out)} != appended ${JSON.stringify(xs)}`);
    } finally {
      await again.close();
    }
  }, { numRuns: 15, ...options });
}

/** ExactlyOnceEffect: `run(key, effect)` repeated (retries) performs the effect once per key (an IdempotencyStore). */
export function exactlyOnceEffect(open: () => Promise<{ run(key: string, fn: () => Promise<number>): Promise<number>; close(): Promise<void> }>, options: LawOptions = {}): Promise<LawReport> {
  return checkAsync("ExactlyOnceEffect", fc.array(fc.constantFrom("a", "b", "c", "d"), { maxLength: 20 }), async (keys) => {
    const store = await open();
    const effects = new Map<string, number>();
    try {
      for (const key of keys) {
        await store.run(key, () => {
          effects.set(key, (effects.get(key) ?? 0) + 1);
          return Promise.resolve(effects.get(key) ?? 0);
        });
      }
      for (const [key, n] of effects) if (n !== 1) fail(`effect for ${key} ran ${n} times`);
    } finally {
      await store.close();
    }
  }, { numRuns: 25, ...options });
}

/**
 * Fenced: after a write under token t, any write under a token < t is
 * rejected (`write` throws or returns false), and writes under >= t succeed.
 */
export function fenced(make: () => { write(token: number, value: unknown): boolean }, options: LawOptions = {}): LawReport {
  return check("Fenced", [fc.array(fc.nat({ max: 20 }), { maxLength: 30 })], (tokens: number[]) => {
    const resource = make();
    let highest = -1;
    for (const t of tokens) {
      let accepted: boolean;
      try {
        accepted = resource.write(t, t);
      } catch {
        accepted = false;
      }
      if (t < highest && accepted) fail(`a write under stale token ${t} was accepted after ${highest}`);
      if (t >= highest && !accepted) fail(`a write under current token ${t} was rejected (highest ${highest})`);
      if (accepted) highest = Math.max(highest, t);
    }
  }, options);
}

/** The law for each catalog property this module checks (the same map as the package root's `PROPERTY_LAWS`). */
export const LAWS = PROPERTY_LAWS;

/** All laws, as `laws.idempotent(…)`. */
export const laws = Object.freeze({
  idempotent,
  deterministic,
  ordered,
  monotonic,
  atMostOnce,
  atLeastOnce,
  bestEffort,
  bounded,
  commutative,
  associative,
  authenticated,
  observable,
  replayable,
  durable,
  exactlyOnceEffect,
  fenced,
});
