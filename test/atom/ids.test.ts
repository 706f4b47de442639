import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  ManualClock,
  causalityId,
  causalityIdGenerator,
  causalityIdTime,
  correlationId,
  formatTraceParent,
  isCausalityId,
  isNodeId,
  isSpanId,
  isTraceId,
  messageId,
  newSpanId,
  newTraceId,
  nodeId,
  parseTraceParent,
  principalId,
  requestId,
  serviceId,
  spanId,
  tenantId,
  traceId,
  traceParent,
  type CausalityId,
  type NodeId,
  type TenantId,
} from "manyfold-rx";

describe("string ids", () => {
  const makers = [nodeId, serviceId, tenantId, principalId, requestId, messageId, correlationId];
  it.each([
    ["", RangeError],
    ["has space", RangeError],
    ["x".repeat(257), RangeError],
    ["tab\there", RangeError],
  ])("rejects %j with %s", (value, error) => {
    for (const make of makers) expect(() => make(value)).toThrow(error);
  });
  it("rejects a non-string with a TypeError naming the atom", () => {
    expect(() => nodeId(42 as unknown as string)).toThrow(new TypeError("NodeId must be a string, got number"));
    expect(() => tenantId(null as unknown as string)).toThrow(/TenantId must be a string, got null/);
  });
  it("accepts printable ids and returns them unchanged", () => {
    for (const make of makers) expect(make("node-1.eu/a:b")).toBe("node-1.eu/a:b");
    expect(nodeId("x".repeat(256))).toHaveLength(256);
    expect(isNodeId("n1")).toBe(true);
    expect(isNodeId("")).toBe(false);
    expect(isNodeId(7)).toBe(false);
  });
  it("brands keep a TenantId out of a NodeId slot", () => {
    const acceptNode = (id: NodeId): string => id;
    const t: TenantId = tenantId("t1");
    // @ts-expect-error a TenantId is not a NodeId
    acceptNode(t);
    // @ts-expect-error a plain string is not a NodeId
    acceptNode("n1");
    expect(acceptNode(nodeId("n1"))).toBe("n1");
    expectTypeOf(nodeId).returns.toEqualTypeOf<NodeId>();
    expectTypeOf<TenantId>().not.toEqualTypeOf<NodeId>();
    expectTypeOf<NodeId>().toExtend<string>();
  });
});

describe("CausalityId (ULID)", () => {
  const fixedRandom = (byte: number) => (b: Uint8Array) => b.fill(byte);
  it("encodes the clock's time in the first 10 characters", () => {
    const next = causalityIdGenerator({ clock: new ManualClock(1_469_922_850_259), random: fixedRandom(0) });
    const id = next();
    expect(id).toBe("01ARZ3NDEK" + "0".repeat(16));
    expect(causalityIdTime(id)).toBe(1_469_922_850_259); // the ULID spec example 01ARZ3NDEK…;
    expect(isCausalityId(id)).toBe(true);
  });
  it("increments the random part within one millisecond and when the clock steps back", () => {
    let t = 5;
    const next = causalityIdGenerator({ clock: { now: () => t }, random: fixedRandom(0xff) });
    const a = next();
    const b = next();
    expect(a.endsWith("Z".repeat(16))).toBe(true);
    expect(b > a).toBe(true);
    expect(causalityIdTime(b)).toBe(6); // overflowed 80 bits: borrowed the next ms
    t = 2; // the clock stepped back
    const c = next();
    expect(c > b).toBe(true);
    expect(causalityIdTime(c)).toBe(6);
  });
  it("ids sort by time and, within one generator, by generation order (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 50 }), fc.integer(), (steps, seed) => {
        let t = 1_000_000;
        const clock = { now: () => t };
        let s = seed;
        const next = causalityIdGenerator({ clock, random: (b) => b.map(() => (s = (s * 1103515245 + 12345) & 0xff)) });
        const ids: CausalityId[] = [];
        for (const step of steps) {
          t += step;
          ids.push(next());
        }
        const sorted = [...ids].sort();
        expect(sorted).toEqual(ids);
        expect(new Set(ids).size).toBe(ids.length);
        for (let i = 1; i < ids.length; i++) expect(causalityIdTime(ids[i]!)).toBeGreaterThanOrEqual(causalityIdTime(ids[i - 1]!));
      }),
    );
  });
  it("accepts a given ULID, upper-casing it, and rejects malformed ones", () => {
    expect(causalityId("01arz3ndektsv4rrffq69g5fav")).toBe("01ARZ3NDEKTSV4RRFFQ69G5FAV");
    expect(() => causalityId("01ARZ3NDEKTSV4RRFFQ69G5FA")).toThrow(RangeError);
    expect(() => causalityId("81ARZ3NDEKTSV4RRFFQ69G5FAV")).toThrow(RangeError); // > 2^48 ms
    expect(() => causalityId("01ARZ3NDEKTSV4RRFFQ69G5FAU")).toThrow(RangeError); // U is not Crockford
    expect(() => causalityId(1 as unknown as string)).toThrow(TypeError);
  });
  it("parse(format(x)) = x: a generated id round-trips", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.uint8Array({ minLength: 10, maxLength: 10 }), (ms, rnd) => {
        const id = causalityIdGenerator({ clock: { now: () => ms }, random: (b) => (b.set(rnd), b) })();
        expect(causalityId(id.toLowerCase())).toBe(id);
        expect(causalityIdTime(id)).toBe(ms);
      }),
    );
  });
  it("rejects a clock outside the ULID range", () => {
    expect(() => causalityIdGenerator({ clock: { now: () => -1 } })()).toThrow(RangeError);
  });
  it("uses crypto randomness by default", () => {
    const next = causalityIdGenerator();
    expect(next()).not.toBe(next());
  });
});

describe("W3C Trace Context", () => {
  const header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  it("parses the spec's example traceparent into a frozen value", () => {
    const parsed = parseTraceParent(header);
    expect(parsed).toEqual({ version: 0, traceId: "4bf92f3577b34da6a3ce929d0e0e4736", parentId: "00f067aa0ba902b7", flags: 1, sampled: true });
    expect(Object.isFrozen(parsed)).toBe(true);
    expect(formatTraceParent(parsed!)).toBe(header);
  });
  it.each([
    ["ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "version ff"],
    ["00-00000000000000000000000000000000-00f067aa0ba902b7-01", "zero trace id"],
    ["00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "zero parent id"],
    ["00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "upper case"],
    ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "extra field in version 00"],
    ["00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", "short trace id"],
    ["garbage", "garbage"],
  ])("ignores %s (%s)", (value) => {
    expect(parseTraceParent(value)).toBeUndefined();
  });
  it("accepts a future version with extra fields", () => {
    expect(parseTraceParent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-x")?.sampled).toBe(false);
  });
  it("parse(format(x)) = x (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 255 }), (t, s, flags) => {
        fc.pre(t.some((b) => b !== 0) && s.some((b) => b !== 0));
        const value = traceParent(Buffer.from(t).toString("hex"), Buffer.from(s).toString("hex"), flags);
        expect(parseTraceParent(formatTraceParent(value))).toEqual(value);
      }),
    );
  });
  it("validates trace and span ids and makes random ones", () => {
    expect(() => traceId("abc")).toThrow(RangeError);
    expect(() => spanId("0000000000000000")).toThrow(RangeError);
    expect(isTraceId(newTraceId())).toBe(true);
    expect(isSpanId(newSpanId())).toBe(true);
    expect(() => traceParent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 256)).toThrow(RangeError);
  });
});
