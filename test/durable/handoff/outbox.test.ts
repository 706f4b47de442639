import { rm } from "node:fs/promises";
import { firstValueFrom, lastValueFrom, filter, of, take, toArray, type Subscription } from "rxjs";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  BackoffPolicy,
  InProcessTransport,
  LocalDurableSpool,
  ManualClock,
  MemoryDeduplicationStore,
  Outbox,
  RetryPolicy,
  inbox,
  isLegoError,
  type LegoObservable,
  type OutboxForwarded,
  type OutboxStatus,
  type PublishOptions,
  type Transport,
  type TransportMessage,
} from "../../../src/index.js";
import { backends, tempLocation, type BackendHandle } from "../backends.js";

const decode = (message: TransportMessage): unknown => JSON.parse(new TextDecoder().decode(message.data));

/** Collects what the in-process transport delivers on `subject`. */
function listen(transport: InProcessTransport, subject = "out.>"): { messages: TransportMessage[]; stop: Subscription } {
  const messages: TransportMessage[] = [];
  return { messages, stop: transport.subscribe(subject).subscribe((m) => messages.push(m)) };
}

/** A transport that fails the first `failures` publishes, then passes to `inner`. */
function flaky(inner: Transport, failures: number): Transport & { attempts: number } {
  const wrapper = {
    attempts: 0,
    guarantee: inner.guarantee,
    status$: inner.status$,
    publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<void> {
      wrapper.attempts++;
      if (failures > 0) {
        failures--;
        return Promise.reject(new Error("broker unavailable"));
      }
      return inner.publish(subject, data, options);
    },
    subscribe: inner.subscribe.bind(inner),
    request: inner.request.bind(inner),
    close: inner.close.bind(inner),
  };
  return wrapper;
}

