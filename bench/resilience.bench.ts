/**
 * Resilience legos against their peers, in the same process, run
 * alternately (see harness.ts).
 *
 *   node --expose-gc --import tsx bench/resilience.bench.ts
 *
 * Circuit breaker, success path: every call is an async function that
 * resolves at once, so the figures measure the breaker. Like for like, every
 * breaker opens at a 50 % failure ratio and half-opens after 10 s:
 * - ours with its default window (the last 100 calls, no clock read per
 *   call) against cockatiel's CountBreaker (the same window) and
 *   ConsecutiveBreaker, and against opossum (a 10 s rolling window whose
 *   buckets an interval timer rotates, so it reads no clock per call either);
 * - ours with a 10 s time window (a clock read per call) against cockatiel's
 *   SamplingBreaker (10 s, a clock read per call).
 * Opossum runs with `timeout: false` (its default 10 s timeout arms a timer
 * per call, which no other breaker here does). Goal: ≥ 2× cockatiel and ≥ 2×
 * opossum.
 *
 * Deadline check: `withDeadline()` against a bare `filter` doing the same
 * comparison by hand. Goal: ratio ≥ 0.67 (at most 1.5× the filter's cost).
 */
import { ConsecutiveBreaker, CountBreaker, SamplingBreaker, circuitBreaker as cockatielBreaker, handleAll } from "cockatiel";
import Opossum from "opossum";
import { asyncScheduler, concatMap, filter, from, lastValueFrom, mergeMap, Observable, range, type OperatorFunction } from "rxjs";
import { CircuitBreaker, Deadline, ThresholdPolicy, withDeadline, type Deadlined } from "../src/index.js";
import { compare, section, type BenchCase } from "./harness.js";

let sink: unknown;
const CALLS = 100_000;
const BATCH = 100;

const work = (): Promise<number> => Promise.resolve(1);

function ours(): CircuitBreaker {
  return new CircuitBreaker({ threshold: ThresholdPolicy.ratio(0.5, { minimumCalls: 10 }), window: { by: "count", size: 100 }, halfOpenAfter: 10_000 });
}

function oursTimed(): CircuitBreaker {
  return new CircuitBreaker({
    threshold: ThresholdPolicy.ratio(0.5, { minimumCalls: 10 }),
    window: { by: "time", size: 10_000, buckets: 10 },
    halfOpenAfter: 10_000,
  });
}

function cockatielCount() {
  return cockatielBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new CountBreaker({ threshold: 0.5, size: 100, minimumNumberOfCalls: 10 }) });
}

function cockatiel() {
  return cockatielBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new SamplingBreaker({ threshold: 0.5, duration: 10_000 }) });
}

function cockatielConsecutive() {
  return cockatielBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
}

function opossum(): Opossum<[], number> {
  return new Opossum(work, {
    timeout: false,
    errorThresholdPercentage: 50,
    resetTimeout: 10_000,
    rollingCountTimeout: 10_000,
    rollingCountBuckets: 10,
  });
}

/** `CALLS` awaited one after another. */
function sequential(name: string, make: () => { call: () => Promise<number>; close?: () => void }): BenchCase {
  return {
    name,
    run: async () => {
      const { call, close } = make();
      for (let i = 0; i < CALLS; i++) sink = await call();
      close?.();
      return CALLS;
    },
  };
}

/** `CALLS` in batches of `BATCH` concurrent calls. */
function batched(name: string, make: () => { call: () => Promise<number>; close?: () => void }): BenchCase {
  return {
    name,
    run: async () => {
      const { call, close } = make();
      const batch: Promise<number>[] = new Array<Promise<number>>(BATCH);
      for (let i = 0; i < CALLS; i += BATCH) {
        for (let j = 0; j < BATCH; j++) batch[j] = call();
        sink = await Promise.all(batch);
      }
      close?.();
      return CALLS;
    },
  };
}

/**
 * `CALLS` values through `mergeMap(guarded call)`, `BATCH` at a time (batches
 * by `concatMap`: a `mergeMap` concurrency limit over 100k queued values
 * would measure RxJS's own buffer).
 */
