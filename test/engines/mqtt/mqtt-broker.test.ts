import { firstValueFrom, filter, take, toArray, from, lastValueFrom, Subject } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLegoError } from "manyfold-rx";
import { connectMqtt, fromMqtt, toMqtt, type MqttConnection, type MqttMessage } from "manyfold-rx/mqtt";
import { startMosquitto, type MosquittoBroker } from "manyfold-rx/testing";

const text = (m: MqttMessage): string => new TextDecoder().decode(m.payload);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

let broker: MosquittoBroker;
const open: MqttConnection[] = [];
async function connection(options: Partial<Parameters<typeof connectMqtt>[0]> = {}): Promise<MqttConnection> {
  const c = await connectMqtt({ url: broker.url, ...options });
  open.push(c);
  return c;
}

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await broker.stop();
});

describe.each([5, 4] as const)("MQTT %s against a real mosquitto", (protocolVersion) => {
  it("toMqtt → fromMqtt carries payload, headers and the message id", async () => {
    const sub = await connection({ protocolVersion });
    const pub = await connection({ protocolVersion });
    const topic = `t${protocolVersion}/readings`;
    const received = firstValueFrom(fromMqtt(`t${protocolVersion}/+`, { connection: sub }).pipe(take(2), toArray()));
    await new Promise((r) => sub.client.once("packetreceive", r)); // SUBACK
    const passed = await lastValueFrom(
      from([{ id: "a", v: 21.5 }, { id: "b", v: 21.7 }]).pipe(
        toMqtt(topic, { connection: pub, messageId: (r) => `dev-1:${r.id}`, headers: () => ({ unit: "C" }) }),
        toArray(),
      ),
    );
    expect(passed.map((r) => r.id)).toEqual(["a", "b"]);
    const messages = await received;
    expect(messages.map(text)).toEqual(['{"id":"a","v":21.5}', '{"id":"b","v":21.7}']);
    expect(messages.map((m) => m.messageId)).toEqual(["dev-1:a", "dev-1:b"]);
    expect(messages[0]?.headers.unit).toBe("C");
    expect(messages[0]?.topic).toBe(topic);
    expect(messages[0]?.qos).toBe(1);
  });

  it("a plain payload without id or headers arrives as sent", async () => {
    const sub = await connection({ protocolVersion });
    const pub = await connection({ protocolVersion });
    const got = firstValueFrom(fromMqtt(`plain${protocolVersion}`, { connection: sub }));
    await new Promise((r) => sub.client.once("packetreceive", r));
    await pub.publish(`plain${protocolVersion}`, bytes("21.5"));
    const m = await got;
    expect(text(m)).toBe("21.5");
    expect(m.messageId).toBeUndefined();
    expect(m.headers).toEqual({});
  });
});

describe("toMqtt", () => {
  it("passes items on in order after PUBACK and counts them", async () => {
    const pub = await connection();
    const op = toMqtt<number>((n) => `order/${n % 3}`, { connection: pub });
    const out = await lastValueFrom(from(Array.from({ length: 200 }, (_, i) => i)).pipe(op, toArray()));
    expect(out).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(op.lego.counters).toMatchObject({ published: 200, acked: 200, pending: 0 });
  });

  it("completes at once on an empty source and forwards a source error", async () => {
    const pub = await connection();
    await expect(lastValueFrom(from([] as number[]).pipe(toMqtt("x", { connection: pub }), toArray()))).resolves.toEqual([]);
    const failing = new Subject<number>();
    const done = lastValueFrom(failing.pipe(toMqtt("x", { connection: pub })));
    failing.error(new Error("boom"));
    await expect(done).rejects.toThrow("boom");
  });

  it("errors with QUEUE_FULL past maxPending instead of buffering without bound", async () => {
    const pub = await connection();
    const source = new Subject<number>();
    const done = lastValueFrom(source.pipe(toMqtt("full", { connection: pub, maxPending: 2 })));
    source.next(1);
    source.next(2);
    source.next(3);
    await expect(done).rejects.toSatisfy((e) => isLegoError(e, "QUEUE_FULL"));
  });

  it("validates its options", async () => {
    const pub = await connection();
    expect(() => toMqtt("", { connection: pub })).toThrow(RangeError);
    expect(() => toMqtt("x", { connection: pub, qos: 2 as 1 })).toThrow(/qos must be 0 or 1/);
    expect(() => toMqtt("x", { connection: JSON.parse("{}") as MqttConnection })).toThrow(TypeError);
    expect(() => toMqtt("x", { connection: pub, maxPending: 0 })).toThrow(/maxPending/);
  });
});

