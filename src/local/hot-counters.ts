import type { LegoMeter } from "../atom/lego-descriptor.js";

/**
 * The live counters record of `meter`, writable, for operators that count
 * once per value: `counters.passed++` costs far less than
 * `meter.count("passed")` on a hot path. The record is the descriptor's own
 * live `counters` (see `legoMeter`), so readers see every increment.
 *
 * @internal shared by the local-runtime operators; not part of the package surface.
 */
export function hotCounters<K extends string>(meter: LegoMeter, names: readonly K[]): Record<K, number> {
  const counters = meter.descriptor.counters;
  for (const name of names) {
    if (typeof counters[name] !== "number") throw new Error(`counter ${name} was not declared on the meter`);
  }
  return counters as Record<K, number>;
}
