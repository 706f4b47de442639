import { firstValueFrom, take, toArray } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLegoError } from "../../../src/atom/lego-error.js";
import { connectNats, NatsEventLog, type NatsClient } from "manyfold-rx/nats";
import { startNatsServer, type NatsServer } from "manyfold-rx/testing";

let server: NatsServer;
let client: NatsClient;
let n = 0;
const open = <T>(options: { duplicateWindow?: number } = {}): Promise<NatsEventLog<T>> =>
  NatsEventLog.open<T>({ client, stream: `LOG${++n}`, ...options });

beforeAll(async () => {
  server = await startNatsServer();
  client = await connectNats(server.url);
});
afterAll(async () => {
  await client.close();
  await server.stop();
});

describe("NatsEventLog", () => {
  it("appends with offsets from 0 and replays them in order", async () => {
    const log = await open<{ n: number }>();
    expect(await log.nextOffset()).toBe(0);
    expect(await log.append({ n: 0 })).toEqual({ offset: 0, duplicate: false });
    expect(await log.append({ n: 1 }, { id: "b" })).toEqual({ offset: 1, duplicate: false });
    expect(await log.append({ n: 2 })).toEqual({ offset: 2, duplicate: false });
    expect(await log.nextOffset()).toBe(3);
    const records = await firstValueFrom(log.replay().pipe(toArray()));
    expect(records.map((r) => [r.offset, r.value.n, r.id])).toEqual([
      [0, 0, undefined],
      [1, 1, "b"],
      [2, 2, undefined],
    ]);
    expect(records.every((r) => r.appendedAt > 1.7e12)).toBe(true);
    const tail = await firstValueFrom(log.replay({ from: 1 }).pipe(toArray()));
    expect(tail.map((r) => r.offset)).toEqual([1, 2]);
    expect(await firstValueFrom(log.replay({ from: 3 }).pipe(toArray()))).toEqual([]);
  });

  it("an empty log replays nothing and completes", async () => {
    const log = await open<number>();
    expect(await firstValueFrom(log.replay().pipe(toArray()))).toEqual([]);
  });

  it("an id appended again within the window is a duplicate with the first offset", async () => {
    const log = await open<string>({ duplicateWindow: 5_000 });
    expect(log.dedupeWindow).toBe(5_000);
    await log.append("a", { id: "x" });
    await log.append("b");
    expect(await log.append("a-again", { id: "x" })).toEqual({ offset: 0, duplicate: true });
    expect(await log.nextOffset()).toBe(2);
    expect(log.lego.counters.duplicates).toBe(1);
  });

  it("expectedOffset: optimistic concurrency with LOG_CONFLICT", async () => {
    const log = await open<string>();
    expect((await log.append("a", { expectedOffset: 0 })).offset).toBe(0);
    expect((await log.append("b", { expectedOffset: 1 })).offset).toBe(1);
    const error: unknown = await log.append("stale", { expectedOffset: 1 }).catch((e: unknown) => e);
    expect(isLegoError(error, "LOG_CONFLICT")).toBe(true);
    const both = await Promise.allSettled([log.append("c", { expectedOffset: 2 }), log.append("d", { expectedOffset: 2 })]);
    expect(both.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await log.nextOffset()).toBe(3);
  });

  it("replay with follow emits later appends", async () => {
    const log = await open<number>();
    await log.append(1);
    const seen = firstValueFrom(log.replay({ follow: true }).pipe(take(3), toArray()));
    await log.append(2);
    await log.append(3);
    expect((await seen).map((r) => r.value)).toEqual([1, 2, 3]);
  });

  it("skips and counts records the codec refuses", async () => {
    const log = await open<number>();
    await log.append(1);
    await client.js.publish(log.subject, new TextEncoder().encode("{not json"));
    await log.append(3);
    const values = await firstValueFrom(log.replay().pipe(toArray()));
    expect(values.map((r) => [r.offset, r.value])).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(log.lego.counters.invalid).toBe(1);
  });

  it("close completes a following replay and refuses appends", async () => {
    const log = await open<number>();
    await log.append(1);
    const all = firstValueFrom(log.replay({ follow: true }).pipe(toArray()));
    await new Promise((r) => setTimeout(r, 100));
    await log.close();
    expect((await all).map((r) => r.value)).toEqual([1]);
    await expect(log.append(2)).rejects.toSatisfy((e) => isLegoError(e, "STORE_CLOSED"));
  });

  it("validates its options", async () => {
    await expect(NatsEventLog.open({ client, stream: "bad.name" })).rejects.toThrow(RangeError);
    await expect(NatsEventLog.open({ client, stream: "OK", subject: "a.*" })).rejects.toThrow(RangeError);
    const log = await open<number>();
    await expect(log.append(1, { expectedOffset: -1 })).rejects.toThrow(RangeError);
    expect(() => log.replay({ from: 1.5 })).toThrow(RangeError);
  });
});
