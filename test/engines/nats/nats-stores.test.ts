import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats, NatsDeduplicationStore, NatsIdempotencyStore, type NatsClient } from "manyfold-rx/nats";
import { deduplicationStoreConformance, idempotencyStoreConformance, startNatsServer, type NatsServer } from "manyfold-rx/testing";

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

deduplicationStoreConformance({ describe, it }, "NATS KV", {
  open: (options) => {
    if (options === undefined) throw new Error("the suite passes the window");
    return NatsDeduplicationStore.open({
      client,
      bucket: `dedupe${++n}`,
      clock: options.clock,
      ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
      ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
    });
  },
});

idempotencyStoreConformance({ describe, it }, "NATS KV", {
  open: (options) => {
    if (options === undefined) throw new Error("the suite passes ttl and inProgressTimeout");
    return NatsIdempotencyStore.open({ client, bucket: `idem${++n}`, ttl: options.ttl, inProgressTimeout: options.inProgressTimeout, clock: options.clock });
  },
});

describe("NATS KV stores", () => {
  it("dedupe: two processes share the memory of ids", async () => {
    const other = await connectNats(server.url);
    const a = await NatsDeduplicationStore.open({ client, bucket: "shared" });
    const b = await NatsDeduplicationStore.open({ client: other, bucket: "shared" });
    expect(await a.seen("m-1")).toBe(false);
    expect(await b.seen("m-1")).toBe(true);
    expect(a.lego.counters.recorded).toBe(1);
    expect(b.lego.counters.repeats).toBe(1);
    await other.close();
  });

  it("idempotency: a second process gets the stored result", async () => {
    const other = await connectNats(server.url);
    const a = await NatsIdempotencyStore.open<{ id: string }>({ client, bucket: "pay" });
    const b = await NatsIdempotencyStore.open<{ id: string }>({ client: other, bucket: "pay" });
    let runs = 0;
    expect(await a.run("order-7", () => ({ id: `r${++runs}` }))).toEqual({ id: "r1" });
    expect(await b.run("order-7", () => ({ id: `r${++runs}` }))).toEqual({ id: "r1" });
    expect(runs).toBe(1);
    await other.close();
  });

  it("validates options", async () => {
    await expect(NatsDeduplicationStore.open({ client, bucket: "a.b" })).rejects.toThrow(RangeError);
    await expect(NatsIdempotencyStore.open({ client, bucket: "x", ttl: 0 })).rejects.toThrow(RangeError);
  });
});
