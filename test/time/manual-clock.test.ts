import { timer } from "rxjs";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/index.js";

describe("ManualClock", () => {
  it("runs a timer only when time is advanced past its due time", () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    timer(100, clock).subscribe(() => seen.push(clock.now()));
    clock.advance(99);
    expect(seen).toEqual([]);
    expect(clock.advance(1)).toBe(100);
    expect(seen).toEqual([100]);
  });
});
