import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { isLegoError } from "../../src/atom/lego-error.js";
import { natsServerAvailable, natsServerVersion, startNatsCluster, startNatsServer, type NatsServer } from "manyfold-rx/testing";

describe("startNatsServer", () => {
  const started: NatsServer[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  it("finds the system binary and its version", () => {
    expect(natsServerAvailable()).toBe(true);
    expect(natsServerVersion()).toMatch(/^\d+\.\d+\.\d+/);
    expect(natsServerAvailable("/nonexistent/nats-server")).toBe(false);
  });

  it("rejects with ENGINE_UNAVAILABLE when the binary is missing", async () => {
    const error: unknown = await startNatsServer({ binary: "/nonexistent/nats-server" }).catch((e: unknown) => e);
    expect(isLegoError(error, "ENGINE_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toContain("apt-get install nats-server");
  });

  it("validates its options", async () => {
    await expect(startNatsServer({ jetstream: "yes" as unknown as boolean })).rejects.toThrow(TypeError);
    await expect(startNatsServer({ startTimeout: 0 })).rejects.toThrow(RangeError);
  });

  it("serves JetStream on a free loopback port; restart keeps the port and the data", async () => {
    const server = await startNatsServer();
    started.push(server);
    expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).not.toBe(4222);
    expect(server.running).toBe(true);
    const nc = await connect({ servers: server.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "S", subjects: ["s.>"] });
    const js = jetstream(nc);
    await js.publish("s.1", "a");
    const firstPid = server.pid;
    await server.kill("SIGKILL");
    expect(server.running).toBe(false);
    await server.restart();
    expect(server.pid).not.toBe(firstPid);
    // a request made while the client is still reconnecting can be lost: retry with the same msgID
    let ack: Awaited<ReturnType<typeof js.publish>> | undefined;
    for (let attempt = 0; ack === undefined && attempt < 20; attempt++) {
      ack = await js.publish("s.1", "b", { timeout: 500, msgID: "b" }).catch(() => undefined);
    }
    expect(server.port).toBe(Number(new URL(server.url).port));
    expect(ack?.seq).toBe(2); // the first message survived the kill
    await nc.close();
    const dir = server.dataDir;
    await server.stop();
    expect(existsSync(dir)).toBe(false);
  });

  it("core NATS without JetStream", async () => {
    const server = await startNatsServer({ jetstream: false });
    started.push(server);
    const nc = await connect({ servers: server.url });
    expect(nc.info?.jetstream ?? false).toBe(false);
    await nc.close();
  });
});

describe("startNatsCluster", () => {
  it("starts 3 nodes with a meta leader; a killed node comes back", async () => {
    const cluster = await startNatsCluster(3);
    try {
      expect(cluster.urls).toHaveLength(3);
      const leader = await cluster.metaLeader();
      expect(["n0", "n1", "n2"]).toContain(leader);
      const nc = await connect({ servers: [...cluster.urls] });
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.add({ name: "R3", subjects: ["r3"], num_replicas: 3 });
      expect(info.config.num_replicas).toBe(3);
      await cluster.nodes[2]!.kill("SIGKILL");
      expect(cluster.nodes[2]!.running).toBe(false);
      await cluster.restart(2);
      expect(cluster.nodes[2]!.running).toBe(true);
      await cluster.ready();
      await nc.close();
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});
