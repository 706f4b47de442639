import assert from "node:assert/strict";
import { isLegoError } from "../../atom/lego-error.js";
import type { IdempotencyStore } from "../../ports/idempotency-store.js";
import { ManualClock } from "../../time/manual-clock.js";
import type { BackendFactory, ConformanceRunner } from "./runner.js";

/** What an {@link idempotencyStoreConformance} test opens a store with. */
export interface IdempotencyStoreTestOptions {
  /** Ms a completed result is kept. */
  ttl: number;
  /** Ms an unfinished run blocks its key. */
  inProgressTimeout: number;
  /** The clock the store must read "now" from (the suite moves it). */
  clock: ManualClock;
}

/** Options of {@link idempotencyStoreConformance}. */
export interface IdempotencyStoreConformanceOptions {
  /** Run the expiry tests on the given clock (backends whose expiry the server times say `false`). @default true */
  timeWindow?: boolean;
}

interface Receipt {
  readonly id: string;
  readonly amount: number;
}

/**
 * The shared conformance suite of the {@link IdempotencyStore} port (results
 * are JSON objects), run by every backend with its own test runner.
 * `factory.open(options)` must honour `ttl`, `inProgressTimeout` and read
 * time from `options.clock`.
 *
 * ## Example
 * ```ts
 * idempotencyStoreConformance({ describe, it }, "memory", { open: async (o) => new MemoryIdempotencyStore(o) });
 * ```
 * @lego IdempotencyStore
 */
export function idempotencyStoreConformance(
  runner: ConformanceRunner,
  name: string,
  factory: BackendFactory<IdempotencyStore<Receipt>, IdempotencyStoreTestOptions>,
  options: IdempotencyStoreConformanceOptions = {},
): void {
  const it = (title: string, body: () => Promise<void>): void => {
    runner.it(title, body);
  };
  const withStore = (body: (store: IdempotencyStore<Receipt>, clock: ManualClock) => Promise<void>) => async (): Promise<void> => {
    const clock = new ManualClock(1_000);
    const store = await factory.open({ ttl: 1_000, inProgressTimeout: 100, clock });
    try {
      await body(store, clock);
    } finally {
      await store.close().catch(() => undefined);
      await factory.dispose?.(store);
    }
  };
  const receipt = (id: string, amount: number): Receipt => ({ id, amount });
  /** Waits until a run's in-progress mark is visible (a backend writes it asynchronously). */
  const markedInProgress = async (store: IdempotencyStore<Receipt>, key: string): Promise<void> => {
    for (let i = 0; i < 10_000; i++) {
      if ((await store.get(key))?.state === "in-progress") return;
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.fail(`the run of ${key} never showed as in progress`);
  };

  runner.describe(`IdempotencyStore conformance: ${name}`, () => {
    it("runs once and answers repeats with the stored result", withStore(async (store) => {
      let calls = 0;
      const first = await store.run("k", () => {
        calls++;
        return receipt("r1", 5);
      });
      const again = await store.run("k", () => {
        calls++;
        return receipt("r2", 6);
      });
      assert.deepEqual(first, receipt("r1", 5));
      assert.deepEqual(again, receipt("r1", 5));
      assert.equal(calls, 1);
      const record = await store.get("k");
      assert.ok(record?.state === "completed", `state: ${String(record?.state)}`);
      assert.deepEqual(record.result, receipt("r1", 5));
    }));

    it("awaits an async operation", withStore(async (store) => {
      const result = await store.run("k", () => Promise.resolve(receipt("async", 1)));
      assert.deepEqual(result, receipt("async", 1));
    }));

    it("frees the key when the operation fails, and rethrows its error", withStore(async (store) => {
      const boom = new Error("boom");
      const error: unknown = await store.run("k", () => Promise.reject(boom)).catch((e: unknown) => e);
      assert.equal(error, boom);
      assert.equal(await store.get("k"), undefined);
      assert.deepEqual(await store.run("k", () => receipt("retry", 2)), receipt("retry", 2));
    }));

    it("refuses a concurrent run of the same key with IDEMPOTENCY_IN_PROGRESS", withStore(async (store) => {
      let release: () => void = () => undefined;
      const first = store.run("k", () => new Promise<Receipt>((resolve) => (release = () => { resolve(receipt("slow", 1)); })));
      await markedInProgress(store, "k");
      const error: unknown = await store.run("k", () => receipt("second", 2)).catch((e: unknown) => e);
      assert.ok(isLegoError(error, "IDEMPOTENCY_IN_PROGRESS"), `got ${String(error)}`);
      release();
      assert.deepEqual(await first, receipt("slow", 1));
    }));

    it("refuses a repeat with another fingerprint with IDEMPOTENCY_MISMATCH", withStore(async (store) => {
      await store.run("k", () => receipt("a", 1), { fingerprint: "sha:1" });
      assert.deepEqual(await store.run("k", () => receipt("b", 2), { fingerprint: "sha:1" }), receipt("a", 1));
      const error: unknown = await store.run("k", () => receipt("b", 2), { fingerprint: "sha:2" }).catch((e: unknown) => e);
      assert.ok(isLegoError(error, "IDEMPOTENCY_MISMATCH"), `got ${String(error)}`);
    }));

    it("keeps keys apart", withStore(async (store) => {
      await store.run("a", () => receipt("a", 1));
      assert.deepEqual(await store.run("ab", () => receipt("ab", 2)), receipt("ab", 2));
      assert.equal(await store.get("b"), undefined);
    }));

    if (options.timeWindow !== false) {
      it("runs again once the stored result expired (ttl)", withStore(async (store, clock) => {
        await store.run("k", () => receipt("old", 1));
        clock.advance(999);
        assert.deepEqual(await store.run("k", () => receipt("new", 2)), receipt("old", 1));
        clock.advance(1);
        assert.equal(await store.get("k"), undefined);
        assert.deepEqual(await store.run("k", () => receipt("new", 2)), receipt("new", 2));
      }));

      it("lets a run left in progress (a crash) be taken over after inProgressTimeout", withStore(async (store, clock) => {
        let release: () => void = () => undefined;
        const stuck = store.run("k", () => new Promise<Receipt>((resolve) => (release = () => { resolve(receipt("late", 9)); })));
        await markedInProgress(store, "k");
        clock.advance(99);
        assert.ok(isLegoError(await store.run("k", () => receipt("x", 0)).catch((e: unknown) => e), "IDEMPOTENCY_IN_PROGRESS"));
        clock.advance(1);
        assert.deepEqual(await store.run("k", () => receipt("taken-over", 3)), receipt("taken-over", 3));
        release();
        await stuck;
        const record = await store.get("k");
        assert.equal(record?.state, "completed");
      }));
    }

    it("rejects with STORE_CLOSED after close", withStore(async (store) => {
      await store.close();
      const error: unknown = await store.run("k", () => receipt("x", 1)).catch((e: unknown) => e);
      assert.ok(isLegoError(error, "STORE_CLOSED"), `got ${String(error)}`);
    }));
  });
}
