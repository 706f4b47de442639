import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CheckpointStore, Keyspace, ManualClock, SnapshotStore, isLegoError } from "../../src/index.js";
import { backends, collect, type BackendHandle } from "./backends.js";

describe.each(backends)("SnapshotStore and CheckpointStore on $name", (backend) => {
  let handle: BackendHandle;
  let clock: ManualClock;

  beforeEach(async () => {
    handle = await backend.create();
    clock = new ManualClock(500);
  });

  afterEach(async () => {
    await handle.dispose();
  });

  it("saves and loads the latest snapshot of an id", async () => {
    const store = new SnapshotStore<{ count: number }>(handle.db, { name: "snapshots", clock });
    await store.save("totals", { count: 1 });
    clock.advance(10);
    expect(await store.save("totals", { count: 42 }, { offset: 41 })).toEqual({ id: "totals", value: { count: 42 }, savedAt: 510, offset: 41 });
    expect(await store.load("totals")).toEqual({ id: "totals", value: { count: 42 }, savedAt: 510, offset: 41 });
    expect(await store.load("missing")).toBeUndefined();
  });

  it("lists and deletes snapshots, surviving a restart", async () => {
    const store = new SnapshotStore<string>(handle.db, { name: "snapshots", clock });
    await store.save("b", "B");
    await store.save("a", "A");
    await store.delete("b");
    const reopened = new SnapshotStore<string>(await handle.reopen(), { name: "snapshots", clock });
    expect((await collect(reopened.list())).map((s) => [s.id, s.value])).toEqual([["a", "A"]]);
  });

  it("refuses a value the codec cannot encode with ENCODE_FAILED and keeps the old one", async () => {
    const store = new SnapshotStore<unknown>(handle.db, { name: "snapshots", clock });
    await store.save("s", 1);
    await expect(store.save("s", Number.POSITIVE_INFINITY)).rejects.toSatisfy((e: unknown) => isLegoError(e, "ENCODE_FAILED"));
    expect((await store.load("s"))?.value).toBe(1);
  });

  it("reports damaged bytes with DECODE_FAILED", async () => {
    const store = new SnapshotStore<unknown>(handle.db, { name: "snapshots", clock });
    await new Keyspace(handle.db, { name: "snapshots" }).put("s", new Uint8Array([1, 2, 3]));
    await expect(store.load("s")).rejects.toSatisfy((e: unknown) => isLegoError(e, "DECODE_FAILED"));
  });

  it("validates ids and offsets", async () => {
    const store = new SnapshotStore<unknown>(handle.db, { name: "snapshots", clock });
    await expect(store.save("", 1)).rejects.toThrow(RangeError);
    await expect(store.save("s", 1, { offset: -1 })).rejects.toThrow(RangeError);
    expect(() => new SnapshotStore(handle.db, { name: "s", codec: { encode: 1 } as never })).toThrow(TypeError);
  });

  it("commits consumer offsets and resumes after the committed one", async () => {
    const checkpoints = new CheckpointStore(handle.db, { clock, group: "ambient" });
    expect(await checkpoints.nextOffset("uploader")).toBe(0);
    expect(await checkpoints.commit("uploader", 41)).toEqual({ name: "uploader", offset: 41, committedAt: 500 });
    await checkpoints.commit("archiver", 7);
    const reopened = new CheckpointStore(await handle.reopen(), { clock });
    expect(await reopened.get("uploader")).toBe(41);
    expect(await reopened.nextOffset("uploader")).toBe(42);
    expect((await reopened.list()).map((c) => [c.name, c.offset])).toEqual([
      ["archiver", 7],
      ["uploader", 41],
    ]);
    await reopened.delete("archiver");
    expect(await reopened.get("archiver")).toBeUndefined();
    expect(checkpoints.group).toBe("ambient");
  });

  it("rejects bad checkpoint arguments", async () => {
    const checkpoints = new CheckpointStore(handle.db);
    await expect(checkpoints.commit("c", 1.5)).rejects.toThrow(RangeError);
    await expect(checkpoints.commit("c", "1" as unknown as number)).rejects.toThrow(TypeError);
    await expect(checkpoints.commit("", 1)).rejects.toThrow(RangeError);
  });

  it("refuses use after close", async () => {
    const checkpoints = new CheckpointStore(handle.db);
    await checkpoints.close();
    await expect(checkpoints.commit("c", 1)).rejects.toSatisfy((e: unknown) => isLegoError(e, "STORE_CLOSED"));
  });
});
