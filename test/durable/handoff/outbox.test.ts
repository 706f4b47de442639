import { rm } from "node:fs/promises";
import fc from "fast-check";
import { MemoryLevel } from "memory-level";
import { Subject, firstValueFrom, lastValueFrom, filter, of, take, toArray, type Subscription } from "rxjs";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  BackoffPolicy,
  InProcessTransport,
  Keyspace,
  LocalDurableSpool,
  ManualClock,
  MemoryDeduplicationStore,
  Outbox,
  LegoError,
  RetryPolicy,
  confirmByReceipt,
  inbox,
  sendReceipts,
  isLegoError,
  type LegoObservable,
  type OutboxForwarded,
  type OutboxStatus,
  type PublishOptions,
  type Transport,
  type TransportMessage,
} from "../../../src/index.js";
import { OutboxFrontier } from "../../../src/durable/handoff/outbox-frontier.js";
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

  it("forwards a message appended in the same atomic write as a state change (spool.log.appendAll with)", async () => {
    const state = new Keyspace(handle.db, { name: "orders" });
    const outbox = await open();
    const done = firstValueFrom(outbox.run());
    await spool.log.appendAll([{ n: 5 }], { with: (batch) => batch.in(state).put("order-5", new TextEncoder().encode("placed")) });
    expect(await done).toMatchObject({ offset: 0, messageId: "gw-1:0" });
    expect(new TextDecoder().decode(await state.get("order-5"))).toBe("placed");
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

/** Lets pending promise callbacks and LevelDB reads run (no timers), at most `rounds` macrotask turns. */
async function settle(until: () => boolean = () => false, rounds = 200): Promise<void> {
  for (let i = 0; i < rounds && !until(); i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A transport whose publishes wait until the test confirms them (or fails them), in any order. */
function held(inner: InProcessTransport): Transport & { waiting: Map<number, { resolve: () => void; reject: (e: Error) => void }>; confirmed: Set<number>; peak: number } {
  const waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  const confirmed = new Set<number>();
  const wrapper = {
    ...flaky(inner, 0),
    waiting,
    confirmed,
    peak: 0,
    publish(_subject: string, _data: Uint8Array, options?: PublishOptions): Promise<void> {
      const offset = Number((options?.messageId ?? "").split(":")[1]);
      return new Promise<void>((resolve, reject) => {
        waiting.set(offset, {
          resolve: () => {
            waiting.delete(offset);
            confirmed.add(offset);
            resolve();
          },
          reject: (error) => {
            waiting.delete(offset);
            reject(error);
          },
        });
        wrapper.peak = Math.max(wrapper.peak, waiting.size);
      });
    },
  };
  return wrapper;
}

describe("OutboxFrontier", () => {
  it("never passes an issued offset that is not confirmed, whatever the order of confirmations (property)", () => {
    fc.assert(
      fc.property(
        // offsets with gaps (records a source dropped), then a confirmation order
        fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 60 }).chain((offsets) => {
          const sorted = [...offsets].sort((a, b) => a - b);
          return fc.tuple(fc.constant(sorted), fc.shuffledSubarray(sorted, { minLength: 0, maxLength: sorted.length }));
        }),
        fc.integer({ min: 0, max: 5 }),
        ([issued, order], releaseEvery) => {
          const frontier = new OutboxFrontier<number>(-1);
          for (const offset of issued) frontier.issue(offset);
          const done = new Set<number>();
          const released: number[] = [];
          order.forEach((offset, i) => {
            frontier.confirm(offset, offset);
            done.add(offset);
            // the frontier: the last of the longest confirmed prefix of what was issued
            let expected = -1;
            for (const o of issued) {
              if (!done.has(o)) break;
              expected = o;
            }
            expect(frontier.frontier).toBe(expected);
            for (const o of issued) if (o <= frontier.frontier) expect(done.has(o)).toBe(true);
            if (releaseEvery > 0 && i % releaseEvery === 0) released.push(...frontier.release(frontier.frontier));
          });
          released.push(...frontier.release(frontier.frontier));
          // released results: exactly the covered prefix, in offset order, once each
          expect(released).toEqual(issued.filter((o) => o <= frontier.frontier));
        },
      ),
    );
  });

  it("refuses an offset issued out of order, ignores a repeated or unknown confirmation, and compacts what it released", () => {
    const frontier = new OutboxFrontier<string>(9);
    expect(() => {
      frontier.issue(9);
    }).toThrow(RangeError);
    for (let offset = 10; offset < 5000; offset++) frontier.issue(offset);
    expect(frontier.confirm(11, "b")).toBe(false);
    expect(frontier.confirm(10, "a")).toBe(true);
    expect(frontier.confirm(10, "again")).toBe(false);
    expect(frontier.confirm(4, "unknown")).toBe(false);
    expect(frontier.frontier).toBe(11);
    expect(frontier.release(100)).toEqual(["a", "b"]);
    for (let offset = 12; offset < 5000; offset++) frontier.confirm(offset, undefined);
    expect(frontier.frontier).toBe(4999);
    expect(frontier.release(3000)).toEqual([]);
    expect(frontier.size).toBe(1999);
    frontier.issue(5000);
    expect(frontier.confirm(5000, "last")).toBe(true);
    expect(frontier.release(6000)).toEqual(["last"]);
    expect(frontier.size).toBe(0);
  });
});

describe("Outbox window, read-ahead and grouped commits", () => {
  let spool: LocalDurableSpool<{ n: number }>;
  let transport: InProcessTransport;

  beforeEach(async () => {
    spool = await LocalDurableSpool.open<{ n: number }>({ db: new MemoryLevel<string, Uint8Array>({ keyEncoding: "utf8", valueEncoding: "view" }), name: "out" });
    transport = new InProcessTransport();
  });
  afterEach(async () => {
    await spool.close();
  });

  const record = (count: number, start = 0): Promise<unknown> =>
    lastValueFrom(of(...Array.from({ length: count }, (_, i) => ({ n: start + i }))).pipe(spool.record()));

  it("keeps maxInFlight publishes outstanding across page boundaries", async () => {
    await record(40);
    const broker = held(transport);
    const outbox = await Outbox.open<{ n: number }>({ spool, transport: broker, subject: "o", checkpoints: spool.checkpoints, name: "w", producerId: "p", maxInFlight: 5, batchSize: 3 });
    const done = firstValueFrom(outbox.run().pipe(take(40), toArray()));
    const inFlight: number[] = [];
    for (let next = 0; next < 40; next++) {
      await settle(() => broker.waiting.size === Math.min(5, 40 - next));
      inFlight.push(broker.waiting.size);
      broker.waiting.get(next)?.resolve();
    }
    // With pages of 3 the old run drained its window at every page end (never more than 3 out).
    expect(inFlight).toEqual(Array.from({ length: 40 }, (_, next) => Math.min(5, 40 - next)));
    expect(broker.peak).toBe(5);
    expect((await done).map((f) => f.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(await spool.checkpoints.get("w")).toBe(39);
    await outbox.close();
  });

  it("moves the cursor only over confirmed offsets when confirmations arrive out of order (property); a restart resends, never skips", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 6 }),
        fc.infiniteStream(fc.nat()),
        async (count, maxInFlight, batchSize, picks) => {
          const db = new MemoryLevel<string, Uint8Array>({ keyEncoding: "utf8", valueEncoding: "view" });
          const log = await LocalDurableSpool.open<{ n: number }>({ db, name: "prop" });
          await lastValueFrom(of(...Array.from({ length: count }, (_, n) => ({ n }))).pipe(log.record()));
          const broker = held(transport);
          const commits: number[] = [];
          const checkpoints = {
            nextOffset: (name: string) => log.checkpoints.nextOffset(name),
            commit: (name: string, offset: number) => {
              // every offset the commit covers was confirmed by the transport
              for (let o = 0; o <= offset; o++) expect(broker.confirmed.has(o)).toBe(true);
              commits.push(offset);
              return log.checkpoints.commit(name, offset);
            },
          };
          const outbox = await Outbox.open<{ n: number }>({ spool: log, transport: broker, subject: "o", checkpoints, name: "c", producerId: "p", maxInFlight, batchSize });
          const emitted: number[] = [];
          const running = outbox.run().subscribe((f) => emitted.push(f.offset));
          const pick = picks[Symbol.iterator]();
          // Confirm a random one of the publishes in flight, until all are; stop halfway once to "crash".
          const crashAt = Math.floor(count / 2);
          while (broker.confirmed.size < crashAt) {
            await settle(() => broker.waiting.size > 0);
            const keys = [...broker.waiting.keys()];
            broker.waiting.get(keys[(pick.next().value as number) % keys.length] ?? -1)?.resolve();
          }
          await settle();
          running.unsubscribe(); // a crash: publishes in flight are abandoned
          await outbox.close();
          const resumeAt = await log.checkpoints.nextOffset("c");
          for (let o = 0; o < resumeAt; o++) expect(broker.confirmed.has(o)).toBe(true);
          expect(emitted).toEqual(Array.from({ length: emitted.length }, (_, i) => i));
          expect(emitted.length).toBeLessThanOrEqual(resumeAt);
          expect([...commits].sort((a, b) => a - b)).toEqual(commits);
          // The restart forwards everything from its checkpoint: nothing before it is lost.
          for (const pending of broker.waiting.values()) pending.reject(new Error("abandoned"));
          const again = held(transport);
          const second = await Outbox.open<{ n: number }>({ spool: log, transport: again, subject: "o", checkpoints: log.checkpoints, name: "c", producerId: "p", maxInFlight, batchSize });
          const rest = count - resumeAt;
          const restDone = rest === 0 ? Promise.resolve([]) : firstValueFrom(second.run().pipe(take(rest), toArray()));
          while (again.confirmed.size < rest) {
            await settle(() => again.waiting.size > 0);
            const keys = [...again.waiting.keys()];
            again.waiting.get(keys[(pick.next().value as number) % keys.length] ?? -1)?.resolve();
          }
          expect((await restDone).map((f) => f.offset)).toEqual(Array.from({ length: rest }, (_, i) => resumeAt + i));
          await second.close();
          await log.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  it("does not wait for a checkpoint commit to publish on (one commit in flight, the next covers what was confirmed meanwhile)", async () => {
    await record(30);
    const commits: { offset: number; done: () => void }[] = [];
    const checkpoints = {
      nextOffset: () => Promise.resolve(0),
      commit: (_name: string, offset: number) => new Promise<void>((resolve) => commits.push({ offset, done: resolve })),
    };
    const outbox = await Outbox.open<{ n: number }>({ spool, transport, subject: "o", checkpoints, name: "g", producerId: "p", maxInFlight: 4, batchSize: 4 });
    const emitted: number[] = [];
    const running = outbox.run().subscribe((f) => emitted.push(f.offset));
    await settle(() => outbox.lego.counters.acked === 30);
    // All 30 published while the first commit is still being written; nothing emitted before a commit covers it.
    expect(outbox.lego.counters.acked).toBe(30);
    expect(commits).toHaveLength(1);
    expect(emitted).toEqual([]);
    commits[0]?.done();
    await settle(() => commits.length === 2);
    expect(commits.map((c) => c.offset)).toEqual([commits[0]?.offset, 29]);
    expect(emitted).toEqual(Array.from({ length: (commits[0]?.offset ?? 0) + 1 }, (_, i) => i));
    commits[1]?.done();
    await settle(() => emitted.length === 30);
    expect(emitted).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(outbox.lego.counters.committed).toBe(2);
    running.unsubscribe();
    await outbox.close();
  });

  it("groups the commits of a backlog: about one per batchSize records, not one per record", async () => {
    await record(1000);
    const outbox = await Outbox.open<{ n: number }>({ spool, transport, subject: "o", checkpoints: spool.checkpoints, name: "b", producerId: "p", maxInFlight: 64, batchSize: 100 });
    await firstValueFrom(outbox.run().pipe(filter((f) => f.offset === 999)));
    expect(outbox.lego.counters.committed).toBeLessThanOrEqual(12);
    expect(await spool.checkpoints.get("b")).toBe(999);
    await outbox.close();
  });

  it("follows new records with one follow replay once caught up, and reads a burst in bounded pieces", async () => {
    const replays: { from?: number; follow?: boolean; chunkSize?: number }[] = [];
    const source = {
      replay: (options: { from?: number; follow?: boolean; chunkSize?: number } = {}) => {
        replays.push(options);
        return spool.replay(options);
      },
    };
    const broker = held(transport);
    const outbox = await Outbox.open<{ n: number }>({ spool: source, transport: broker, subject: "o", checkpoints: spool.checkpoints, name: "f", producerId: "p", maxInFlight: 2, batchSize: 8 });
    const forwarded: number[] = [];
    const running = outbox.run().subscribe((f) => forwarded.push(f.offset));
    const confirmUntil = async (count: number): Promise<void> => {
      while (forwarded.length < count) {
        await settle(() => broker.waiting.size > 0 || forwarded.length >= count);
        for (const pending of [...broker.waiting.values()]) pending.resolve();
        await settle(() => broker.waiting.size > 0 || forwarded.length >= count, 5);
      }
    };
    await firstValueFrom(outbox.status$.pipe(filter((s) => s.state === "idle")));
    for (let i = 0; i < 5; i++) {
      await record(1, i);
      await confirmUntil(i + 1);
    }
    expect(forwarded).toEqual([0, 1, 2, 3, 4]);
    // an empty plain read, then one follow replay delivered all five
    expect(replays.map((r) => r.follow === true)).toEqual([false, true]);
    // a burst while the window (2) is busy: the buffer fills to 8 and the follow replay pauses
    await record(100, 5);
    await settle(() => outbox.lego.counters.forwarded === 7);
    expect(broker.waiting.size).toBe(2);
    await confirmUntil(105);
    expect(forwarded).toEqual(Array.from({ length: 105 }, (_, i) => i));
    // the burst paused the follow replay at 8 buffered; plain reads of at most 8 took the rest, then it followed again
    expect(replays.length).toBeGreaterThan(3);
    expect(replays.every((r) => (r.chunkSize ?? 0) >= 1 && (r.chunkSize ?? 0) <= 8)).toBe(true);
    expect(replays[replays.length - 1]?.follow).toBe(true);
    expect((await firstValueFrom(outbox.status$)).state).toBe("idle");
    running.unsubscribe();
    await outbox.close();
  });

  it("errors with the spool's SPOOL_CLOSED when the spool closes under a run", async () => {
    const outbox = await Outbox.open<{ n: number }>({ spool, transport, subject: "o", checkpoints: spool.checkpoints, name: "x", producerId: "p" });
    const result = lastValueFrom(outbox.run()).catch((e: unknown) => e);
    await firstValueFrom(outbox.status$.pipe(filter((s) => s.state === "idle")));
    await spool.close();
    expect(isLegoError(await result, "SPOOL_CLOSED")).toBe(true);
    await outbox.close();
  });
});

describe("Outbox over confirmByReceipt (the forwarder stall)", () => {
  const decodeReading = (m: TransportMessage): unknown => JSON.parse(new TextDecoder().decode(m.data));

  it("goes on when its receipt subscription fails (the broker went away while it subscribed): it listens again and republishes", async () => {
    const clock = new ManualClock(0);
    const wire = new InProcessTransport();
    // The first receipt subscription fails after a while, as MQTT's does when the connection closes before SUBACK.
    const failing = new Subject<TransportMessage>();
    let receiptSubscriptions = 0;
    const device: Transport = {
      ...flaky(wire, 0),
      subscribe: (subject, options) => (subject.startsWith("receipts.") && ++receiptSubscriptions === 1 ? failing : wire.subscribe(subject, options)),
    };
    const store = new MemoryDeduplicationStore();
    const effects: unknown[] = [];
    const receiver = wire
      .subscribe("readings.>")
      .pipe(
        inbox(store, (m: TransportMessage) => effects.push(decodeReading(m))),
        sendReceipts(wire, (id) => `receipts.${id.split(":")[0] ?? ""}`),
      )
      .subscribe();
    const spool = await LocalDurableSpool.open<{ n: number }>({ db: new MemoryLevel<string, Uint8Array>({ keyEncoding: "utf8", valueEncoding: "view" }), name: "dev" });
    await lastValueFrom(of({ n: 1 }, { n: 2 }).pipe(spool.record()));
    const receipts = confirmByReceipt(device, { receipts: "receipts.dev-a", timeout: 1500, scheduler: clock });
    const outbox = await Outbox.open<{ n: number }>({
      spool,
      transport: receipts,
      subject: "readings.dev-a",
      checkpoints: spool.checkpoints,
      name: "uplink",
      producerId: "dev-a",
      scheduler: clock,
      backoff: BackoffPolicy.fixed(20),
    });
    const forwarded = firstValueFrom(outbox.run().pipe(take(2), toArray()));
    await settle(() => effects.length === 1);
    // The receiver handled reading 1 and sent its receipt, which nobody heard; now the subscription fails.
    failing.error(new LegoError("ENGINE_UNAVAILABLE", "cannot subscribe to receipts/dev-a: Connection closed"));
    await settle();
    clock.advance(1500); // no receipt: TIMEOUT
    await firstValueFrom(outbox.status$.pipe(filter((s) => s.state === "retrying")));
    clock.advance(20); // the backoff: publish again, listening again
    expect((await forwarded).map((f) => [f.offset, f.attempts])).toEqual([
      [0, 2],
      [1, 1],
    ]);
    expect(effects).toEqual([{ n: 1 }, { n: 2 }]);
    expect(receipts.lego.counters).toMatchObject({ relistens: 1, timedOut: 1, confirmed: 2 });
    expect(receiptSubscriptions).toBe(2);
    receiver.unsubscribe();
    await outbox.close();
    await spool.close();
  });

  it("frees the window slot of a publish whose receipt was lost: it times out on the scheduler and is republished", async () => {
    const clock = new ManualClock(0);
    const wire = new InProcessTransport();
    let dropped = 0;
    const lossy: Transport = {
      ...flaky(wire, 0),
      // the receiver's first receipt never arrives (lost while the device reconnected)
      publish: (subject, data, options) => (subject.startsWith("receipts.") && dropped++ === 0 ? Promise.resolve() : wire.publish(subject, data, options)),
    };
    const store = new MemoryDeduplicationStore();
    const effects: unknown[] = [];
    const receiver = wire
      .subscribe("readings.>")
      .pipe(
        inbox(store, (m: TransportMessage) => effects.push(decodeReading(m))),
        sendReceipts(lossy, (id) => `receipts.${id.split(":")[0] ?? ""}`),
      )
      .subscribe();
    const spool = await LocalDurableSpool.open<{ n: number }>({ db: new MemoryLevel<string, Uint8Array>({ keyEncoding: "utf8", valueEncoding: "view" }), name: "dev" });
    await lastValueFrom(of({ n: 1 }, { n: 2 }, { n: 3 }).pipe(spool.record()));
    const receipts = confirmByReceipt(wire, { receipts: "receipts.dev-b", timeout: 1000, scheduler: clock });
    const outbox = await Outbox.open<{ n: number }>({
      spool,
      transport: receipts,
      subject: "readings.dev-b",
      checkpoints: spool.checkpoints,
      name: "uplink",
      producerId: "dev-b",
      scheduler: clock,
      backoff: BackoffPolicy.fixed(10),
    });
    const forwarded = firstValueFrom(outbox.run().pipe(take(3), toArray()));
    await settle(() => effects.length === 1);
    expect((await firstValueFrom(outbox.status$)).inFlight).toBe(1);
    clock.advance(999);
    await settle();
    expect(outbox.lego.counters.retries).toBe(0);
    clock.advance(1);
    await firstValueFrom(outbox.status$.pipe(filter((s) => s.state === "retrying")));
    clock.advance(10);
    expect((await forwarded).map((f) => f.attempts)).toEqual([2, 1, 1]);
    expect(effects).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]); // the repeat was removed by the Inbox
    expect(await spool.checkpoints.get("uplink")).toBe(2);
    receiver.unsubscribe();
    await outbox.close();
    await spool.close();
  });
});
