import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLegoError } from "../../../src/atom/lego-error.js";
import { BackoffPolicy } from "../../../src/policy/backoff-policy.js";
import type { DurableQueue } from "../../../src/ports/durable-queue.js";
import { connectNats, NatsDurableQueue, type NatsClient } from "manyfold-rx/nats";
import {
  durableQueueConformance,
  startNatsServer,
  type ConformanceRunner,
  type DurableQueueTestOptions,
  type NatsServer,
} from "manyfold-rx/testing";

let server: NatsServer;
let client: NatsClient;
let n = 0;
const TICK = 250;

beforeAll(async () => {
  server = await startNatsServer();
  client = await connectNats(server.url);
});
afterAll(async () => {
  await client.close();
  await server.stop();
});

const names = new WeakMap<DurableQueue<unknown>, string>();
const open = async (options: DurableQueueTestOptions, name = `Q${++n}`): Promise<DurableQueue<unknown>> => {
  const queue = await NatsDurableQueue.open<unknown>({
    client,
    name,
    maxAttempts: options.maxAttempts,
    visibilityTimeout: options.visibilityTimeout,
    backoff: BackoffPolicy.fixed(options.retryDelay),
    depthInterval: 100,
  });
  names.set(queue, name);
  return queue;
};

/**
 * JetStream has no priority delivery: the two conformance tests that enqueue
 * with a priority other than 0 are replaced by a check that the queue
 * refuses such an enqueue with ENGINE_FEATURE_UNAVAILABLE (rather than
 * ignoring it, as a silent FIFO would).
 */
const PRIORITY_TESTS = ["ready jobs come out by priority", "jobs survive a restart"];
const runner: ConformanceRunner = {
  describe,
  it(name, body, timeout) {
    if (PRIORITY_TESTS.some((prefix) => name.startsWith(prefix))) {
      it(`${name} — refused: priority is ENGINE_FEATURE_UNAVAILABLE on JetStream`, async () => {
        const queue = await open({ maxAttempts: 3, visibilityTimeout: 4 * TICK, retryDelay: 2 * TICK });
        const error: unknown = await queue.enqueue("p", { priority: 5 }).catch((e: unknown) => e);
        expect(isLegoError(error, "ENGINE_FEATURE_UNAVAILABLE")).toBe(true);
        expect((await queue.depth()).ready).toBe(0);
        await queue.close();
      });
      return;
    }
    it(name, body, timeout);
  },
};

durableQueueConformance(runner, "NatsDurableQueue (JetStream work-queue stream)", {
  open: (options) => open(options),
  advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  tick: TICK,
  arriveWithin: 3000,
  absentFor: 100,
  async reopen(queue, options) {
    const name = names.get(queue) ?? "";
    await queue.close();
    return open(options, name);
  },
});

describe("NatsDurableQueue on JetStream", () => {
  it("captures a job whose last attempt lapsed in a crashed consumer (MaxDeliver advisory) into the dead letters", async () => {
    const queue = await NatsDurableQueue.open<string>({ client, name: "CRASHED", maxAttempts: 1, visibilityTimeout: 300 });
    await queue.enqueue("lost worker", { id: "w1" });
    // a consumer in another process takes the job and dies without settling it
    const other = await connectNats(server.url);
    const consumer = await other.js.consumers.get("CRASHED", "workers");
    const taken = await consumer.next({ expires: 2000 });
    expect(taken?.headers?.get("Manyfold-Job-Id")).toBe("w1");
    await other.nc.close(); // never acked
    // a live consumer: the server notices the lapse when it next has a pull request to serve
    const live = queue.consume().subscribe();
    let dead: Awaited<ReturnType<typeof queue.deadLetters>> = [];
    for (let i = 0; i < 50 && dead.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      dead = await queue.deadLetters();
    }
    expect(dead.map((d) => [d.id, d.value, d.attempts])).toEqual([["w1", "lost worker", 1]]);
    expect(dead[0]?.reason).toMatch(/MaxDeliver/);
    live.unsubscribe();
    const jsm = await client.jetstreamManager();
    expect((await jsm.streams.info("CRASHED")).state.messages).toBe(0); // removed from the work stream
    expect(await queue.depth()).toEqual({ ready: 0, delayed: 0, inFlight: 0, deadLettered: 1 });
    await queue.close();
  });

  it("refuses priority with ENGINE_FEATURE_UNAVAILABLE and validates its options", async () => {
    await expect(NatsDurableQueue.open({ client, name: "a.b" })).rejects.toThrow(RangeError);
    await expect(NatsDurableQueue.open({ client, name: "X", maxAttempts: 0 })).rejects.toThrow(RangeError);
    const queue = await NatsDurableQueue.open<number>({ client, name: "PRIO" });
    await expect(queue.enqueue(1, { priority: 1 })).rejects.toSatisfy((e) => isLegoError(e, "ENGINE_FEATURE_UNAVAILABLE"));
    expect(() => queue.consume({ concurrency: 0 })).toThrow(RangeError);
    await queue.close();
  });

  it("a job that cannot be decoded is dead-lettered, not delivered", async () => {
    const queue = await NatsDurableQueue.open<number>({ client, name: "BAD", visibilityTimeout: 1000 });
    await client.js.publish(`${queue.subject}.ready`, new TextEncoder().encode("{nope"), { msgID: "bad-1" });
    await queue.enqueue(2, { id: "good" });
    const seen: number[] = [];
    const sub = queue.consume().subscribe((d) => {
      seen.push(d.value);
      void d.ack();
    });
    for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    sub.unsubscribe();
    expect(seen).toEqual([2]);
    expect(queue.lego.counters.invalid).toBe(1);
    expect((await queue.deadLetters()).map((d) => d.reason)).toHaveLength(0); // undecodable dead letters are not listed as values
    expect((await queue.depth()).deadLettered).toBe(1);
    await queue.close();
  });
});
