/**
 * Local-runtime operators against their closest RxJS built-in, per event, in
 * the same process and run alternately (see harness.ts). Sources emit
 * synchronously so the figures measure the operators, not a scheduler.
 *
 *   node --expose-gc --import tsx bench/local.bench.ts
 *
 * Goal: no ratio below 0.67 (ours at most 1.5× the built-in's cost).
 */
import {
  concat,
  defer,
  distinctUntilChanged,
  filter,
  map,
  Observable,
  of,
  retry,
  sample,
  startWith,
  Subject,
  switchMap,
  timer,
  type MonoTypeOperatorFunction,
  type OperatorFunction,
} from "rxjs";
import {
  BackoffPolicy,
  changeFilter,
  ManualClock,
  rateMatch,
  RetryPolicy,
  retryRunner,
  retryWithBackoff,
  thresholdFilter,
  watchdog,
  type WatchdogState,
} from "../src/index.js";
import { compare, section, type BenchCase } from "./harness.js";

const N = 1_000_000;
let sink: unknown;

/** Steps of 4 equal values, so a change filter passes one in four. */
const stepped = Array.from({ length: N }, (_, i) => (i >> 2) % 7);
/** A noisy walk: a 0.5 deadband passes a fair share of it. */
const noisy = Array.from({ length: N }, (_, i) => Math.sin(i / 50) * 10 + ((i * 7919) % 13) / 13);
/** Keyed records, for key selectors. */
const records = stepped.map((v) => ({ v }));

function syncSource<T>(values: readonly T[]): Observable<T> {
  return new Observable<T>((subscriber) => {
    for (let i = 0; i < values.length && !subscriber.closed; i++) subscriber.next(values[i] as T);
    subscriber.complete();
  });
}

function through<T, R>(name: string, values: readonly T[], op: () => OperatorFunction<T, R>): BenchCase {
  const source = syncSource(values);
  return {
    name,
    run: () => {
      source.pipe(op()).subscribe((v) => (sink = v));
      return values.length;
    },
  };
}

/** A source pushing `values` through a Subject with one demand pulse every `every` values. */
function paced<T>(name: string, values: readonly T[], every: number, op: (demand: Subject<void>) => MonoTypeOperatorFunction<T>): BenchCase {
  return {
    name,
    run: () => {
      const source = new Subject<T>();
      const demand = new Subject<void>();
      const subscription = source.pipe(op(demand)).subscribe((v) => (sink = v));
      for (let i = 0; i < values.length; i++) {
        source.next(values[i] as T);
        if (i % every === 0) demand.next();
      }
      subscription.unsubscribe();
      return values.length;
    },
  };
}

/** Events at one virtual instant, then time moves on so every timer fires. */
function watched(name: string, count: number, op: (clock: ManualClock) => OperatorFunction<number, unknown>): BenchCase {
  return {
    name,
    run: () => {
      const clock = new ManualClock();
      const source = new Subject<number>();
      const subscription = source.pipe(op(clock)).subscribe((v) => (sink = v));
      for (let i = 0; i < count; i++) {
        source.next(i);
        if (i % 1000 === 999) clock.advance(1);
      }
      clock.advance(1_000);
      subscription.unsubscribe();
      return count;
    },
  };
}

const opts = { unit: "ev/s", runs: 9 };

section("filters");
await compare(
  through("changeFilter()", stepped, () => changeFilter<number>()),
  through("distinctUntilChanged()", stepped, () => distinctUntilChanged<number>()),
  opts,
);
await compare(
  through("changeFilter(key)", records, () => changeFilter((r: { v: number }) => r.v)),
  through("distinctUntilChanged(===, key)", records, () =>
    distinctUntilChanged<{ v: number }, number>(
      (a, b) => a === b,
      (r) => r.v,
    ),
  ),
  opts,
);
await compare(
  through("thresholdFilter(0.5)", noisy, () => thresholdFilter<number>(0.5)),
  through("filter(hand-written deadband)", noisy, () => {
    let last = 0;
    let first = true;
    return filter((v: number) => {
      if (!first && Math.abs(v - last) <= 0.5) return false;
      first = false;
      last = v;
      return true;
    });
  }),
  opts,
);

section("rate matching (one demand pulse per 10 values)");
await compare(
  paced("rateMatch({ mode: latest })", noisy, 10, (demand) => rateMatch<number>({ demand })),
  paced("sample(demand)", noisy, 10, (demand) => sample<number>(demand)),
  opts,
);

section("retry, no errors");
await compare(
  through("retryWithBackoff(3, fixed 10)", stepped, () =>
    retryWithBackoff<number>({ retry: RetryPolicy.attempts(3), backoff: BackoffPolicy.fixed(10) }),
  ),
  through("retry({ count: 2, delay: 10 })", stepped, () => retry<number>({ count: 2, delay: 10 })),
  opts,
);
const READS = 200_000;
await compare(
  {
    name: "retryRunner.run(sync read) per read",
    run: () => {
      const runner = retryRunner({ retry: RetryPolicy.attempts(3), backoff: BackoffPolicy.fixed(10) });
      for (let i = 0; i < READS; i++) runner.run(() => i).subscribe((v) => (sink = v));
      return READS;
    },
  },
  {
    name: "defer(of(read)).pipe(retry) per read",
    run: () => {
      for (let i = 0; i < READS; i++)
        defer(() => of(i))
          .pipe(retry({ count: 2, delay: 10 }))
          .subscribe((v) => (sink = v));
      return READS;
    },
  },
  { ...opts, unit: "reads/s" },
);

section("watchdog (virtual time, 1000 values per ms)");
const dead: WatchdogState = { alive: false, since: 0 };
await compare(
  watched("watchdog({ timeout: 5 })", N, (clock) => watchdog<number>({ timeout: 5, scheduler: clock })),
  watched("switchMap(timer) + distinctUntilChanged", N, (clock) => (source: Observable<number>) =>
    source.pipe(
      switchMap(() =>
        concat(
          of<WatchdogState>({ alive: true, lastSeen: clock.now(), since: clock.now() }),
          timer(5, clock).pipe(map((): WatchdogState => ({ alive: false, since: clock.now() }))),
        ),
      ),
      startWith(dead),
      distinctUntilChanged((a, b) => a.alive === b.alive),
    ),
  ),
  opts,
);

if (sink === Symbol.for("never")) console.log("unreachable");
