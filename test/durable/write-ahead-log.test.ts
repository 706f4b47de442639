import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Keyspace, WriteAheadLog, isLegoError } from "../../src/index.js";
import { backends, collect, failWrites, text, untext, type BackendHandle } from "./backends.js";

const values = async (wal: WriteAheadLog, range = {}): Promise<[number, string][]> =>
  (await collect(wal.read(range))).map(({ offset, bytes }) => [offset, untext(bytes)]);

describe.each(backends)("WriteAheadLog on $name", (backend) => {
  let handle: BackendHandle;

  beforeEach(async () => {
    handle = await backend.create();
  });

  afterEach(async () => {
    await handle.dispose();
  });

  it("starts empty at offset 0", async () => {
    const wal = await WriteAheadLog.open(handle.db, { name: "wal" });
    expect([wal.firstOffset, wal.nextOffset, wal.size]).toEqual([0, 0, 0]);
    expect(await values(wal)).toEqual([]);
  });

  it("gives appended records consecutive offsets", async () => {
    const wal = await WriteAheadLog.open(handle.db, { name: "wal" });
    expect(await wal.append([text("a"), text("b")])).toBe(0);
    expect(await wal.append([text("c")], { sync: true })).toBe(2);
    expect(await wal.append([])).toBe(3);
    expect(await values(wal)).toEqual([
      [0, "a"],
      [1, "b"],
      [2, "c"],
    ]);
    expect(await values(wal, { from: 1, to: 2 })).toEqual([[1, "b"]]);
  });

  it("continues its offsets after a restart", async () => {
    const wal = await WriteAheadLog.open(handle.db, { name: "wal" });
    await wal.append([text("a"), text("b"), text("c")]);
    await wal.close();
    const db = await handle.reopen();
    const reopened = await WriteAheadLog.open(db, { name: "wal" });
    expect([reopened.firstOffset, reopened.nextOffset]).toEqual([0, 3]);
    expect(await reopened.append([text("d")])).toBe(3);
  });

  it("serialises concurrent appends without gaps", async () => {
    const wal = await WriteAheadLog.open(handle.db, { name: "wal" });
    const firsts = await Promise.all([wal.append([text("a"), text("b")]), wal.append([text("c")]), wal.append([text("d"), text("e")])]);
    expect(firsts).toEqual([0, 2, 3]);
    expect((await values(wal)).map(([offset]) => offset)).toEqual([0, 1, 2, 3, 4]);
  });

  it("stores nothing of a failed append and reuses its offsets", async () => {
    const wal = await WriteAheadLog.open(handle.db, { name: "wal" });
    await wal.append([text("a")]);
    const heal = failWrites(handle.db);
    await expect(wal.append([text("b"), text("c")])).rejects.toThrow(/prewrite hook failed|disk full/);
    heal();
    expect(wal.nextOffset).toBe(1);
    expect(await wal.append([text("d")])).toBe(1);
    expect(await values(wal)).toEqual([
      [0, "a"],
      [1, "d"],
    ]);
  });

  it("truncates the oldest records and keeps counting after everything went, across restarts", async () => {
    const wal = await WriteAheadLog.open(handle.db, { name: "wal" });
    await wal.append([text("a"), text("b"), text("c")]);
    expect(await wal.truncateBefore(2)).toBe(2);
    expect([wal.firstOffset, wal.nextOffset]).toEqual([2, 3]);
    expect(await values(wal)).toEqual([[2, "c"]]);
    expect(await wal.truncateBefore(10)).toBe(1);
    expect([wal.firstOffset, wal.nextOffset, wal.size]).toEqual([3, 3, 0]);
    await wal.close();
    const reopened = await WriteAheadLog.open(await handle.reopen(), { name: "wal" });
    expect([reopened.firstOffset, reopened.nextOffset]).toEqual([3, 3]);
    expect(await reopened.append([text("d")])).toBe(3);
    expect(await reopened.truncateBefore(1)).toBe(0);
  });

  it("reads large logs in bounded chunks", async () => {
    const wal = await WriteAheadLog.open(handle.db, { name: "wal" });
    await wal.append(Array.from({ length: 2500 }, (_, i) => text(String(i))));
    const sizes = (await collect(wal.chunks({ chunkSize: 1000 }))).map((chunk) => chunk.length);
    // classic-level may return fewer per round trip (it also caps bytes per chunk).
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1000);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(2500);
  });

  it("lives inside a keyspace", async () => {
    const parent = new Keyspace(handle.db, { name: "spool", group: "ambient" });
    const wal = await WriteAheadLog.open(parent, { name: "log" });
    await wal.append([text("a")]);
    expect(wal.group).toBe("ambient");
    expect(await collect(parent.keys())).toEqual([]);
  });

  it("close() waits for appends in flight and then refuses new ones", async () => {
    const wal = await WriteAheadLog.open(handle.db, { name: "wal" });
    const pending = wal.append([text("a"), text("b")]);
    await wal.close();
    await expect(pending).resolves.toBe(0);
    const error: unknown = await wal.append([text("c")]).catch((e: unknown) => e);
    expect(isLegoError(error, "STORE_CLOSED")).toBe(true);
  });

  it("keeps offsets consecutive for any sequence of appends and truncations", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.record({ append: fc.integer({ min: 0, max: 5 }) }), fc.record({ truncate: fc.integer({ min: 0, max: 30 }) })), {
          maxLength: 12,
        }),
        async (steps) => {
          const wal = await WriteAheadLog.open(handle.db, { name: `p${Math.random().toString(36).slice(2)}` });
          let next = 0;
          let first = 0;
          for (const step of steps) {
            if ("append" in step) {
              expect(await wal.append(Array.from({ length: step.append }, () => text("x")))).toBe(next);
              next += step.append;
            } else {
              await wal.truncateBefore(step.truncate);
              first = Math.max(first, Math.min(step.truncate, next));
            }
          }
          const offsets = (await values(wal)).map(([offset]) => offset);
          expect(offsets).toEqual(Array.from({ length: next - first }, (_, i) => first + i));
          await wal.close();
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("WriteAheadLog validation", () => {
  let handle: BackendHandle;
  beforeEach(async () => {
    handle = await backends[0]!.create();
  });
  afterEach(async () => {
    await handle.dispose();
  });

  it("rejects bad records and ranges", async () => {
    const wal = await WriteAheadLog.open(handle.db, { name: "wal" });
    await expect(wal.append(["a"] as unknown as Uint8Array[])).rejects.toThrow(TypeError);
    await expect(wal.append([text("a")], { sync: 1 as unknown as boolean })).rejects.toThrow(TypeError);
    await expect(collect(wal.read({ from: -1 }))).rejects.toThrow(RangeError);
    await expect(collect(wal.read({ from: "0" as unknown as number }))).rejects.toThrow(TypeError);
    await expect(wal.truncateBefore(1.5)).rejects.toThrow(RangeError);
  });

  it("rejects a bad name", async () => {
    await expect(WriteAheadLog.open(handle.db, { name: "" })).rejects.toThrow(RangeError);
  });
});
