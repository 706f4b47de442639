import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lastValueFrom, toArray, VirtualTimeScheduler } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackoffPolicy, isLegoError, type LegoError } from "manyfold-rx";
import { connectMqtt, type MqttConnection } from "manyfold-rx/mqtt";
import { startMosquitto, type MosquittoBroker } from "manyfold-rx/testing";
import { classifyConnackRefusal } from "../../../src/engines/mqtt/mqtt-connection.js";

describe("classifyConnackRefusal", () => {
  it.each([
    [1, "ENGINE_FEATURE_UNAVAILABLE", "unacceptable protocol version"],
    [2, "UNAUTHORIZED", "identifier rejected"],
    [4, "UNAUTHORIZED", "bad user name or password"],
    [5, "UNAUTHORIZED", "not authorized"],
    [0x84, "ENGINE_FEATURE_UNAVAILABLE", "unsupported protocol version"],
    [0x85, "UNAUTHORIZED", "client identifier not valid"],
    [0x86, "UNAUTHORIZED", "bad user name or password"],
    [0x87, "UNAUTHORIZED", "not authorized"],
    [0x8a, "UNAUTHORIZED", "banned"],
    [0x8c, "UNAUTHORIZED", "bad authentication method"],
  ])("code %i is permanent: %s (%s)", (code, legoCode, reason) => {
    expect(classifyConnackRefusal(code)).toEqual({ code: legoCode, reason });
  });

  it.each([
    [3, "3.1.1 server unavailable"],
    [0x88, "server unavailable"],
    [0x89, "server busy"],
    [0x97, "quota exceeded"],
    [0x9f, "connection rate exceeded"],
    [0x80, "unspecified error (not known to be permanent)"],
  ])("code %i is transient: %s", (code) => {
    expect(classifyConnackRefusal(code)).toBeUndefined();
  });
});

/**
 * Counts connection attempts by the broker's answers (CONNACKs) and by the
 * CONNECTs sent from now on (MQTT.js writes the first at construction).
 */
function countAttempts(connection: MqttConnection): { connacks: number; laterConnects: number } {
  const counter = { connacks: 0, laterConnects: 0 };
  connection.client.on("packetreceive", (packet) => {
    if (packet.cmd === "connack") counter.connacks += 1;
  });
  connection.client.on("packetsend", (packet) => {
    if (packet.cmd === "connect") counter.laterConnects += 1;
  });
  return counter;
}

function refusal(connection: MqttConnection): Promise<LegoError> {
  return connection.whenConnected().then(
    () => {
      throw new Error("connected, but a refusal was expected");
    },
    (error: unknown) => error as LegoError,
  );
}

describe("a broker that requires a password (real mosquitto)", () => {
  let broker: MosquittoBroker;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "manyfold-mqtt-auth-"));
    const passwords = join(dir, "passwords");
    execFileSync("mosquitto_passwd", ["-c", "-b", passwords, "alice", "s3cret"]);
    broker = await startMosquitto({ persistence: false, config: ["allow_anonymous false", `password_file ${passwords}`] });
  });
  afterAll(async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("accepts the right password (the refusals below are about credentials)", async () => {
    const connection = await connectMqtt({ url: broker.url, mqtt: { username: "alice", password: "s3cret" } });
    expect(connection.connected).toBe(true);
    await connection.close();
  });

  describe.each([5, 4] as const)("MQTT %s", (protocolVersion) => {
    const expectedCode = protocolVersion === 5 ? "reason code 0x87" : "return code 5";

    it("connectMqtt rejects with UNAUTHORIZED naming the reason and code", async () => {
      const attempt = connectMqtt({ url: broker.url, protocolVersion, mqtt: { username: "alice", password: "wrong" } });
      const error = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isLegoError(error, "UNAUTHORIZED")).toBe(true);
      expect((error as Error).message).toContain("not authorized");
      expect((error as Error).message).toContain(expectedCode);
    });

    it("ends the connection: status$ closes and completes, no reconnection is scheduled or made", async () => {
      const scheduler = new VirtualTimeScheduler();
      const connection = await connectMqtt({
        url: broker.url,
        protocolVersion,
        waitForConnect: false,
        scheduler,
        backoff: BackoffPolicy.fixed(10),
        mqtt: { username: "alice", password: "wrong" },
      });
      const attempts = countAttempts(connection);
      const states = lastValueFrom(connection.status$.pipe(toArray()));
      const error = await refusal(connection);
      expect(isLegoError(error, "UNAUTHORIZED")).toBe(true);
      expect(connection.failure).toBe(error);
      expect((await states).map((s) => s.state)).toEqual(["connecting", "closed"]);
      // The old behaviour put a reconnect on the scheduler here; now nothing waits.
      expect(scheduler.actions).toHaveLength(0);
      scheduler.flush();
      expect(attempts).toEqual({ connacks: 1, laterConnects: 0 });
      expect(connection.lego.counters).toMatchObject({ connects: 0, reconnects: 0 });
      expect(connection.client.disconnected).toBe(true);
      await connection.close(); // harmless after a refusal
      await expect(connection.publish("x", new Uint8Array())).rejects.toSatisfy((e) => isLegoError(e, "TRANSPORT_CLOSED"));
    });
  });
});

