import assert from "node:assert/strict";
import { isLegoError } from "../../atom/lego-error.js";
import type { DeduplicationStore } from "../../ports/deduplication-store.js";
import { ManualClock } from "../../time/manual-clock.js";
import type { BackendFactory, ConformanceRunner } from "./runner.js";

/** The window a {@link deduplicationStoreConformance} test opens a store with. */
export interface DeduplicationStoreTestOptions {
  /** Ids remembered at most. */
  maxEntries?: number;
  /** Ms an id is remembered. */
  ttl?: number;
  /** The clock the store must read "now" from (the suite moves it). */
  clock: ManualClock;
}

/** Options of {@link deduplicationStoreConformance}. */
export interface DeduplicationStoreConformanceOptions {
  /** Run the tests of a window by count (backends that cannot bound by count say `false`). @default true */
  countWindow?: boolean;
  /** Run the tests of a window by time on the given clock (backends whose expiry the server times say `false`). @default true */
  timeWindow?: boolean;
}

/**
 * The shared conformance suite of the {@link DeduplicationStore} port, run
 * by every backend with its own test runner. `factory.open(options)` must
 * honour the window and read time from `options.clock`.
 *
 * ## Example
 * ```ts
 * deduplicationStoreConformance({ describe, it }, "memory", {
 *   open: async (options) => new MemoryDeduplicationStore(options),
 * });
 * ```
 * @lego DeduplicationStore
 */
export function deduplicationStoreConformance(
  runner: ConformanceRunner,
  name: string,
  factory: BackendFactory<DeduplicationStore, DeduplicationStoreTestOptions>,
  options: DeduplicationStoreConformanceOptions = {},
): void {
  const it = (title: string, body: () => Promise<void>): void => {
    runner.it(title, body);
  };
  const withStore = (window: Omit<DeduplicationStoreTestOptions, "clock">, body: (store: DeduplicationStore, clock: ManualClock) => Promise<void>) =>
    async (): Promise<void> => {
      const clock = new ManualClock(1_000);
      const store = await factory.open({ ...window, clock });
      try {
        await body(store, clock);
      } finally {
        await store.close().catch(() => undefined);
        await factory.dispose?.(store);
      }
    };

  runner.describe(`DeduplicationStore conformance: ${name}`, () => {
    it("answers false the first time and true for a repeat", withStore({ maxEntries: 100 }, async (store) => {
      assert.equal(await store.has("a"), false);
      assert.equal(await store.seen("a"), false);
      assert.equal(await store.seen("a"), true);
      assert.equal(await store.has("a"), true);
      assert.equal(await store.seen("b"), false);
    }));

    it("has() does not record", withStore({ maxEntries: 100 }, async (store) => {
      assert.equal(await store.has("x"), false);
      assert.equal(await store.seen("x"), false);
    }));

    it("forget() lets an id be seen as new again", withStore({ maxEntries: 100 }, async (store) => {
      await store.seen("a");
      await store.forget("a");
      assert.equal(await store.has("a"), false);
      assert.equal(await store.seen("a"), false);
      await store.forget("never-seen");
    }));

    it("answers false to exactly one of many concurrent seen() calls of one id", withStore({ maxEntries: 100 }, async (store) => {
      const answers = await Promise.all(Array.from({ length: 8 }, () => store.seen("race")));
      assert.equal(answers.filter((answer) => !answer).length, 1);
    }));

    it("keeps ids apart (no prefix confusion)", withStore({ maxEntries: 100 }, async (store) => {
      await store.seen("ab");
      assert.equal(await store.has("a"), false);
      assert.equal(await store.has("abc"), false);
      assert.equal(await store.seen("a:b"), false);
    }));

    if (options.countWindow !== false) {
      it("forgets the oldest ids beyond maxEntries", withStore({ maxEntries: 3 }, async (store) => {
        for (const id of ["1", "2", "3", "4"]) assert.equal(await store.seen(id), false);
        assert.equal(await store.has("1"), false);
        assert.equal(await store.has("2"), true);
        assert.equal(await store.has("4"), true);
        assert.equal(await store.seen("1"), false);
        assert.equal(await store.has("2"), false);
      }));
    }

    if (options.timeWindow !== false) {
      it("forgets an id ttl ms after it was recorded", withStore({ ttl: 100 }, async (store, clock) => {
        await store.seen("a");
        clock.advance(60);
        await store.seen("b");
        clock.advance(39);
        assert.equal(await store.has("a"), true);
        assert.equal(await store.seen("a"), true);
        clock.advance(1);
        assert.equal(await store.has("a"), false);
        assert.equal(await store.has("b"), true);
        assert.equal(await store.seen("a"), false);
        clock.advance(60);
        assert.equal(await store.has("b"), false);
      }));
    }

    it("rejects with STORE_CLOSED after close", withStore({ maxEntries: 10 }, async (store) => {
      await store.close();
      const error: unknown = await store.seen("a").catch((e: unknown) => e);
      assert.ok(isLegoError(error, "STORE_CLOSED"), `got ${String(error)}`);
    }));
  });
}