describe.each(backends)("Outbox on $name", (backend) => {
  let handle: BackendHandle;
  let spool: LocalDurableSpool<{ n: number }>;
  let transport: InProcessTransport;

  beforeEach(async () => {
    handle = await backend.create();
    spool = await LocalDurableSpool.open<{ n: number }>({ db: handle.db, name: "outgoing" });
    transport = new InProcessTransport();
  });

  afterEach(async () => {
    await spool.close();
    await handle.dispose();
  });

  const open = (options: Partial<Parameters<typeof Outbox.open<{ n: number }>>[0]> = {}): Promise<Outbox<{ n: number }>> =>
    Outbox.open<{ n: number }>({
      spool,
      transport,
      subject: (value) => `out.${value.n % 2 === 0 ? "even" : "odd"}`,
      checkpoints: spool.checkpoints,
      name: "uplink",
      producerId: "gw-1",
      ...options,
    });

  it("forwards the backlog in order with message ids producerId:offset, then moves the checkpoint", async () => {
    await lastValueFrom(of({ n: 1 }, { n: 2 }, { n: 3 }).pipe(spool.record()));
    const { messages, stop } = listen(transport);
    const outbox = await open();
    const forwarded = await firstValueFrom(outbox.run().pipe(take(3), toArray()));
    stop.unsubscribe();
    expect(forwarded).toEqual([
      { offset: 0, messageId: "gw-1:0", subject: "out.odd", attempts: 1 },
      { offset: 1, messageId: "gw-1:1", subject: "out.even", attempts: 1 },
      { offset: 2, messageId: "gw-1:2", subject: "out.odd", attempts: 1 },
    ]);
    expect(messages.map((m) => [m.subject, m.messageId, decode(m)])).toEqual([
      ["out.odd", "gw-1:0", { n: 1 }],
      ["out.even", "gw-1:1", { n: 2 }],
      ["out.odd", "gw-1:2", { n: 3 }],
    ]);
    expect(await spool.checkpoints.get("uplink")).toBe(2);
    expect(outbox.lego).toEqual({ kind: "Outbox", name: "uplink" });
    expect(outbox.lego.counters).toMatchObject({ forwarded: 3, acked: 3, pending: 0, failed: 0 });
    await outbox.close();
  });

  it("follows records recorded after it caught up, and reports idle/forwarding on status$", async () => {
    const outbox = await open();
    const states: OutboxStatus["state"][] = [];
    outbox.status$.subscribe((s) => states.push(s.state));
    const { messages, stop } = listen(transport);
    const done = firstValueFrom(outbox.run().pipe(take(2), toArray()));
    await firstValueFrom(outbox.status$.pipe(filter((s) => s.state === "idle")));
    await lastValueFrom(of({ n: 10 }, { n: 11 }).pipe(spool.record()));
    expect((await done).map((f) => f.offset)).toEqual([0, 1]);
    stop.unsubscribe();
    expect(messages.map(decode)).toEqual([{ n: 10 }, { n: 11 }]);
    expect(states.slice(0, 3)).toEqual(["stopped", "idle", "forwarding"]);
    await outbox.close();
    expect(states[states.length - 1]).toBe("closed");
  });

  it("resumes from the checkpoint after a restart (nothing forwarded twice)", async () => {
    await lastValueFrom(of({ n: 1 }, { n: 2 }).pipe(spool.record()));
    const first = await open();
    await firstValueFrom(first.run().pipe(take(2), toArray()));
    await first.close();
    await spool.close();
    await handle.reopen();
    spool = await LocalDurableSpool.open<{ n: number }>({ db: handle.db, name: "outgoing" });
    await lastValueFrom(of({ n: 3 }).pipe(spool.record()));
    const { messages, stop } = listen(transport);
    const second = await open();
    expect((await firstValueFrom(second.status$)).nextOffset).toBe(2);
    const forwarded = await firstValueFrom(second.run().pipe(take(1), toArray()));
    stop.unsubscribe();
    expect(forwarded.map((f) => f.messageId)).toEqual(["gw-1:2"]);
    expect(messages.map(decode)).toEqual([{ n: 3 }]);
    await second.close();
  });

  it("retries a failed publish on the scheduler with the backoff, then goes on", async () => {
    const clock = new ManualClock(0);
    const broker = flaky(transport, 2);
    await lastValueFrom(of({ n: 1 }).pipe(spool.record()));
    const outbox = await open({ transport: broker, scheduler: clock, backoff: BackoffPolicy.fixed(100) });
    const states: OutboxStatus["state"][] = [];
    outbox.status$.subscribe((s) => states.push(s.state));
    const done = firstValueFrom(outbox.run());
    await firstValueFrom(outbox.status$.pipe(filter((s) => s.state === "retrying")));
    expect(broker.attempts).toBe(1);
    clock.advance(99);
    expect(broker.attempts).toBe(1);
    clock.advance(1);
    await firstValueFrom(outbox.status$.pipe(filter(() => broker.attempts === 2)));
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(100);
    expect(await done).toEqual({ offset: 0, messageId: "gw-1:0", subject: "out.odd", attempts: 3 });
    expect(outbox.lego.counters).toMatchObject({ retries: 2, acked: 1, forwarded: 1 });
    expect((await firstValueFrom(outbox.status$)).lastError).toBe("broker unavailable");
    await outbox.close();
  });

  it("errors with PUBLISH_FAILED when the retry policy gives up; the checkpoint stays before the record", async () => {
    await lastValueFrom(of({ n: 1 }, { n: 2 }).pipe(spool.record()));
    let calls = 0;
    const broker = flaky(transport, 0);
    const failing: Transport = {
      ...broker,
      publish: (subject, data, options) => (++calls === 2 ? Promise.reject(new Error("rejected by broker")) : broker.publish(subject, data, options)),
    };
    const outbox = await open({ transport: failing, retry: RetryPolicy.never() });
    const error: unknown = await lastValueFrom(outbox.run()).catch((e: unknown) => e);
    expect(isLegoError(error, "PUBLISH_FAILED")).toBe(true);
    expect(((error as Error).cause as Error).message).toBe("rejected by broker");
    expect(await spool.checkpoints.get("uplink")).toBe(0);
    expect((await firstValueFrom(outbox.status$)).state).toBe("failed");
    expect(outbox.lego.counters).toMatchObject({ failed: 1, acked: 1 });
    // A new run picks up at the failed record.
    expect(await firstValueFrom(outbox.run())).toMatchObject({ offset: 1, messageId: "gw-1:1" });
    await outbox.close();
  });

  it("keeps at most maxInFlight publishes unconfirmed, and commits in order", async () => {
    await lastValueFrom(of(...Array.from({ length: 10 }, (_, n) => ({ n }))).pipe(spool.record()));
    const waiting: (() => void)[] = [];
    let peak = 0;
    const slow: Transport = {
      ...flaky(transport, 0),
      publish: () =>
        new Promise<void>((resolve) => {
          waiting.push(resolve);
          peak = Math.max(peak, waiting.length);
        }),
    };
    const outbox = await open({ transport: slow, maxInFlight: 3, batchSize: 4 });
    const done = firstValueFrom(outbox.run().pipe(take(10), toArray()));
    const pump = setInterval(() => {
      // Confirm out of order: newest first.
      waiting.splice(0).reverse().forEach((resolve) => {
        resolve();
      });
    }, 1);
    const forwarded = await done.finally(() => {
      clearInterval(pump);
    });
    expect(peak).toBe(3);
    expect(forwarded.map((f) => f.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await spool.checkpoints.get("uplink")).toBe(9);
    await outbox.close();
  });

  it("skips and reports a record it cannot encode", async () => {
    await lastValueFrom(of({ n: 1 }, { n: 2 }).pipe(spool.record()));
    const invalid: number[] = [];
    const outbox = await open({
      codec: {
        id: "picky",
        version: 1,
        encode: (v: { n: number }) => {
          if (v.n === 1) throw new Error("no odd numbers");
          return new TextEncoder().encode(JSON.stringify(v));
        },
        decode: () => ({ n: 0 }),
      },
      onInvalid: ({ offset }) => invalid.push(offset),
    });
    expect(await firstValueFrom(outbox.run())).toMatchObject({ offset: 1 });
    expect(invalid).toEqual([0]);
    expect(outbox.lego.counters).toMatchObject({ invalid: 1 });
    await outbox.close();
  });

  it("republishes after a crash between publish and checkpoint; an Inbox dedupes the repeat", async () => {
    await lastValueFrom(of({ n: 1 }, { n: 2 }).pipe(spool.record()));
    const store = new MemoryDeduplicationStore();
    const effects: unknown[] = [];
    const received = transport.subscribe("out.>").pipe(inbox(store, (m: TransportMessage) => effects.push(decode(m)))).subscribe();
    const lostCheckpoint = {
      nextOffset: (name: string) => spool.checkpoints.nextOffset(name),
      commit: () => Promise.reject(new Error("power cut before the checkpoint")),
    };
    const crashed = await open({ checkpoints: lostCheckpoint });
    expect(await lastValueFrom(crashed.run()).catch((e: unknown) => (e as Error).message)).toBe("power cut before the checkpoint");
    await crashed.close();
    const restarted = await open();
    expect((await firstValueFrom(restarted.run().pipe(take(2), toArray()))).map((f) => f.messageId)).toEqual(["gw-1:0", "gw-1:1"]);
    await new Promise((resolve) => setImmediate(resolve));
    received.unsubscribe();
    expect(effects).toEqual([{ n: 1 }, { n: 2 }]);
    expect(transport.lego.counters.delivered).toBe(4);
    await restarted.close();
  });
});

describe("Outbox options and shape", () => {
  it("validates its options when opened", async () => {
    const transport = new InProcessTransport();
    const spool = { replay: () => of() };
    const checkpoints = { nextOffset: () => Promise.resolve(0), commit: () => Promise.resolve() };
    const base = { spool, transport, subject: "s", checkpoints, name: "o", producerId: "p" };
    await expect(Outbox.open({ ...base, producerId: "" })).rejects.toThrow(/producerId/);
    await expect(Outbox.open({ ...base, maxInFlight: 0 })).rejects.toThrow(RangeError);
    await expect(Outbox.open({ ...base, subject: 3 as never })).rejects.toThrow(TypeError);
    await expect(Outbox.open({ ...base, spool: {} as never })).rejects.toThrow(/spool.replay/);
    await expect(Outbox.open({ ...base, checkpoints: { nextOffset: checkpoints.nextOffset } as never })).rejects.toThrow(/checkpoints.commit/);
    const outbox = await Outbox.open({ ...base, group: "g" });
    expectTypeOf(outbox.run()).toEqualTypeOf<LegoObservable<OutboxForwarded>>();
    expect(outbox.run().lego).toEqual({ kind: "Outbox", name: "o", group: "g" });
    expect(outbox.messageIdOf(7)).toBe("p:7");
    await outbox.close();
    const error: unknown = await firstValueFrom(outbox.run()).catch((e: unknown) => e);
    expect(isLegoError(error, "QUEUE_CLOSED")).toBe(true);
  });
});

describe("Outbox on LevelDB on disk across a real restart", () => {
  it("continues where it left off when the spool's directory is reopened", async () => {
    const location = await tempLocation("manyfold-outbox-");
    const transport = new InProcessTransport();
    const seen: (string | undefined)[] = [];
    transport.subscribe("t").subscribe((m) => seen.push(m.messageId));
    try {
      for (const batch of [[1, 2, 3], [4, 5]]) {
        const spool = await LocalDurableSpool.open<number>({ location, name: "s" });
        await lastValueFrom(of(...batch).pipe(spool.record()));
        const outbox = await Outbox.open({ spool, transport, subject: "t", checkpoints: spool.checkpoints, name: "o", producerId: "dev" });
        await firstValueFrom(outbox.run().pipe(take(batch.length), toArray()));
        await outbox.close();
        await spool.close();
      }
      expect(seen).toEqual(["dev:0", "dev:1", "dev:2", "dev:3", "dev:4"]);
    } finally {
      await rm(location, { recursive: true, force: true });
    }
  });
});
