import { delay, firstValueFrom, of, take, throwError, toArray } from "rxjs";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import type { LegoObservable } from "../../../src/atom/lego-descriptor.js";
import { connectNats, natsConsumerGroup, type ConsumerGroupMessage, type NatsClient } from "manyfold-rx/nats";
import { startNatsServer, type NatsServer } from "manyfold-rx/testing";

let server: NatsServer;
let client: NatsClient;
let n = 0;

beforeAll(async () => {
  server = await startNatsServer();
  client = await connectNats(server.url);
});
afterAll(async () => {
  await client.close();
  await server.stop();
});

async function streamWith(count: number): Promise<string> {
  const name = `CG${++n}`;
  const jsm = await client.jetstreamManager();
  await jsm.streams.add({ name, subjects: [`cg${n}.>`] });
  for (let i = 0; i < count; i++) await client.js.publish(`cg${n}.x`, JSON.stringify({ i }));
  return name;
}

async function ackPending(stream: string, consumer: string): Promise<{ pending: number; ackPending: number }> {
  const info = await (await client.jetstreamManager()).consumers.info(stream, consumer);
  return { pending: info.num_pending, ackPending: info.num_ack_pending };
}

describe("natsConsumerGroup", () => {
  it("types: the work's results flow out, with a lego descriptor", () => {
    const group = natsConsumerGroup<{ i: number }, string>({ client, stream: "S", consumer: "c" }, (m) => of(String(m.value.i)));
    expectTypeOf(group).toEqualTypeOf<LegoObservable<string>>();
    expect(group.lego).toEqual({ kind: "ConsumerGroup", name: "S/c" });
  });

  it("two members split the messages; each is processed once and acknowledged", async () => {
    const stream = await streamWith(40);
    const seen: number[] = [];
    const work = (member: string) => (m: ConsumerGroupMessage<{ i: number }>) => {
      seen.push(m.value.i);
      return of(member).pipe(delay(5));
    };
    const a = natsConsumerGroup({ client, stream, consumer: "workers", concurrency: 4 }, work("a"));
    const b = natsConsumerGroup({ client, stream, consumer: "workers", concurrency: 4 }, work("b"));
    const results: string[] = [];
    const sa = a.subscribe((r) => results.push(r));
    const sb = b.subscribe((r) => results.push(r));
    for (let i = 0; i < 200 && results.length < 40; i++) await new Promise((r) => setTimeout(r, 20));
    sa.unsubscribe();
    sb.unsubscribe();
    expect(seen.sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(results.filter((r) => r === "a").length).toBeGreaterThan(0);
    expect(results.filter((r) => r === "b").length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(await ackPending(stream, "workers")).toEqual({ pending: 0, ackPending: 0 });
    expect((a.lego.counters.acked ?? 0) + (b.lego.counters.acked ?? 0)).toBe(40);
  });

  it("pulls only on demand: a member holds at most `concurrency` messages", async () => {
    const stream = await streamWith(10);
    const started: number[] = [];
    const group = natsConsumerGroup<{ i: number }, number>({ client, stream, consumer: "slow", concurrency: 3 }, (m) => {
      started.push(m.value.i);
      return new Promise<number>(() => undefined); // never finishes
    });
    const sub = group.subscribe();
    for (let i = 0; i < 100 && started.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200));
    expect(started).toEqual([0, 1, 2]);
    expect(await ackPending(stream, "slow")).toEqual({ pending: 7, ackPending: 3 });
    sub.unsubscribe(); // hands the three back
    await new Promise((r) => setTimeout(r, 100));
    expect(group.lego.counters.returned).toBe(3);
  });

  it("a failed work is reported and redelivered, not acknowledged", async () => {
    const stream = await streamWith(1);
    const errors: string[] = [];
    const group = natsConsumerGroup<{ i: number }, number>(
      { client, stream, consumer: "flaky", retryDelay: 50, onError: (r) => errors.push(String(r.error)) },
      (m) => (m.attempt === 1 ? throwError(() => new Error("first try fails")) : of(m.attempt)),
    );
    expect(await firstValueFrom(group.pipe(take(1), toArray()))).toEqual([2]);
    expect(errors).toEqual(["Error: first try fails"]);
    expect(group.lego.counters.failed).toBe(1);
  });

  it("an undecodable message is terminated and reported; the group goes on", async () => {
    const stream = await streamWith(0);
    await client.js.publish(`cg${n}.x`, "{broken");
    await client.js.publish(`cg${n}.x`, JSON.stringify({ i: 1 }));
    const invalid: number[] = [];
    const group = natsConsumerGroup<{ i: number }, number>({ client, stream, consumer: "c", onInvalid: (r) => invalid.push(r.seq) }, (m) =>
      of(m.value.i),
    );
    expect(await firstValueFrom(group)).toBe(1);
    expect(invalid).toEqual([1]);
  });

  it("validates its options", () => {
    expect(() => natsConsumerGroup({ client, stream: "a.b", consumer: "c" }, () => of(1))).toThrow(RangeError);
    expect(() => natsConsumerGroup({ client, stream: "S", consumer: "c", concurrency: 0 }, () => of(1))).toThrow(RangeError);
    expect(() => natsConsumerGroup({ client, stream: "S", consumer: "c", maxDeliver: 0 }, () => of(1))).toThrow(RangeError);
  });
});