describe("fromMqtt", () => {
  it("shares a subscription: each message goes to one member", async () => {
    const a = await connection();
    const b = await connection();
    const pub = await connection();
    const seenA: string[] = [];
    const seenB: string[] = [];
    const subA = fromMqtt("jobs/#", { connection: a, share: "workers" }).subscribe((m) => seenA.push(text(m)));
    const subB = fromMqtt("jobs/#", { connection: b, share: "workers" }).subscribe((m) => seenB.push(text(m)));
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 40; i++) await pub.publish(`jobs/${i}`, bytes(String(i)));
    for (let waited = 0; seenA.length + seenB.length < 40 && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    subA.unsubscribe();
    subB.unsubscribe();
    expect([...seenA, ...seenB].map(Number).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(seenA.length).toBeGreaterThan(0);
    expect(seenB.length).toBeGreaterThan(0);
  });

  it("with manual ack, an unacknowledged message comes back to a persistent session", async () => {
    const clientId = `manual-${process.pid}`;
    const first = await connectMqtt({ url: broker.url, clientId, clean: false });
    const pub = await connection();
    const got = firstValueFrom(fromMqtt("manual/q", { connection: first, ack: "manual", keepSubscription: true }));
    await new Promise((r) => first.client.once("packetreceive", r));
    await pub.publish("manual/q", bytes("job-1"));
    const m = await got;
    expect(typeof m.ack).toBe("function");
    await first.close(); // leave without acknowledging
    const second = await connection({ clientId, clean: false });
    const again = await firstValueFrom(fromMqtt("manual/q", { connection: second, ack: "manual" }));
    expect(text(again)).toBe("job-1");
    expect(again.dup).toBe(true);
    again.ack?.();
    expect(first.lego.counters.connects).toBe(1);
  });
});

describe("MqttConnection", () => {
  it("reports reconnecting and connected across a broker restart, and delivers a QoS 1 publish made while it was down", async () => {
    const own = await startMosquitto();
    try {
      const sub = await connectMqtt({ url: own.url, clientId: `s-${process.pid}`, clean: false });
      const pub = await connectMqtt({ url: own.url, backoff: { initialDelay: 20, multiplier: 2, maxDelay: 200 } });
      const states: string[] = [];

      pub.status$.subscribe((s) => states.push(`${s.state}:${s.reconnects}`));
      const arrived = firstValueFrom(fromMqtt("outage/x", { connection: sub, keepSubscription: true }).pipe(filter((m) => text(m) === "while-down")));
      await new Promise((r) => sub.client.once("packetreceive", r));
      await own.kill("SIGTERM"); // a clean stop: the persistent session is saved
      await firstValueFrom(pub.status$.pipe(filter((s) => s.state === "reconnecting")));
      const acked = pub.publish("outage/x", bytes("while-down"));
      await own.restart();
      await acked;
      expect(text(await arrived)).toBe("while-down");
      expect(states[0]).toBe("connected:0");
      expect(states).toContain("reconnecting:0");
      expect(states.at(-1)).toMatch(/^connected:[1-9]/);
      expect(pub.lego.counters.reconnects).toBeGreaterThanOrEqual(1);
      await sub.close();
      await pub.close();
      expect(states.at(-1)).toMatch(/^closed:/);
    } finally {
      await own.stop();
    }
  });

  it("validates its options", () => {
    expect(() => connectMqtt({ url: "" })).toThrow(RangeError);
    expect(() => connectMqtt({ url: "mqtt://x", clean: false })).toThrow(/clientId must be given/);
    expect(() => connectMqtt({ url: "mqtt://x", protocolVersion: 3 as 4 })).toThrow(/protocolVersion/);
  });
});
