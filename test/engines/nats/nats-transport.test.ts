import { firstValueFrom, take, toArray } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLegoError } from "../../../src/atom/lego-error.js";
import {
  connectNats,
  CORRELATION_ID_HEADER,
  jetStreamTransport,
  natsTransport,
  type NatsClient,
} from "manyfold-rx/nats";
import { startNatsServer, transportConformance, type NatsServer } from "manyfold-rx/testing";

let server: NatsServer;
let client: NatsClient;

beforeAll(async () => {
  server = await startNatsServer();
  client = await connectNats(server.url);
  const jsm = await client.jetstreamManager();
  await jsm.streams.add({ name: "JT", subjects: ["jt.>"], duplicate_window: 60_000_000_000 });
  // the conformance run of the JetStream transport publishes to these (its requests go to other subjects,
  // which a stream must not capture: a stream answers any request on its subjects with a PubAck)
  const published = ["basic", "order", "star.>", "tail", "tail.>", "queue", "unsub", "closed"];
  await jsm.streams.add({ name: "CONF", subjects: published.map((s) => `conf.${s}`) });
});
afterAll(async () => {
  await client.close();
  await server.stop();
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

transportConformance({ describe, it }, "NATS core", { open: () => Promise.resolve(natsTransport({ client })) }, { settle: 20 });
transportConformance(
  { describe, it },
  "JetStream (core subscribe, acknowledged publish)",
  { open: () => Promise.resolve(jetStreamTransport({ client })) },
  { settle: 20 },
);

describe("NatsTransport", () => {
  it("states at-most-once and validates its arguments", async () => {
    const transport = natsTransport({ client });
    expect(transport.guarantee).toBe("at-most-once");
    await expect(transport.publish("a b", bytes("x"))).rejects.toThrow(RangeError);
    await expect(transport.publish("a.*", bytes("x"))).rejects.toThrow(RangeError);
    await expect(transport.publish("a", "x" as unknown as Uint8Array)).rejects.toThrow(TypeError);
    expect(() => transport.subscribe("a.>.b")).toThrow(RangeError);
    await expect(transport.request("a", bytes("x"), { timeout: 0 })).rejects.toThrow(RangeError);
    expect(() => natsTransport({ client: undefined as unknown as NatsClient })).toThrow(TypeError);
    await transport.close();
  });

  it("request carries a correlation id that the reply echoes", async () => {
    const transport = natsTransport({ client });
    const seen: string[] = [];
    const responder = transport.subscribe("rpc.echo").subscribe((m) => {
      seen.push(m.headers[CORRELATION_ID_HEADER] ?? "");
      void m.respond?.(m.data);
    });
    await new Promise((r) => setTimeout(r, 20));
    const reply = await transport.request("rpc.echo", bytes("hi"), { timeout: 1000 });
    expect(text(reply.data)).toBe("hi");
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/\S{10,}/);
    expect(reply.headers[CORRELATION_ID_HEADER]).toBe(seen[0]);
    expect(transport.lego.counters.requests).toBe(1);
    responder.unsubscribe();
    await transport.close();
  });

  it("close completes open subscriptions and counts what passed", async () => {
    const transport = natsTransport({ client });
    const all = firstValueFrom(transport.subscribe("c.x").pipe(toArray()));
    await new Promise((r) => setTimeout(r, 20));
    await transport.publish("c.x", bytes("1"));
    await new Promise((r) => setTimeout(r, 50));
    await transport.close();
    expect((await all).map((m) => text(m.data))).toEqual(["1"]);
    expect(transport.lego.counters.published).toBe(1);
    expect(transport.lego.counters.received).toBe(1);
  });
});

describe("JetStreamTransport", () => {
  it("resolves on PubAck; a repeated message id is stored once", async () => {
    const transport = jetStreamTransport({ client, stream: "JT" });
    expect(transport.guarantee).toBe("at-least-once");
    await transport.publish("jt.a", bytes("1"), { messageId: "m1" });
    await transport.publish("jt.a", bytes("1"), { messageId: "m1" });
    await transport.publish("jt.a", bytes("2"), { messageId: "m2" });
    const jsm = await client.jetstreamManager();
    expect((await jsm.streams.info("JT")).state.messages).toBe(2);
    expect(transport.lego.counters.duplicates).toBe(1);
    expect(transport.lego.counters.published).toBe(2);
    const stored = await jsm.streams.getMessage("JT", { seq: 1 });
    expect(stored?.header.get("Nats-Msg-Id")).toBe("m1");
    await transport.close();
  });

  it("rejects with NO_RESPONDERS when no stream takes the subject", async () => {
    const transport = jetStreamTransport({ client, ackTimeout: 500 });
    const error: unknown = await transport.publish("nostream.x", bytes("1")).catch((e: unknown) => e);
    expect(isLegoError(error, "NO_RESPONDERS")).toBe(true);
    await transport.close();
  });

  it("subscribers see the stored messages on the subject", async () => {
    const transport = jetStreamTransport({ client });
    const got = firstValueFrom(transport.subscribe("jt.sub").pipe(take(1)));
    await new Promise((r) => setTimeout(r, 20));
    await transport.publish("jt.sub", bytes("s"), { messageId: "s1", headers: { k: "v" } });
    const m = await got;
    expect(m.messageId).toBe("s1");
    expect(m.headers.k).toBe("v");
    await transport.close();
  });
});
