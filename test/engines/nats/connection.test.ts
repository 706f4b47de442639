import { filter, firstValueFrom, toArray } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLegoError } from "../../../src/atom/lego-error.js";
import { compareVersions, connectNats, natsServerSupports, type NatsClient } from "manyfold-rx/nats";
import { startNatsServer, type NatsServer } from "manyfold-rx/testing";

let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server.stop();
});

describe("connectNats", () => {
  it("detects the server version and refuses 2.10+/2.11 features with ENGINE_FEATURE_UNAVAILABLE", async () => {
    const client = await connectNats(server.url);
    expect(client.serverVersion).toMatch(/^\d+\.\d+\.\d+/);
    if (compareVersions(client.serverVersion, "2.11.0") < 0) {
      expect(client.supports("kv-per-key-ttl")).toBe(false);
      const error: unknown = (() => {
        try {
          client.requireFeature("term-reason");
          return undefined;
        } catch (e) {
          return e;
        }
      })();
      expect(isLegoError(error, "ENGINE_FEATURE_UNAVAILABLE")).toBe(true);
      expect((error as Error).message).toContain(client.serverVersion);
    }
    expect(() => {
      client.requireFeature("nope" as never);
    }).toThrow(RangeError);
    await client.close();
  });

  it("compares versions numerically", () => {
    expect(compareVersions("2.10.0", "2.9.10")).toBe(1);
    expect(compareVersions("v2.9.10", "2.9.10")).toBe(0);
    expect(compareVersions("2.11.0-beta", "2.11.0")).toBe(0);
    expect(natsServerSupports("2.9.10", "multi-filter-consumers")).toBe(false);
    expect(natsServerSupports("2.10.3", "multi-filter-consumers")).toBe(true);
  });

  it("status$: connected, reconnecting across a broker restart, connected again with the reconnect counted, closed last", async () => {
    const client: NatsClient = await connectNats({ servers: server.url, reconnectTimeWait: 50 });
    const states = firstValueFrom(client.status$.pipe(toArray()));
    await server.kill("SIGKILL");
    await firstValueFrom(client.status$.pipe(filter((s) => s.state === "reconnecting")));
    await server.restart();
    const back = await firstValueFrom(client.status$.pipe(filter((s) => s.state === "connected" && s.reconnects === 1)));
    expect(back.reconnects).toBe(1);
    expect(client.lego.counters.reconnects).toBe(1);
    await client.close();
    const seen = (await states).map((s) => s.state);
    expect(seen[0]).toBe("connected");
    expect(seen).toContain("reconnecting");
    expect(seen.at(-1)).toBe("closed");
  });

  it("rejects with ENGINE_UNAVAILABLE when nobody listens", async () => {
    const error: unknown = await connectNats({ servers: "nats://127.0.0.1:1", maxReconnectAttempts: 0, reconnect: false }).catch((e: unknown) => e);
    expect(isLegoError(error, "ENGINE_UNAVAILABLE")).toBe(true);
  });
});
