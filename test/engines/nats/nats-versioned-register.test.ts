import { firstValueFrom, take, toArray } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLegoError } from "../../../src/atom/lego-error.js";
import { connectNats, NatsVersionedRegister, type NatsClient } from "manyfold-rx/nats";
import { startNatsServer, type NatsServer } from "manyfold-rx/testing";

let server: NatsServer;
let client: NatsClient;
let n = 0;
const open = <T>(options: { ttl?: number } = {}): Promise<NatsVersionedRegister<T>> =>
  NatsVersionedRegister.open<T>({ client, bucket: `reg${++n}`, ...options });

beforeAll(async () => {
  server = await startNatsServer();
  client = await connectNats(server.url);
});
afterAll(async () => {
  await client.close();
  await server.stop();
});

const conflict = (e: unknown): boolean => isLegoError(e, "REGISTER_CONFLICT");

describe("NatsVersionedRegister", () => {
  it("create, update, put, delete with versions that only increase", async () => {
    const r = await open<string>();
    const v1 = await r.create("a", "x");
    expect(v1).toBeGreaterThan(0);
    expect(await r.get("a")).toEqual({ key: "a", value: "x", version: v1 });
    expect(await r.create("a", "y").catch(conflict)).toBe(true);
    const v2 = await r.update("a", "y", v1);
    expect(v2).toBeGreaterThan(v1);
    expect(await r.update("a", "z", v1).catch(conflict)).toBe(true);
    expect(await r.update("missing", "z", v2).catch(conflict)).toBe(true);
    const v3 = await r.put("b", "p");
    expect(v3).toBeGreaterThan(v2);
    expect(await r.delete("a", v1).catch(conflict)).toBe(true);
    await r.delete("a", v2);
    expect(await r.get("a")).toBeUndefined();
    expect(await r.delete("a", v2).catch(conflict)).toBe(true);
    await r.delete("a"); // absent: no-op
    const v4 = await r.create("a", "again");
    expect(v4).toBeGreaterThan(v3);
    expect(await r.update("a", "old", v2).catch(conflict)).toBe(true);
    expect(await r.keys()).toEqual(["a", "b"]);
    expect(await r.keys("b")).toEqual(["b"]);
    expect(r.lego.counters.conflicts).toBeGreaterThanOrEqual(6);
    await r.close();
    await expect(r.get("a")).rejects.toSatisfy((e) => isLegoError(e, "STORE_CLOSED"));
  });

  it("of two concurrent creates exactly one wins", async () => {
    const r = await open<number>();
    const results = await Promise.allSettled([r.create("k", 1), r.create("k", 2), r.create("k", 3)]);
    expect(results.filter((x) => x.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((x) => x.status === "rejected" && conflict(x.reason))).toHaveLength(2);
  });

  it("rejects bad keys and arguments at the call", async () => {
    const r = await open<number>();
    await expect(r.get("a b")).rejects.toThrow(RangeError);
    await expect(r.create(".a", 1)).rejects.toThrow(RangeError);
    await expect(r.update("a", 1, 0)).rejects.toThrow(RangeError);
    expect(() => r.watch("*")).toThrow(RangeError);
    await expect(NatsVersionedRegister.open({ client, bucket: "a.b" })).rejects.toThrow(RangeError);
    await expect(NatsVersionedRegister.open({ client: {} as NatsClient, bucket: "a" })).rejects.toThrow(TypeError);
  });

  it("watch: the current state, then every write and delete in order", async () => {
    const r = await open<string>();
    const v1 = await r.create("w", "one");
    const seen = firstValueFrom(r.watch("w").pipe(take(4), toArray()));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const v2 = await r.update("w", "two", v1);
    await r.delete("w");
    const v3 = await r.create("w", "three");
    await r.put("other", "ignored");
    expect(await seen).toEqual([
      { key: "w", value: "one", version: v1 },
      { key: "w", value: "two", version: v2 },
      undefined,
      { key: "w", value: "three", version: v3 },
    ]);
  });

  it("watch of an absent key starts with undefined", async () => {
    const r = await open<string>();
    const seen = firstValueFrom(r.watch("nope").pipe(take(2), toArray()));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const v = await r.put("nope", "now");
    expect(await seen).toEqual([undefined, { key: "nope", value: "now", version: v }]);
  });

  it("watchAll: one put per present key sorted, then changes in version order", async () => {
    const r = await open<number>();
    const vb = await r.put("p/b", 2);
    const va = await r.put("p/a", 1);
    await r.put("q", 9);
    const seen = firstValueFrom(r.watchAll("p/").pipe(take(4), toArray()));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await r.delete("p/a");
    const vc = await r.put("p/c", 3);
    const changes = await seen;
    expect(changes.slice(0, 2)).toEqual([
      { key: "p/a", value: 1, version: va, operation: "put" },
      { key: "p/b", value: 2, version: vb, operation: "put" },
    ]);
    expect(changes[2]).toMatchObject({ key: "p/a", value: undefined, operation: "delete" });
    expect(changes[3]).toEqual({ key: "p/c", value: 3, version: vc, operation: "put" });
  });

  it("close completes watchers", async () => {
    const r = await open<number>();
    const done = firstValueFrom(r.watch("x").pipe(toArray()));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await r.close();
    expect(await done).toEqual([undefined]);
  });

  it("bucket ttl expires keys", async () => {
    const r = await open<number>({ ttl: 500 });
    await r.put("t", 1);
    expect(await r.get("t")).toBeDefined();
    let gone = false;
    for (let i = 0; i < 40 && !gone; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      gone = (await r.get("t")) === undefined;
    }
    expect(gone).toBe(true);
  });
});
