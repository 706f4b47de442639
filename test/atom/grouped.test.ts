import { describe, expect, it } from "vitest";
import { BoundedRingBuffer, ManualClock, SequenceCounter } from "../../src/index.js";
import { adoptGroup } from "../../src/atom/grouped.js";

describe("adoptGroup", () => {
  it("gives a helper without a group the component's group, returning the helper", () => {
    const counter = new SequenceCounter();
    expect(adoptGroup(counter, "ambient")).toBe(counter);
    expect(counter.group).toBe("ambient");
  });

  it("never replaces a helper's own group", () => {
    const clock = new ManualClock(0, { group: "mine" });
    adoptGroup(clock, "ambient");
    expect(clock.group).toBe("mine");
  });

  it("does nothing when the component has no group", () => {
    const ring = new BoundedRingBuffer({ capacity: 1 });
    adoptGroup(ring, undefined);
    expect(ring.group).toBeUndefined();
  });

  it("works on ManualClock, SequenceCounter and BoundedRingBuffer alike", () => {
    for (const helper of [new ManualClock(), new SequenceCounter(), new BoundedRingBuffer({ capacity: 1 })]) {
      adoptGroup(helper, "g");
      expect(helper.group).toBe("g");
    }
  });
});
