import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventLog, ManualClock, isLegoError, numberCodec, type EventLogAppend } from "../../src/index.js";
import { backends, collect, text, type BackendHandle } from "./backends.js";

describe.each(backends)("EventLog on $name", (backend) => {
  let handle: BackendHandle;
  let clock: ManualClock;

  beforeEach(async () => {
    handle = await backend.create();
    clock = new ManualClock(1000);
  });

  afterEach(async () => {
    await handle.dispose();
  });

  it("stores values with their offset and append time, JSON by default", async () => {
    const log = await EventLog.open<{ celsius: number }>(handle.db, { name: "events", clock });
    expect(await log.appendAll([{ celsius: 21.5 }, { celsius: 22 }])).toEqual([
      { offset: 0, value: { celsius: 21.5 }, appendedAt: 1000 },
      { offset: 1, value: { celsius: 22 }, appendedAt: 1000 },
    ]);
    clock.advance(250);
    await log.appendAll([{ celsius: 23 }]);
    expect(await collect(log.read({ from: 1 }))).toEqual([
      { offset: 1, value: { celsius: 22 }, appendedAt: 1000 },
      { offset: 2, value: { celsius: 23 }, appendedAt: 1250 },
    ]);
  });

  it("reports each append on appended$, in order", async () => {
    const log = await EventLog.open<number>(handle.db, { name: "events", clock, codec: numberCodec() });
    const seen: EventLogAppend[] = [];
    log.appended$.subscribe((event) => seen.push(event));
    await log.appendAll([1, 2]);
    await log.appendAll([3]);
    expect(seen).toEqual([
      { firstOffset: 0, count: 2, appendedAt: 1000, nextOffset: 2 },
      { firstOffset: 2, count: 1, appendedAt: 1000, nextOffset: 3 },
    ]);
  });

  it("writes nothing when one value cannot be encoded", async () => {
    const log = await EventLog.open(handle.db, { name: "events", clock });
    const error: unknown = await log.appendAll([1, Number.NaN]).catch((e: unknown) => e);
    expect(isLegoError(error, "ENCODE_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(/cannot encode value 1/);
    expect(log.wal.nextOffset).toBe(0);
    expect(await log.appendAll([2])).toEqual([{ offset: 0, value: 2, appendedAt: 1000 }]);
  });

  it("fails to read a record it cannot decode with DECODE_FAILED naming the offset", async () => {
    const log = await EventLog.open<number>(handle.db, { name: "events", clock, codec: numberCodec() });
    await log.wal.append([text("not an envelope")]);
    const error: unknown = await collect(log.read()).catch((e: unknown) => e);
    expect(isLegoError(error, "DECODE_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(/record 0 is damaged/);
  });

  it("keeps at most maxEntries records", async () => {
    const log = await EventLog.open<number>(handle.db, { name: "events", clock, retention: { maxEntries: 3 } });
    await log.appendAll([1, 2, 3, 4, 5]);
    await log.trim();
    expect((await collect(log.read())).map((r) => r.offset)).toEqual([2, 3, 4]);
    expect(log.firstOffset).toBe(2);
  });

  it("drops records older than maxAgeMs, offsets continuing", async () => {
    const log = await EventLog.open<number>(handle.db, { name: "events", clock, retention: { maxAgeMs: 100 } });
    await log.appendAll([1, 2]);
    clock.advance(60);
    await log.appendAll([3]);
    clock.advance(60);
    expect(await log.trim()).toBe(2);
    expect((await collect(log.read())).map((r) => r.value)).toEqual([3]);
    clock.advance(100);
    expect(await log.trim()).toBe(1);
    expect([log.firstOffset, log.wal.nextOffset]).toEqual([3, 3]);
    const [record] = await log.appendAll([4]);
    expect(record?.offset).toBe(3);
  });

  it("applies retention on open", async () => {
    const log = await EventLog.open<number>(handle.db, { name: "events", clock });
    await log.appendAll([1, 2, 3, 4]);
    await log.close();
    const trimmed = await EventLog.open<number>(await handle.reopen(), { name: "events", clock, retention: { maxEntries: 1 } });
    expect((await collect(trimmed.read())).map((r) => r.value)).toEqual([4]);
  });

  it("trims in the background after appends", async () => {
    const log = await EventLog.open<number>(handle.db, { name: "events", clock, retention: { maxEntries: 2 } });
    await log.appendAll([1, 2, 3]);
    await log.close();
    const reopened = await EventLog.open<number>(await handle.reopen(), { name: "events", clock });
    expect(reopened.firstOffset).toBe(1);
  });

  it("adopts its group into a ManualClock that has none", async () => {
    const log = await EventLog.open<number>(handle.db, { name: "events", clock, group: "ambient" });
    expect(clock.group).toBe("ambient");
    expect(log.group).toBe("ambient");
  });

  it("refuses use after close", async () => {
    const log = await EventLog.open<number>(handle.db, { name: "events", clock });
    await log.close();
    await expect(log.appendAll([1])).rejects.toSatisfy((e: unknown) => isLegoError(e, "STORE_CLOSED"));
  });
});

describe("EventLog validation", () => {
  let handle: BackendHandle;
  beforeEach(async () => {
    handle = await backends[0]!.create();
  });
  afterEach(async () => {
    await handle.dispose();
  });

  it("rejects bad options naming them", async () => {
    await expect(EventLog.open(handle.db, { name: "e", retention: { maxEntries: 0 } })).rejects.toThrow(/retention.maxEntries/);
    await expect(EventLog.open(handle.db, { name: "e", retention: { maxAgeMs: -1 } })).rejects.toThrow(RangeError);
    await expect(EventLog.open(handle.db, { name: "e", retention: { maxAgeMs: "1" as unknown as number } })).rejects.toThrow(TypeError);
    await expect(EventLog.open(handle.db, { name: "e", codec: {} as never })).rejects.toThrow(/codec.encode must be a function/);
    await expect(EventLog.open(handle.db, { name: "e", clock: {} as never })).rejects.toThrow(/clock must have a now/);
  });
});
