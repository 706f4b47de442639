import { describe, expect, it } from "vitest";
import { healthStatus, sensorEvent, sensorIdentity, sensorLocation, sensorSample, sensorTag } from "../../src/index.js";

const sample = { value: 21.5, sourceTimestamp: 1_000, ingestTimestamp: 1_002, sequenceNumber: 1 };

describe("sensorSample", () => {
  it("builds a frozen sample with optional quality and status", () => {
    const s = sensorSample({ ...sample, quality: "good", status: "ok" });
    expect(s).toEqual({ ...sample, quality: "good", status: "ok" });
    expect(Object.isFrozen(s)).toBe(true);
    expect("quality" in sensorSample(sample)).toBe(false);
  });

  it.each([
    ["sourceTimestamp", "1", TypeError],
    ["sourceTimestamp", NaN, RangeError],
    ["ingestTimestamp", Infinity, RangeError],
    ["ingestTimestamp", undefined, TypeError],
    ["sequenceNumber", -1, RangeError],
    ["sequenceNumber", 1.5, RangeError],
    ["sequenceNumber", true, TypeError],
    ["quality", 0.9, TypeError],
    ["quality", null, TypeError],
    ["status", 3, TypeError],
    ["value", NaN, RangeError],
  ] as const)("rejects %s = %s", (field, value, errorClass) => {
    expect(() => sensorSample({ ...sample, [field]: value })).toThrow(errorClass);
    expect(() => sensorSample({ ...sample, [field]: value })).toThrow(field);
  });

  it("requires a value and an object", () => {
    const { value: _value, ...noValue } = sample;
    expect(() => sensorSample(noValue as never)).toThrow(/value is missing/);
    expect(() => sensorSample(null as never)).toThrow(TypeError);
  });

  it("normalises -0 timestamps to 0 and accepts non-number values", () => {
    const s = sensorSample({ ...sample, value: { x: [1, 2] }, sourceTimestamp: -0 });
    expect(Object.is(s.sourceTimestamp, 0)).toBe(true);
    expect(s.value).toEqual({ x: [1, 2] });
  });
});

describe("sensorIdentity, sensorTag, sensorLocation", () => {
  it("defaults to no tags at the origin", () => {
    const id = sensorIdentity();
    expect(id).toEqual({ tags: [], location: { x: 0, y: 0, z: 0 } });
    expect(Object.isFrozen(id) && Object.isFrozen(id.tags) && Object.isFrozen(id.location)).toBe(true);
  });

  it("sorts tag metadata keys and copies it", () => {
    const metadata = { zeta: 1, alpha: 2, mid: 3 };
    const tag = sensorTag({ name: "temperature", variant: "celsius", metadata });
    expect(Object.keys(tag.metadata)).toEqual(["alpha", "mid", "zeta"]);
    metadata.zeta = 9;
    expect(tag.metadata.zeta).toBe(1);
    expect(sensorTag({ name: "t" })).toEqual({ name: "t", variant: "", metadata: {} });
  });

  it("names the nested field that is wrong", () => {
    expect(() => sensorIdentity({ tags: [{ name: "a" }, { name: 3 as never }] })).toThrow("tags[1].name");
    expect(() => sensorIdentity({ location: { x: 0, y: NaN, z: 0 } })).toThrow(/location\.y must be a finite number/);
    expect(() => sensorIdentity({ tags: [{ name: "a", metadata: [] as never }] })).toThrow("tags[0].metadata");
    expect(() => sensorIdentity({ tags: "x" as never })).toThrow(/tags must be an array/);
    expect(() => sensorIdentity({ id: "" })).toThrow(RangeError);
    expect(() => sensorIdentity({ group: 5 as never })).toThrow(TypeError);
    expect(() => sensorLocation({ x: 1, y: 2, z: "3" as never })).toThrow(/z must be a number/);
    expect(() => sensorLocation({ x: 1, y: 2, z: 3, timestamp: Infinity })).toThrow(/timestamp/);
  });

  it("keeps id, group and location timestamp", () => {
    const id = sensorIdentity({ id: "bme280", group: "ambient", location: { x: 1, y: 2, z: 3, timestamp: 4 } });
    expect(id).toEqual({ id: "bme280", group: "ambient", tags: [], location: { x: 1, y: 2, z: 3, timestamp: 4 } });
  });
});

describe("sensorEvent", () => {
  it("fills defaults and freezes", () => {
    const e = sensorEvent({ eventType: "button.pressed", observedAt: 5 });
    expect(e).toEqual({ eventType: "button.pressed", data: {}, observedAt: 5, identity: sensorIdentity(), metadata: {} });
    expect(Object.isFrozen(e) && Object.isFrozen(e.metadata)).toBe(true);
  });

  it("validates every field", () => {
    const base = { eventType: "x", observedAt: 0 };
    expect(() => sensorEvent({ ...base, eventType: "" })).toThrow(/eventType must not be empty/);
    expect(() => sensorEvent({ ...base, observedAt: NaN })).toThrow(/observedAt/);
    expect(() => sensorEvent({ ...base, sequenceNumber: -2 })).toThrow(/sequenceNumber/);
    expect(() => sensorEvent({ ...base, raw: [1, 2] as never })).toThrow(/raw must be a Uint8Array/);
    expect(() => sensorEvent({ ...base, metadata: 1 as never })).toThrow(/metadata must be an object/);
    expect(() => sensorEvent({ ...base, identity: { location: { x: 0, y: 0, z: null as never } } })).toThrow("identity.location.z");
  });

  it("sorts metadata and keeps raw and sequence number", () => {
    const raw = new Uint8Array([1, 2]);
    const e = sensorEvent({ eventType: "x", observedAt: 0, metadata: { b: 1, a: 2 }, raw, sequenceNumber: 3 });
    expect(Object.keys(e.metadata)).toEqual(["a", "b"]);
    expect(e.raw).toBe(raw);
    expect(e.sequenceNumber).toBe(3);
  });

  it("reuses an identity it already validated", () => {
    const identity = sensorIdentity({ id: "a" });
    expect(sensorEvent({ eventType: "x", observedAt: 0, identity }).identity).toBe(identity);
    expect(sensorEvent({ eventType: "x", observedAt: 0, identity: { id: "b" } }).identity).toEqual({ id: "b", tags: [], location: { x: 0, y: 0, z: 0 } });
  });
});

describe("healthStatus", () => {
  it("defaults message, stale and errorCount from the status", () => {
    expect(healthStatus({ status: "stale", observedAt: 1 })).toEqual({ status: "stale", observedAt: 1, message: "", stale: true, errorCount: 0 });
    expect(healthStatus({ status: "ok", observedAt: 1 }).stale).toBe(false);
  });

  it("rejects unknown states and bad counts", () => {
    expect(() => healthStatus({ status: "fine" as never, observedAt: 0 })).toThrow(RangeError);
    expect(() => healthStatus({ status: 1 as never, observedAt: 0 })).toThrow(TypeError);
    expect(() => healthStatus({ status: "ok", observedAt: 0, errorCount: -1 })).toThrow(/errorCount/);
    expect(() => healthStatus({ status: "ok", observedAt: 0, stale: 1 as never })).toThrow(/stale must be a boolean/);
    expect(() => healthStatus({ status: "ok", observedAt: 0, message: null as never })).toThrow(/message/);
  });
});
