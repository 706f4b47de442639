import { firstValueFrom, take, toArray, VirtualTimeScheduler } from "rxjs";
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
    await expect(NatsVersionedRegister.open({ client, bucket: "h", history: 65 })).rejects.toThrow(/history/);
    await expect(NatsVersionedRegister.open({ client, bucket: "h", history: 0 })).rejects.toThrow(RangeError);
    await expect(NatsVersionedRegister.open({ client, bucket: "h", scheduler: {} as never })).rejects.toThrow(TypeError);
    await expect(NatsVersionedRegister.open({ client: {} as NatsClient, bucket: "a" })).rejects.toThrow(TypeError);
  });

  it("watch: the current state, then every write and delete in order", async () => {
    const r = await open<string>();
    const v1 = await r.create("w", "one");
    const seen = firstValueFrom(r.watch("w").pipe(take(4), toArray()));
    // no pause: writes right after subscribing still come after the snapshot
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

  it("watch: a write issued in the same tick as the subscribe is a change, not part of the snapshot", async () => {
    const r = await open<number>();
    for (let i = 0; i < 20; i++) {
      const key = `k${i}`;
      const v1 = await r.put(key, 1);
      const seen = firstValueFrom(r.watch(key).pipe(take(3), toArray()));
      const written = r.update(key, 2, v1).then(async (v2) => [v2, await r.put(key, 3)]);
      const [v2, v3] = await written;
      expect(await seen).toEqual([
        { key, value: 1, version: v1 },
        { key, value: 2, version: v2 },
        { key, value: 3, version: v3 },
      ]);
    }
  });

  it("watch of an absent key starts with undefined; a deleted key too, and its old delete is not repeated", async () => {
    const r = await open<string>();
    const seen = firstValueFrom(r.watch("nope").pipe(take(2), toArray()));
    const v = await r.put("nope", "now");
    expect(await seen).toEqual([undefined, { key: "nope", value: "now", version: v }]);
    await r.delete("nope");
    const again = firstValueFrom(r.watch("nope").pipe(take(2), toArray()));
    const w = await r.put("nope", "back");
    expect(await again).toEqual([undefined, { key: "nope", value: "back", version: w }]);
  });

  it("watch sees writes of another connection", async () => {
    const r = await open<number>();
    const other = await connectNats(server.url);
    const writer = await NatsVersionedRegister.open<number>({ client: other, bucket: r.bucket });
    const v1 = await writer.put("shared", 1);
    const seen = firstValueFrom(r.watch("shared").pipe(take(3), toArray()));
    await new Promise((resolve) => setTimeout(resolve, 50)); // another connection: the snapshot has to be read first
    const v2 = await writer.put("shared", 2);
    await writer.delete("shared");
    expect(await seen).toEqual([{ key: "shared", value: 1, version: v1 }, { key: "shared", value: 2, version: v2 }, undefined]);
    await other.close();
  });

  it("watchAll: one put per present key sorted, then changes in version order", async () => {
    const r = await open<number>();
    const vb = await r.put("p/b", 2);
    const va = await r.put("p/a", 1);
    await r.put("q", 9);
    await r.put("p/gone", 0);
    await r.delete("p/gone");
    const seen = firstValueFrom(r.watchAll("p/").pipe(take(4), toArray()));
    await r.delete("p/a");
    const vc = await r.put("p/c", 3);
    await r.delete("p/never"); // absent: no marker, no change
    const changes = await seen;
    expect(changes.slice(0, 2)).toEqual([
      { key: "p/a", value: 1, version: va, operation: "put" },
      { key: "p/b", value: 2, version: vb, operation: "put" },
    ]);
    expect(changes[2]).toMatchObject({ key: "p/a", value: undefined, operation: "delete" });
    expect(changes[3]).toEqual({ key: "p/c", value: 3, version: vc, operation: "put" });
  });

  it("watchAll: writes issued in the same tick as the subscribe are changes after the snapshot", async () => {
    const r = await open<number>();
    for (let i = 0; i < 20; i++) {
      const prefix = `t${i}.`;
      const va = await r.put(`${prefix}a`, 1);
      const seen = firstValueFrom(r.watchAll(prefix).pipe(take(4), toArray()));
      // overwriting a key of the snapshot at once: its snapshot entry must still be shown first
      const written = (async () => [await r.update(`${prefix}a`, 3, va), await r.put(`${prefix}b`, 2)])();
      const [va2, vb] = await written;
      await r.delete(`${prefix}b`);
      const changes = await seen;
      expect(changes.slice(0, 3)).toEqual([
        { key: `${prefix}a`, value: 1, version: va, operation: "put" },
        { key: `${prefix}a`, value: 3, version: va2, operation: "put" },
        { key: `${prefix}b`, value: 2, version: vb, operation: "put" },
      ]);
      expect(changes[3]).toMatchObject({ key: `${prefix}b`, value: undefined, operation: "delete" });
    }
  });

  it("watchAll of an empty register (or prefix) emits only later changes", async () => {
    const r = await open<number>();
    const all = firstValueFrom(r.watchAll().pipe(take(1), toArray()));
    const some = firstValueFrom(r.watchAll("x.").pipe(take(1), toArray()));
    const v = await r.put("x.y", 1);
    expect(await all).toEqual([{ key: "x.y", value: 1, version: v, operation: "put" }]);
    expect(await some).toEqual([{ key: "x.y", value: 1, version: v, operation: "put" }]);
  });

  it("watch and watchAll go on after the server restarts (the connection comes back)", async () => {
    const r = await open<number>();
    const v1 = await r.put("r.k", 1);
    const one: unknown[] = [];
    const all: unknown[] = [];
    const subscriptions = [r.watch("r.k").subscribe((v) => one.push(v)), r.watchAll("r.").subscribe((c) => all.push(c))];
    const v2 = await r.put("r.k", 2);
    await server.restart();
    const reconnected = new Promise<void>((resolve) => {
      const s = client.status$.subscribe((status) => {
        if (status.state === "connected" && status.reconnects > 0) {
          resolve();
          queueMicrotask(() => s.unsubscribe());
        }
      });
    });
    await reconnected;
    let v3 = 0;
    for (let attempt = 0; v3 === 0; attempt++) {
      // JetStream may still be recovering the stream for a moment after the restart
      v3 = await r.put("r.k", 3).catch((error: unknown) => {
        if (attempt > 50) throw error;
        return new Promise<number>((resolve) => setTimeout(() => resolve(0), 100));
      });
    }
    for (let i = 0; i < 100 && (one.length < 3 || all.length < 3); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    for (const s of subscriptions) s.unsubscribe();
    expect(one).toEqual([1, 2, 3].map((value, i) => ({ key: "r.k", value, version: [v1, v2, v3][i] })));
    expect(all).toEqual([1, 2, 3].map((value, i) => ({ key: "r.k", value, version: [v1, v2, v3][i], operation: "put" })));
  });

  it("a watcher whose consumer went silent (deleted on the server) starts a new one after the last revision it showed", async () => {
    // the heartbeat check runs on the register's scheduler; a virtual one lets the test fire it at will
    const scheduler = new VirtualTimeScheduler(undefined, 60_000);
    const r = await NatsVersionedRegister.open<number>({ client, bucket: `reg${++n}`, scheduler });
    const seen: unknown[] = [];
    const subscription = r.watch("d").subscribe((v) => seen.push(v));
    const v1 = await r.put("d", 1);
    const settle = async (count: number): Promise<void> => {
      for (let i = 0; i < 100 && seen.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    await settle(2);
    const jsm = await client.jetstreamManager();
    const stream = `KV_${r.bucket}`;
    const names = (await jsm.consumers.list(stream).next()).map((info) => info.name);
    expect(names).toHaveLength(1);
    // nats-server 2.9 tells a push consumer's receiver nothing when the consumer is deleted
    for (const name of names) await jsm.consumers.delete(stream, name);
    const v2 = await r.put("d", 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toHaveLength(2);
    scheduler.flush(); // a minute of heartbeat checks without a heartbeat
    await settle(3);
    subscription.unsubscribe();
    expect(seen).toEqual([undefined, { key: "d", value: 1, version: v1 }, { key: "d", value: 2, version: v2 }]);
  });

  it("a watcher errors with TRANSPORT_CLOSED when its connection is closed", async () => {
    const own = await connectNats(server.url);
    const r = await NatsVersionedRegister.open<number>({ client: own, bucket: `reg${++n}` });
    const failed = new Promise<unknown>((resolve) => {
      r.watchAll().subscribe({ next: () => void own.close(), error: resolve });
    });
    await r.put("x", 1);
    expect(isLegoError(await failed, "TRANSPORT_CLOSED")).toBe(true);
  });

  it("close completes watchers", async () => {
    const r = await open<number>();
    const seen: unknown[] = [];
    const done = new Promise<void>((resolve) => {
      r.watch("x").subscribe({
        next: (value) => {
          seen.push(value);
          void r.close();
        },
        complete: resolve,
      });
    });
    await done;
    expect(seen).toEqual([undefined]);
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
