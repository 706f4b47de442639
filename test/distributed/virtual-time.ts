import type { ManualClock } from "../../src/index.js";

/** Lets every pending Promise continuation run (the memory register resolves at once). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Advances `clock` by `ms` in `step`-ms steps, letting Promises settle after each step. */
export async function advance(clock: ManualClock, ms: number, step = 1): Promise<void> {
  await settle();
  if (ms === 0) {
    clock.advance(0);
    await settle();
  }
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await settle();
  }
}