function piped(name: string, make: () => { op: OperatorFunction<number, number>; close?: () => void }): BenchCase {
  return {
    name,
    run: async () => {
      const { op, close } = make();
      sink = await lastValueFrom(range(0, CALLS / BATCH).pipe(concatMap(() => range(0, BATCH).pipe(op))));
      close?.();
      return CALLS;
    },
  };
}

const opts = { unit: "calls/s", runs: 9 };

section(`circuit breaker, success path: ${CALLS} async calls awaited one by one`);
const seqOurs = sequential("CircuitBreaker.run (count 100)", () => {
  const b = ours();
  return { call: () => b.run(work) };
});
// the ceiling: no breaker at all, the same awaited call
await compare(sequential("bare await call() (no breaker)", () => ({ call: work })), sequential("cockatiel (CountBreaker 100)", () => {
  const b = cockatielCount();
  return { call: () => b.execute(work) };
}), opts);
await compare(seqOurs, sequential("cockatiel (CountBreaker 100)", () => {
  const b = cockatielCount();
  return { call: () => b.execute(work) };
}), opts);
await compare(seqOurs, sequential("cockatiel (ConsecutiveBreaker)", () => {
  const b = cockatielConsecutive();
  return { call: () => b.execute(work) };
}), opts);
await compare(seqOurs, sequential("opossum.fire (timeout: false)", () => {
  const b = opossum();
  return { call: () => b.fire(), close: () => b.shutdown() };
}), opts);
await compare(sequential("CircuitBreaker.run (time 10 s)", () => {
  const b = oursTimed();
  return { call: () => b.run(work) };
}), sequential("cockatiel (SamplingBreaker 10 s)", () => {
  const b = cockatiel();
  return { call: () => b.execute(work) };
}), opts);

section(`circuit breaker, success path: ${CALLS} calls in batches of ${BATCH}`);
const batchOurs = batched("CircuitBreaker.run (count 100)", () => {
  const b = ours();
  return { call: () => b.run(work) };
});
await compare(batchOurs, batched("cockatiel (CountBreaker 100)", () => {
  const b = cockatielCount();
  return { call: () => b.execute(work) };
}), opts);
await compare(batchOurs, batched("opossum.fire (timeout: false)", () => {
  const b = opossum();
  return { call: () => b.fire(), close: () => b.shutdown() };
}), opts);

section(`circuit breaker, RxJS: ${CALLS} values through mergeMap(guarded call), ${BATCH} at a time`);
const rxOurs = piped("mergeMap(breaker.guard(call))", () => {
  const b = ours();
  return { op: mergeMap(b.guard(work)) };
});
await compare(rxOurs, piped("mergeMap(() => call()) (no breaker)", () => ({ op: mergeMap(() => work()) })), opts);
await compare(rxOurs, piped("mergeMap(from(cockatiel.execute))", () => {
  const b = cockatielCount();
  return { op: mergeMap(() => from(b.execute(work))) };
}), opts);
await compare(rxOurs, piped("mergeMap(from(opossum.fire()))", () => {
  const b = opossum();
  return { op: mergeMap(() => from(b.fire())), close: () => b.shutdown() };
}), opts);

section("deadline check, 500k values, all in time");
const N = 500_000;
const far = Deadline.at(Number.MAX_SAFE_INTEGER);
const stamped: Deadlined<number>[] = Array.from({ length: N }, (_, i) => ({ value: i, deadline: far }));
function through<T>(name: string, op: () => OperatorFunction<T, T>, values: readonly T[]): BenchCase {
  const source = new Observable<T>((subscriber) => {
    for (let i = 0; i < values.length && !subscriber.closed; i++) subscriber.next(values[i] as T);
    subscriber.complete();
  });
  return {
    name,
    run: () => {
      source.pipe(op()).subscribe((v) => (sink = v));
      return values.length;
    },
  };
}
await compare(
  through("withDeadline()", () => withDeadline<Deadlined<number>>(), stamped),
  through("filter(d.deadline.at > now)", () => filter((d: Deadlined<number>) => d.deadline.at > asyncScheduler.now()), stamped),
  { unit: "ev/s", runs: 9 },
);

if (sink === Symbol.for("never")) console.log("unreachable");
