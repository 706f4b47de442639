import assert from "node:assert/strict";
import { filter, firstValueFrom, interval, merge, take, timeout, toArray, type Observable, type Subscription } from "rxjs";
import { isLegoError } from "../../atom/lego-error.js";
import type { Transport, TransportMessage, TransportStatus } from "../../ports/transport.js";
import { sleep } from "../../time/sleep.js";
import type { BackendFactory, ConformanceRunner } from "./runner.js";

/** Options of {@link transportConformance}. */
export interface TransportConformanceOptions {
  /**
   * Ms to wait after subscribing before publishing, for backends whose
   * subscriptions reach the broker asynchronously. @default 0
   */
  settle?: number;
  /** Ms a test waits for an expected message before failing. @default 2000 */
  wait?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const textOf = (message: TransportMessage): string => decoder.decode(message.data);

/**
 * The shared conformance suite of the {@link Transport} port: every backend
 * (in-process, NATS core, MQTT, a third party's) runs it with its own test
 * runner. Each test opens a fresh transport from `factory`, closes it and
 * disposes of it.
 *
 * ## Example
 * ```ts
 * import { describe, it } from "vitest";
 * transportConformance({ describe, it }, "in-process", { open: async () => new InProcessTransport() });
 * ```
 * @lego Transport
 */
export function transportConformance(
  runner: ConformanceRunner,
  name: string,
  factory: BackendFactory<Transport>,
  options: TransportConformanceOptions = {},
): void {
  const settle = options.settle ?? 0;
  const wait = options.wait ?? 2000;
  const describe = (title: string, body: () => void): void => {
    runner.describe(title, body);
  };
  const it = (title: string, body: () => Promise<void>, ms?: number): void => {
    runner.it(title, body, ms);
  };

  /** Runs `body` with a fresh transport, then closes and disposes of it. */
  const withTransport = (body: (transport: Transport) => Promise<void>) => async (): Promise<void> => {
    const transport = await factory.open();
    try {
      await body(transport);
    } finally {
      await transport.close();
      await factory.dispose?.(transport);
    }
  };

  /** Subscribes, collects `count` messages (failing after `wait` ms), and lets the subscription settle first. */
  const collect = async (messages$: Observable<TransportMessage>, count: number): Promise<() => Promise<TransportMessage[]>> => {
    const result = firstValueFrom(messages$.pipe(take(count), toArray(), timeout(wait)));
    result.catch(() => undefined);
    await sleep(settle);
    return () => result;
  };

  /** Subscribes and records everything until the returned subscription ends. */
  const record = async (messages$: Observable<TransportMessage>): Promise<{ seen: TransportMessage[]; subscription: Subscription }> => {
    const seen: TransportMessage[] = [];
    const subscription = messages$.subscribe((message) => seen.push(message));
    await sleep(settle);
    return { seen, subscription };
  };

  describe(`Transport conformance: ${name}`, () => {
    it("states its delivery guarantee", withTransport((transport) => {
      assert.ok(["at-most-once", "at-least-once"].includes(transport.guarantee), `got ${transport.guarantee}`);
      return Promise.resolve();
    }));

    it("delivers data, headers and the message id to a subscriber", withTransport(async (transport) => {
      const received = await collect(transport.subscribe("conf.basic"), 1);
      await transport.publish("conf.basic", bytes("hello"), { headers: { "x-kind": "greeting" }, messageId: "p1:0" });
      const [message] = await received();
      assert.ok(message !== undefined);
      assert.equal(message.subject, "conf.basic");
      assert.equal(textOf(message), "hello");
      assert.equal(message.headers["x-kind"], "greeting");
      assert.equal(message.messageId, "p1:0");
    }));

    it("delivers one publisher's messages in publish order", withTransport(async (transport) => {
      const received = await collect(transport.subscribe("conf.order"), 20);
      for (let i = 0; i < 20; i++) await transport.publish("conf.order", bytes(String(i)), { messageId: `p:${i}` });
      assert.deepEqual((await received()).map(textOf), Array.from({ length: 20 }, (_, i) => String(i)));
    }));

    it("matches * to exactly one token", withTransport(async (transport) => {
      const { seen, subscription } = await record(transport.subscribe("conf.star.*"));
      const done = await collect(transport.subscribe("conf.star.>"), 3);
      await transport.publish("conf.star.a", bytes("1"));
      await transport.publish("conf.star.a.b", bytes("2"));
      await transport.publish("conf.star.b", bytes("3"));
      await done();
      subscription.unsubscribe();
      assert.deepEqual(seen.map((m) => m.subject), ["conf.star.a", "conf.star.b"]);
    }));

    it("matches a final > to one or more tokens, not zero", withTransport(async (transport) => {
      const { seen, subscription } = await record(transport.subscribe("conf.tail.>"));
      const done = await collect(transport.subscribe("conf.>"), 3);
      await transport.publish("conf.tail", bytes("0"));
      await transport.publish("conf.tail.a", bytes("1"));
      await transport.publish("conf.tail.a.b.c", bytes("2"));
      await done();
      subscription.unsubscribe();
      assert.deepEqual(seen.map((m) => m.subject), ["conf.tail.a", "conf.tail.a.b.c"]);
    }));

    it("splits a queue group's messages between its members, each message once", withTransport(async (transport) => {
      const members = merge(
        transport.subscribe("conf.queue", { queue: "workers" }),
        transport.subscribe("conf.queue", { queue: "workers" }),
      );
      const { seen, subscription } = await record(members);
      const all = await collect(transport.subscribe("conf.queue"), 10);
      for (let i = 0; i < 10; i++) await transport.publish("conf.queue", bytes(String(i)));
      assert.equal((await all()).length, 10);
      await firstValueFrom(interval(5).pipe(filter(() => seen.length >= 10), take(1), timeout(wait))).catch(() => undefined);
      await sleep(Math.max(settle, 20));
      subscription.unsubscribe();
      const together = seen.map(textOf).sort((x, y) => Number(x) - Number(y));
      assert.deepEqual(together, Array.from({ length: 10 }, (_, i) => String(i)));
    }));

    it("stops delivering after unsubscribe", withTransport(async (transport) => {
      const { seen, subscription } = await record(transport.subscribe("conf.unsub"));
      const done = await collect(transport.subscribe("conf.unsub"), 2);
      await transport.publish("conf.unsub", bytes("1"));
      await sleep(settle);
      subscription.unsubscribe();
      await sleep(settle);
      await transport.publish("conf.unsub", bytes("2"));
      await done();
      assert.deepEqual(seen.map(textOf), ["1"]);
    }));

    it("answers a request with the responder's reply", withTransport(async (transport) => {
      const responder = transport.subscribe("conf.rpc").subscribe((message) => {
        void message.respond?.(bytes(`re:${textOf(message)}`), { headers: { "x-answer": "yes" } });
      });
      await sleep(settle);
      const reply = await transport.request("conf.rpc", bytes("ping"), { timeout: wait });
      responder.unsubscribe();
      assert.equal(textOf(reply), "re:ping");
      assert.equal(reply.headers["x-answer"], "yes");
    }));

    it("rejects a request nobody listens to with NO_RESPONDERS (or TIMEOUT where the backend cannot tell)", withTransport(async (transport) => {
      const error: unknown = await transport.request("conf.nobody", bytes("?"), { timeout: 200 }).catch((e: unknown) => e);
      assert.ok(isLegoError(error, "NO_RESPONDERS") || isLegoError(error, "TIMEOUT"), `got ${String(error)}`);
    }));

    it("rejects a request nobody answers with TIMEOUT", withTransport(async (transport) => {
      const silent = transport.subscribe("conf.silent").subscribe();
      await sleep(settle);
      const error: unknown = await transport.request("conf.silent", bytes("?"), { timeout: 100 }).catch((e: unknown) => e);
      silent.unsubscribe();
      assert.ok(isLegoError(error, "TIMEOUT"), `got ${String(error)}`);
    }));

    it("reports its status as a stream: connected once open, closed last", withTransport(async (transport) => {
      const states: TransportStatus["state"][] = [];
      const subscription = transport.status$.subscribe((status) => states.push(status.state));
      await firstValueFrom(transport.status$.pipe(filter((status) => status.state === "connected"), take(1), timeout(wait)));
      await transport.close();
      subscription.unsubscribe();
      assert.ok(states.includes("connected"), `states: ${states.join(",")}`);
      assert.equal(states[states.length - 1], "closed");
    }));

    it("refuses to publish after close with TRANSPORT_CLOSED", withTransport(async (transport) => {
      await transport.close();
      const error: unknown = await transport.publish("conf.closed", bytes("x")).catch((e: unknown) => e);
      assert.ok(isLegoError(error, "TRANSPORT_CLOSED"), `got ${String(error)}`);
    }));
  });
}