/**
 * A stand-in broker that answers every CONNECT with one fixed CONNACK: what
 * a 3.1.1-only broker (nats-server's MQTT listener) sends an MQTT 5 client,
 * or a busy server. It counts the connections it was offered.
 */
async function refusingBroker(connack: readonly number[]): Promise<{ url: string; connections(): number; nth(n: number): Promise<void>; stop(): Promise<void> }> {
  let connections = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.once("data", () => socket.end(Buffer.from(connack)));
    for (const waiter of waiters.filter((w) => w.n <= connections)) waiter.resolve();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    connections: () => connections,
    nth: (n) => (connections >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => { resolve(); });
      }),
  };
}

describe("protocol version and transient refusals (a stand-in broker)", () => {
  it("an MQTT 5 client refused by a 3.1.1-only broker stops with ENGINE_FEATURE_UNAVAILABLE after one attempt", async () => {
    const broker = await refusingBroker([0x20, 0x02, 0x00, 0x01]); // 3.1.1 CONNACK: unacceptable protocol version
    try {
      const scheduler = new VirtualTimeScheduler();
      const error = await connectMqtt({ url: broker.url, protocolVersion: 5, scheduler, backoff: BackoffPolicy.fixed(10) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isLegoError(error, "ENGINE_FEATURE_UNAVAILABLE")).toBe(true);
      expect((error as Error).message).toMatch(/unacceptable protocol version .*protocolVersion: 4/);
      expect(scheduler.actions).toHaveLength(0);
      scheduler.flush();
      expect(broker.connections()).toBe(1);
    } finally {
      await broker.stop();
    }
  });

  it.each([
    ["3.1.1 server unavailable", 4 as const, [0x20, 0x02, 0x00, 0x03]],
    ["MQTT 5 server busy", 5 as const, [0x20, 0x03, 0x00, 0x89, 0x00]],
  ])("%s keeps retrying on the backoff policy", async (_, protocolVersion, connack) => {
    const broker = await refusingBroker(connack);
    const scheduler = new VirtualTimeScheduler();
    const connection = await connectMqtt({ url: broker.url, protocolVersion, waitForConnect: false, scheduler, backoff: BackoffPolicy.fixed(10) });
    try {
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        await broker.nth(attempt);
        // The refused attempt's close schedules the next one on our scheduler.
        for (let turns = 0; scheduler.actions.length === 0; turns += 1) {
          if (turns > 10_000) throw new Error("no reconnection was scheduled");
          await new Promise((resolve) => setImmediate(resolve));
        }
        scheduler.flush();
      }
      await broker.nth(4);
      expect(connection.failure).toBeUndefined();
      expect(connection.lego.counters.reconnects).toBeGreaterThanOrEqual(3);
    } finally {
      await connection.close();
      await broker.stop();
    }
  });
});
