import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { faultPlan, MIN_FLEET_DURATION } from "../../../src/cli/fleet/fleet-faults.js";
import { foldReading, parseMessageId, type DeviceStats, type FoldedReading } from "../../../src/cli/fleet/fleet-plan.js";

const reading = (offset: number, centiCelsius: number): FoldedReading => ({
  id: `device-1:${offset}`,
  device: "device-1",
  offset,
  centiCelsius,
  humidity: offset / 10,
});

function foldAll(readings: readonly FoldedReading[]): DeviceStats | undefined {
  return readings.reduce<DeviceStats | undefined>((stats, r) => foldReading(stats, r), undefined);
}

describe("foldReading", () => {
  it("keeps count, exact sum, min, max and the latest reading", () => {
    const stats = foldAll([reading(0, 2150), reading(2, 2210), reading(1, 2090)]);
    expect(stats).toEqual({
      count: 3,
      sumCentiCelsius: 6450,
      minCentiCelsius: 2090,
      maxCentiCelsius: 2210,
      latestOffset: 2,
      latestCelsius: 22.1,
      latestHumidity: 0.2,
    });
  });

  it("gives the same statistics whatever order two workers fold in", () => {
    const readings = fc.uniqueArray(fc.nat(500), { minLength: 1, maxLength: 40 }).chain((offsets) =>
      fc.tuple(
        fc.constant(offsets.map((offset) => reading(offset, 2000 + ((offset * 37) % 400)))),
        fc.shuffledSubarray(offsets, { minLength: offsets.length }),
      ),
    );
    fc.assert(
      fc.property(readings, ([inOrder, shuffledOffsets]) => {
        const byOffset = new Map(inOrder.map((r) => [r.offset, r]));
        const shuffled = shuffledOffsets.map((offset) => byOffset.get(offset) as FoldedReading);
        expect(foldAll(shuffled)).toEqual(foldAll(inOrder));
      }),
    );
  });
});

describe("parseMessageId", () => {
  it("splits <device>:<offset> at the last colon", () => {
    expect(parseMessageId("device-2:41")).toEqual({ device: "device-2", offset: 41 });
    expect(parseMessageId("host:a:7")).toEqual({ device: "host:a", offset: 7 });
  });
  it("refuses what is not a producer id and an offset", () => {
    for (const id of ["device-2", ":4", "device-2:", "device-2:-1", "device-2:1.5", "device-2:x"]) expect(parseMessageId(id)).toBeUndefined();
  });
});

describe("faultPlan", () => {
  it("puts every fault inside the run, in order, the broker restart only on a server of the fleet's own", () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_FLEET_DURATION, max: 600_000 }), fc.boolean(), (duration, owned) => {
        const plan = faultPlan(duration, owned);
        expect(plan.map((f) => f.kind).sort()).toEqual(
          (owned ? ["kill-worker", "pause-leader", "restart-broker", "unplug-device"] : ["kill-worker", "pause-leader", "unplug-device"]),
        );
        for (const [i, fault] of plan.entries()) {
          expect(fault.at).toBeGreaterThan(0);
          expect(fault.at).toBeLessThan(duration);
          if (i > 0) expect(fault.at).toBeGreaterThanOrEqual(plan[i - 1]?.at ?? 0);
        }
      }),
    );
  });
});
