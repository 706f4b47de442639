import { describe, expect, expectTypeOf, it } from "vitest";
import { InProcessTransport, ManualClock, isLegoError, subjectMatches, type Transport, type TransportMessage } from "../../src/index.js";
import { transportConformance } from "../../src/testing/index.js";

transportConformance({ describe, it }, "InProcessTransport", { open: () => Promise.resolve(new InProcessTransport()) });

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (message: TransportMessage): string => new TextDecoder().decode(message.data);

describe("InProcessTransport", () => {
  it("implements the Transport port and says at-most-once", () => {
    const bus = new InProcessTransport({ group: "g" });
    expectTypeOf(bus).toExtend<Transport>();
    expect(bus.guarantee).toBe("at-most-once");
    expect(bus.lego).toEqual({ kind: "Transport", group: "g" });
  });

  it("matches subjects by NATS rules", () => {
    const t = (pattern: string, subject: string): boolean => subjectMatches(pattern.split("."), subject.split("."));
    expect(t("a.b", "a.b")).toBe(true);
    expect(t("a.b", "a.c")).toBe(false);
    expect(t("a.*", "a.b")).toBe(true);
    expect(t("a.*", "a.b.c")).toBe(false);
    expect(t("a.*.c", "a.x.c")).toBe(true);
    expect(t("a.>", "a")).toBe(false);
    expect(t("a.>", "a.b.c")).toBe(true);
    expect(t(">", "x")).toBe(true);
    expect(t("a.b.c", "a.b")).toBe(false);
  });

  it("refuses bad subjects at the call", async () => {
    const bus = new InProcessTransport();
    await expect(bus.publish("a.*", bytes("x"))).rejects.toThrow(RangeError);
    await expect(bus.publish("a..b", bytes("x"))).rejects.toThrow(/empty tokens/);
    await expect(bus.publish("", bytes("x"))).rejects.toThrow(RangeError);
    expect(() => bus.subscribe("a.>.b")).toThrow(/last token/);
    expect(() => bus.subscribe(3 as unknown as string)).toThrow(TypeError);
    expect(() => new InProcessTransport({ scheduler: {} as never })).toThrow(TypeError);
  });

  it("round-robins a queue group and counts unrouted messages", async () => {
    const bus = new InProcessTransport();
    const a: string[] = [];
    const b: string[] = [];
    bus.subscribe("jobs", { queue: "w" }).subscribe((m) => a.push(text(m)));
    bus.subscribe("jobs", { queue: "w" }).subscribe((m) => b.push(text(m)));
    for (const n of ["1", "2", "3", "4"]) await bus.publish("jobs", bytes(n));
    expect(a).toEqual(["1", "3"]);
    expect(b).toEqual(["2", "4"]);
    await bus.publish("nobody", bytes("x"));
    expect(bus.lego.counters).toMatchObject({ published: 5, delivered: 4, unrouted: 1 });
  });

  it("copies data on publish", async () => {
    const bus = new InProcessTransport();
    const seen: string[] = [];
    bus.subscribe("s").subscribe((m) => seen.push(text(m)));
    const buffer = bytes("abc");
    const publishing = bus.publish("s", buffer);
    buffer[0] = 0x7a;
    await publishing;
    expect(seen).toEqual(["abc"]);
  });

  it("times requests out on the scheduler (virtual time)", async () => {
    const clock = new ManualClock(0);
    const bus = new InProcessTransport({ scheduler: clock });
    bus.subscribe("slow").subscribe();
    let error: unknown;
    const pending = bus.request("slow", bytes("?"), { timeout: 30 }).catch((e: unknown) => (error = e));
    clock.advance(29);
    await Promise.resolve();
    expect(error).toBeUndefined();
    clock.advance(1);
    await pending;
    expect(isLegoError(error, "TIMEOUT")).toBe(true);
    expect(bus.lego.counters).toMatchObject({ requests: 1, timeouts: 1 });
  });

  it("completes subscriptions and rejects pending requests on close", async () => {
    const bus = new InProcessTransport();
    let completed = false;
    bus.subscribe("x").subscribe({ complete: () => (completed = true) });
    const pending = bus.request("x", bytes("?"), { timeout: 10_000 });
    await bus.close();
    expect(completed).toBe(true);
    await expect(pending).rejects.toSatisfy((e: unknown) => isLegoError(e, "TRANSPORT_CLOSED"));
    let error: unknown;
    bus.subscribe("x").subscribe({ error: (e: unknown) => (error = e) });
    expect(isLegoError(error, "TRANSPORT_CLOSED")).toBe(true);
  });
});
