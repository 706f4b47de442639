import { Subject, firstValueFrom, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import {
  InProcessTransport,
  ManualClock,
  MemoryDeduplicationStore,
  confirmByReceipt,
  inbox,
  isLegoError,
  sendReceipts,
  type Transport,
  type TransportMessage,
} from "manyfold-rx";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** A receiver: Inbox then receipts, on `transport`. */
function receiver(transport: Transport, handled: string[]): () => void {
  const store = new MemoryDeduplicationStore();
  const subscription = transport
    .subscribe("readings.>")
    .pipe(
      inbox(store, (m: TransportMessage) => {
        handled.push(new TextDecoder().decode(m.data));
      }),
      sendReceipts(transport, (id) => `receipts.${id.split(":")[0] ?? ""}`),
    )
    .subscribe();
  return () => subscription.unsubscribe();
}

describe("confirmByReceipt + sendReceipts", () => {
  it("resolves a publish only once the receiver's Inbox handled it and its receipt came back", async () => {
    const bus = new InProcessTransport();
    const handled: string[] = [];
    const stop = receiver(bus, handled);
    const confirmed = confirmByReceipt(bus, { receipts: "receipts.dev", timeout: 1000 });
    await confirmed.publish("readings.dev", bytes("21.5"), { messageId: "dev:0" });
    expect(handled).toEqual(["21.5"]);
    expect(confirmed.lego.counters).toMatchObject({ confirmed: 1, receipts: 1, timedOut: 0 });
    stop();
  });

  it("rejects with TIMEOUT when no receipt comes (the message was lost), on the scheduler's time", async () => {
    const clock = new ManualClock();
    const bus = new InProcessTransport();
    const confirmed = confirmByReceipt(bus, { receipts: "receipts.dev", timeout: 500, scheduler: clock });
    let outcome: unknown = "pending";
    confirmed.publish("readings.dev", bytes("lost"), { messageId: "dev:1" }).then(
      () => (outcome = "resolved"),
      (error: unknown) => (outcome = error),
    );
    await flush();
    clock.advance(499);
    await flush();
    expect(outcome).toBe("pending");
    clock.advance(1);
    await flush();
    expect(isLegoError(outcome, "TIMEOUT")).toBe(true);
    expect(confirmed.lego.counters.timedOut).toBe(1);
  });

  it("a republished message is confirmed again by a duplicate result, and the effect happens once", async () => {
    const bus = new InProcessTransport();
    const handled: string[] = [];
    const stop = receiver(bus, handled);
    const confirmed = confirmByReceipt(bus, { receipts: "receipts.dev", timeout: 1000 });
    await confirmed.publish("readings.dev", bytes("a"), { messageId: "dev:7" });
    await confirmed.publish("readings.dev", bytes("a"), { messageId: "dev:7" });
    expect(handled).toEqual(["a"]);
    expect(confirmed.lego.counters.confirmed).toBe(2);
    stop();
  });

  it("sends no receipt for a failed result and passes every result on in order", async () => {
    const bus = new InProcessTransport();
    const sent: string[] = [];
    const spy = bus.subscribe("receipts.>").subscribe((m) => sent.push(m.messageId ?? "?"));
    const results = new Subject<{ status: string; id: string }>();
    const out = firstValueFrom(results.pipe(sendReceipts(bus, (id) => `receipts.${id}`), toArray()));
    results.next({ status: "processed", id: "a" });
    results.next({ status: "failed", id: "b" });
    results.next({ status: "duplicate", id: "c" });
    results.complete();
    expect((await out).map((r) => r.id)).toEqual(["a", "b", "c"]);
    expect(sent).toEqual(["a", "c"]);
    spy.unsubscribe();
  });

  it("refuses a publish without a message id and bad options", async () => {
    const bus = new InProcessTransport();
    const confirmed = confirmByReceipt(bus, { receipts: "r", timeout: 10 });
    await expect(confirmed.publish("x", bytes("1"))).rejects.toThrow(TypeError);
    expect(() => confirmByReceipt(bus, { receipts: "", timeout: 10 })).toThrow(RangeError);
    expect(() => confirmByReceipt(bus, { receipts: "r", timeout: 0 })).toThrow(/timeout/);
    expect(() => sendReceipts(bus, "x" as unknown as (id: string) => string)).toThrow(TypeError);
  });
});
