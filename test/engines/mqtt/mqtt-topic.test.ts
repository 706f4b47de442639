import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sharedTopic, subjectToTopic, topicMatches, topicToSubject, unwrapEnvelope, wrapEnvelope } from "manyfold-rx/mqtt";

describe("subject ↔ topic", () => {
  it("maps tokens and wildcards", () => {
    expect(subjectToTopic("sensors.kitchen.temp")).toBe("sensors/kitchen/temp");
    expect(subjectToTopic("sensors.*.temp", { filter: true })).toBe("sensors/+/temp");
    expect(subjectToTopic("sensors.>", { filter: true })).toBe("sensors/#");
    expect(topicToSubject("sensors/kitchen/temp")).toBe("sensors.kitchen.temp");
  });

  it("refuses wildcards when publishing and tokens MQTT would misread", () => {
    expect(() => subjectToTopic("a.*")).toThrow(RangeError);
    expect(() => subjectToTopic("a.b/c")).toThrow(/token MQTT cannot carry/);
    expect(() => subjectToTopic("a..b")).toThrow(RangeError);
    expect(() => subjectToTopic("a.#", { filter: true })).toThrow(RangeError);
  });

  it("round-trips any subject of plain tokens", () => {
    const token = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 6 }), (tokens) => {
        const subject = tokens.join(".");
        expect(topicToSubject(subjectToTopic(subject))).toBe(subject);
      }),
    );
  });
});

describe("topicMatches", () => {
  it.each([
    ["a/+/c", "a/b/c", true],
    ["a/+/c", "a/b/d", false],
    ["a/#", "a", true],
    ["a/#", "a/b/c", true],
    ["#", "x/y", true],
    ["a/b", "a/b/c", false],
    ["a/b/c", "a/b", false],
    ["$share/g/a/+", "a/x", true],
    ["$share/g/a/+", "b/x", false],
  ])("%s matches %s: %s", (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it("builds shared subscriptions and refuses bad group names", () => {
    expect(sharedTopic("workers", "jobs/#")).toBe("$share/workers/jobs/#");
    expect(() => sharedTopic("a/b", "x")).toThrow(RangeError);
  });
});

describe("3.1.1 payload envelope", () => {
  it("round-trips headers and any payload", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string()), fc.uint8Array(), (headers, payload) => {
        const out = unwrapEnvelope(wrapEnvelope(headers, payload));
        expect(out?.headers).toEqual(headers);
        expect([...(out?.payload ?? [])]).toEqual([...payload]);
      }),
    );
  });

  it("says a plain payload is not an envelope", () => {
    expect(unwrapEnvelope(new TextEncoder().encode("21.5"))).toBeUndefined();
    expect(unwrapEnvelope(new Uint8Array([0x4d, 0x46, 0x31, 0, 0, 0, 99]))).toBeUndefined();
  });
});
