/**
 * A tiny benchmark harness: each case runs `runs` times after a warm-up, the
 * median time is kept, and a comparison prints our median against the
 * peer's as a ratio. The machine is noisy, so medians of several runs are
 * the only figures quoted.
 */
import { performance } from "node:perf_hooks";

export interface BenchCase {
  /** What is measured, e.g. "changeFilter". */
  name: string;
  /** One run; returns the number of units processed (events, bytes, records). */
  run: () => number | Promise<number>;
}

export interface BenchResult {
  name: string;
  units: number;
  medianMs: number;
  /** Units per second at the median. */
  rate: number;
}

export interface CompareOptions {
  runs?: number;
  warmup?: number;
  /** Unit printed after the rate, e.g. "events/s", "MB/s". */
  unit?: string;
  /** Converts units/s to the printed unit (e.g. bytes → MB). */
  scale?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
}

export async function measure(bench: BenchCase, runs = 7, warmup = 2): Promise<BenchResult> {
  let units = 0;
  for (let i = 0; i < warmup; i++) await bench.run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    collectGarbage();
    const start = performance.now();
    units = await bench.run();
    times.push(performance.now() - start);
  }
  const medianMs = median(times);
  return { name: bench.name, units, medianMs, rate: (units / medianMs) * 1000 };
}

/**
 * Runs ours and the peer alternately (so drift hits both) and prints
 * `ours vs peer: ratio` where ratio > 1 means ours is faster.
 * Returns `ours.rate / peer.rate`.
 */
export async function compare(ours: BenchCase, peer: BenchCase, options: CompareOptions = {}): Promise<number> {
  const runs = options.runs ?? 7;
  const warmup = options.warmup ?? 2;
  const unit = options.unit ?? "ops/s";
  const scale = options.scale ?? 1;
  const a: BenchResult[] = [];
  const b: BenchResult[] = [];
  for (let round = 0; round < 3; round++) {
    a.push(await measure(ours, Math.ceil(runs / 3), round === 0 ? warmup : 0));
    b.push(await measure(peer, Math.ceil(runs / 3), round === 0 ? warmup : 0));
  }
  const oursRate = median(a.map((r) => r.rate)) * scale;
  const peerRate = median(b.map((r) => r.rate)) * scale;
  const ratio = oursRate / peerRate;
  const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toPrecision(3));
  console.log(
    `${ours.name.padEnd(34)} ${fmt(oursRate).padStart(12)} ${unit}  vs  ${peer.name.padEnd(34)} ${fmt(peerRate).padStart(12)} ${unit}  ratio ${ratio.toFixed(2)}x`,
  );
  return ratio;
}

/** Prints a section heading. */
export function section(title: string): void {
  console.log(`\n== ${title} ==`);
}
