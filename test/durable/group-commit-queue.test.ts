import { describe, expect, it } from "vitest";
import { GroupCommitQueue, type GroupCommit, type GroupCommitSink } from "../../src/index.js";

interface Deferred {
  payloads: Uint8Array[];
  resolve(commit: GroupCommit): void;
  reject(error: unknown): void;
}

/** A commit function whose writes finish only when the test says so. */
function manualDisk(): { commit: (payloads: Uint8Array[]) => Promise<GroupCommit>; writes: Deferred[]; next: number } {
  const disk = {
    writes: [] as Deferred[],
    next: 0,
    commit(payloads: Uint8Array[]): Promise<GroupCommit> {
      return new Promise<GroupCommit>((resolve, reject) => {
        disk.writes.push({ payloads, resolve, reject });
      });
    },
  };
  return disk;
}

/** Finishes the oldest unfinished write successfully, giving it the next offsets. */
async function finishWrite(disk: ReturnType<typeof manualDisk>, index: number): Promise<void> {
  const write = disk.writes[index]!;
  write.resolve({ firstOffset: disk.next, appendedAt: 7 });
  disk.next += write.payloads.length;
  await flush();
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

class RecordingSink implements GroupCommitSink<string> {
  cancelled = false;
  events: string[] = [];
  written(item: string, offset: number): void {
    this.events.push(`${item}@${offset}`);
  }
  dropped(item: string): void {
    this.events.push(`dropped ${item}`);
  }
  failed(error: unknown): void {
    this.events.push(`failed ${(error as Error).message}`);
  }
}

const bytes = new Uint8Array([1]);

describe("GroupCommitQueue", () => {
  it("settles a failed write before starting the next, so a cancelling sink's later items are never written", async () => {
    const disk = manualDisk();
    const queue = new GroupCommitQueue<string>({ commit: (p) => disk.commit(p), maxBatch: 1 });
    const sink = new (class extends RecordingSink {
      override failed(error: unknown): void {
        super.failed(error);
        this.cancelled = true;
      }
    })();
    for (const item of ["a", "b"]) queue.offer(item, bytes, sink);
    await flush();
    disk.writes[0]!.reject(new Error("disk full"));
    await flush();
    expect(sink.events).toEqual(["failed disk full"]);
    expect(disk.writes).toHaveLength(1);
    await queue.whenIdle();
  });

  it("writes a synchronous burst as one batch", async () => {
    const disk = manualDisk();
    const queue = new GroupCommitQueue<string>({ commit: (p) => disk.commit(p) });
    const sink = new RecordingSink();
    for (const item of ["a", "b", "c"]) queue.offer(item, bytes, sink);
    await flush();
    expect(disk.writes.map((w) => w.payloads.length)).toEqual([3]);
    await finishWrite(disk, 0);
    expect(sink.events).toEqual(["a@0", "b@1", "c@2"]);
    expect(queue.batches).toBe(1);
    expect(queue.idle).toBe(true);
  });

  it("groups items that arrive during a write into the next single write", async () => {
    const disk = manualDisk();
    const queue = new GroupCommitQueue<string>({ commit: (p) => disk.commit(p) });
    const sink = new RecordingSink();
    queue.offer("a", bytes, sink);
    await flush();
    for (const item of ["b", "c", "d"]) queue.offer(item, bytes, sink);
    expect(queue.pending).toBe(3);
    expect(queue.writing).toBe(1);
    await finishWrite(disk, 0);
    expect(disk.writes.map((w) => w.payloads.length)).toEqual([1, 3]);
    expect(sink.events).toEqual(["a@0"]);
    await finishWrite(disk, 1);
    expect(sink.events).toEqual(["a@0", "b@1", "c@2", "d@3"]);
  });

  it("splits batches at maxBatch", async () => {
    const disk = manualDisk();
    const queue = new GroupCommitQueue<string>({ commit: (p) => disk.commit(p), maxBatch: 2 });
    const sink = new RecordingSink();
    for (const item of ["a", "b", "c"]) queue.offer(item, bytes, sink);
    await flush();
    await finishWrite(disk, 0);
    expect(disk.writes.map((w) => w.payloads.length)).toEqual([2, 1]);
  });

  it.each([
    ["drop_oldest", "queued", ["dropped b", "a@0", "c@1", "d@2"]],
    ["drop_newest", "dropped", ["dropped d", "a@0", "b@1", "c@2"]],
    ["latest", "queued", ["dropped b", "dropped c", "a@0", "d@1"]],
    ["reject", "rejected", ["a@0", "b@1", "c@2"]],
  ] as const)("on overflow %s, offering one more item is %s", async (overflow, result, events) => {
    const disk = manualDisk();
    const queue = new GroupCommitQueue<string>({ commit: (p) => disk.commit(p), maxPending: 2, overflow });
    const sink = new RecordingSink();
    queue.offer("a", bytes, sink);
    await flush();
    queue.offer("b", bytes, sink);
    queue.offer("c", bytes, sink);
    expect(queue.offer("d", bytes, sink)).toBe(result);
    await finishWrite(disk, 0);
    await finishWrite(disk, 1);
    expect(sink.events).toEqual(events);
    expect(queue.dropped + queue.rejected).toBe(overflow === "latest" ? 2 : 1);
  });

  it("tells every sink in a failed write, then goes on with the next", async () => {
    const disk = manualDisk();
    const queue = new GroupCommitQueue<string>({ commit: (p) => disk.commit(p) });
    const one = new RecordingSink();
    const two = new RecordingSink();
    queue.offer("a", bytes, one);
    queue.offer("b", bytes, one);
    queue.offer("x", bytes, two);
    await flush();
    queue.offer("c", bytes, two);
    disk.writes[0]!.reject(new Error("disk full"));
    await flush();
    await finishWrite(disk, 1);
    expect(one.events).toEqual(["failed disk full"]);
    expect(two.events).toEqual(["failed disk full", "c@0"]);
  });

  it("skips the waiting items of a cancelled sink", async () => {
    const disk = manualDisk();
    const queue = new GroupCommitQueue<string>({ commit: (p) => disk.commit(p) });
    const sink = new RecordingSink();
    queue.offer("a", bytes, sink);
    await flush();
    queue.offer("b", bytes, sink);
    sink.cancelled = true;
    await finishWrite(disk, 0);
    expect(disk.writes).toHaveLength(1);
    expect(sink.events).toEqual(["a@0"]);
  });

  it("whenIdle() resolves once everything queued is written", async () => {
    const disk = manualDisk();
    const queue = new GroupCommitQueue<string>({ commit: (p) => disk.commit(p) });
    await queue.whenIdle();
    queue.offer("a", bytes, new RecordingSink());
    let idle = false;
    void queue.whenIdle().then(() => (idle = true));
    await flush();
    expect(idle).toBe(false);
    await finishWrite(disk, 0);
    expect(idle).toBe(true);
  });

  it("validates its options", () => {
    const commit = (): Promise<GroupCommit> => Promise.resolve({ firstOffset: 0, appendedAt: 0 });
    expect(() => new GroupCommitQueue({ commit, maxPending: 0 })).toThrow(/maxPending must be a positive integer/);
    expect(() => new GroupCommitQueue({ commit, maxBatch: 1.5 })).toThrow(RangeError);
    expect(() => new GroupCommitQueue({ commit, overflow: "spill" as never })).toThrow(RangeError);
    expect(() => new GroupCommitQueue({ commit: 1 as never })).toThrow(TypeError);
  });
});
