/**
 * Flow-control legos against their peers, in the same process and run
 * alternately (see harness.ts).
 *
 *   node --expose-gc --import tsx bench/flow.bench.ts
 *
 * - rateLimit vs bottleneck 2.19.5 and p-queue 8 at the same limit, set
 *   high (10⁹ per second) so nothing waits and the figure is the limiter's
 *   own cost per admitted unit of work (goal ≥ 2× each);
 * - an unlimited rateLimit vs a bare map (goal: cost ≤ 1.5×, ratio ≥ 0.67);
 * - bulkhead vs p-limit 6, limit 8, each unit of work a resolved Promise
 *   (goal ≥ 2×).
 */
import Bottleneck from "bottleneck";
import pLimit from "p-limit";
import PQueue from "p-queue";
import { from, map, Observable, of, type OperatorFunction } from "rxjs";
import { bulkhead, rateLimit } from "../src/index.js";
import { compare, section, type BenchCase } from "./harness.js";

const N = 100_000;
/** bottleneck admits a few hundred jobs per second here (one timer per job), so it gets a short run. */
const N_BOTTLENECK = 500;
const values = Array.from({ length: N }, (_, i) => i);
const LIMIT = 1e9; // units per second: never reached, so the limiter's overhead is measured
let sink = 0;

function syncSource<T>(items: readonly T[]): Observable<T> {
  return new Observable<T>((subscriber) => {
    for (let i = 0; i < items.length && !subscriber.closed; i++) subscriber.next(items[i] as T);
    subscriber.complete();
  });
}

function through(name: string, count: number, op: () => OperatorFunction<number, number>): BenchCase {
  const items = values.length === count ? values : Array.from({ length: count }, (_, i) => i);
  const source = syncSource(items);
  return {
    name,
    run: () => {
      source.pipe(op()).subscribe((v) => (sink += v));
      return count;
    },
  };
}

const work = (i: number): void => {
  sink += i;
};

section(`rate limit, ${LIMIT.toExponential()} per s (admitted work per second)`);
const ours = through("rateLimit({ rate: 1e9 })", N, () => rateLimit<number>({ rate: LIMIT, per: 1000, burst: LIMIT }));
const ratios: Record<string, number> = {};
ratios.bottleneck = await compare(
  through(`rateLimit({ rate: 1e9 }) x${N_BOTTLENECK}`, N_BOTTLENECK, () => rateLimit<number>({ rate: LIMIT, per: 1000, burst: LIMIT })),
  {
    name: `bottleneck (reservoir 1e9/s) x${N_BOTTLENECK}`,
    run: async () => {
      const limiter = new Bottleneck({
        reservoir: LIMIT,
        reservoirRefreshAmount: LIMIT,
        reservoirRefreshInterval: 1000,
        maxConcurrent: null,
        minTime: 0,
      });
      const all: Promise<void>[] = [];
      for (let i = 0; i < N_BOTTLENECK; i++) all.push(limiter.schedule(() => Promise.resolve(work(i))));
      await Promise.all(all);
      await limiter.disconnect();
      return N_BOTTLENECK;
    },
  },
  { unit: "ops/s", runs: 3 },
);
ratios["p-queue"] = await compare(
  ours,
  {
    name: "p-queue (intervalCap 1e9/s)",
    run: async () => {
      const queue = new PQueue({ interval: 1000, intervalCap: LIMIT });
      for (let i = 0; i < N; i++) void queue.add(() => work(i));
      await queue.onIdle();
      queue.clear();
      return N;
    },
  },
  { unit: "ops/s", runs: 9 },
);

section("pass-through: unlimited rateLimit vs map");
ratios.map = await compare(
  through("rateLimit({ rate: Infinity })", 1_000_000, () => rateLimit<number>({ rate: Infinity })),
  through("map(v => v)", 1_000_000, () => map((v: number) => v)),
  { unit: "ev/s", runs: 9 },
);
await compare(
  through("rateLimit({ rate: 1e9 }) (limited)", 1_000_000, () => rateLimit<number>({ rate: LIMIT, burst: LIMIT })),
  through("map(v => v)", 1_000_000, () => map((v: number) => v)),
  { unit: "ev/s", runs: 9 },
);

section("bulkhead vs p-limit (limit 8, work = resolved Promise)");
ratios["p-limit"] = await compare(
  {
    name: "bulkhead(work, { limit: 8 })",
    run: () =>
      new Promise<number>((resolve, reject) => {
        from(values)
          .pipe(bulkhead((i: number) => Promise.resolve(i), { limit: 8, queue: N }))
          .subscribe({ next: (v) => (sink += v), error: reject, complete: () => resolve(N) });
      }),
  },
  {
    name: "p-limit(8)",
    run: async () => {
      const limit = pLimit(8);
      const results = await Promise.all(values.map((i) => limit(() => Promise.resolve(i))));
      sink += results.length;
      return N;
    },
  },
  { unit: "ops/s", runs: 9 },
);
await compare(
  {
    name: "bulkhead(of(v), { limit: 8 }) (sync work)",
    run: () => {
      from(values)
        .pipe(bulkhead((i: number) => of(i), { limit: 8, queue: N }))
        .subscribe((v) => (sink += v));
      return N;
    },
  },
  {
    name: "p-limit(8)",
    run: async () => {
      const limit = pLimit(8);
      const results = await Promise.all(values.map((i) => limit(() => Promise.resolve(i))));
      sink += results.length;
      return N;
    },
  },
  { unit: "ops/s", runs: 9 },
);

console.log(
  `\nratios: rateLimit/bottleneck ${ratios.bottleneck.toFixed(2)}x (goal >= 2), rateLimit/p-queue ${ratios["p-queue"].toFixed(2)}x (goal >= 2), ` +
    `unlimited rateLimit/map ${ratios.map.toFixed(2)}x (goal >= 0.67), bulkhead/p-limit ${ratios["p-limit"].toFixed(2)}x (goal >= 2)`,
);
if (sink === -1) console.log("unreachable");
