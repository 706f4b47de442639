import assert from "node:assert/strict";
import { firstValueFrom, lastValueFrom, take, timeout, toArray } from "rxjs";
import { isLegoError } from "../../atom/lego-error.js";
import type { EventLogPort } from "../../ports/event-log-port.js";
import type { BackendFactory, ConformanceRunner } from "./runner.js";

/** Options of {@link eventLogConformance}. */
export interface EventLogConformanceOptions {
  /** Ms a test waits for an expected record before failing. @default 2000 */
  wait?: number;
}

interface Reading {
  readonly celsius: number;
}

/**
 * The shared conformance suite of the {@link EventLogPort} (values are JSON
 * objects), run by every backend (the LevelDB `EventLog`, a JetStream
 * stream, a third party's) with its own test runner. Each test opens a
 * fresh, empty log.
 *
 * ## Example
 * ```ts
 * eventLogConformance({ describe, it }, "LevelDB", { open: async () => EventLog.open(new MemoryLevel(…), { name: "log" }) });
 * ```
 * @lego EventLog
 */
export function eventLogConformance(
  runner: ConformanceRunner,
  name: string,
  factory: BackendFactory<EventLogPort<Reading>>,
  options: EventLogConformanceOptions = {},
): void {
  const wait = options.wait ?? 2000;
  const it = (title: string, body: () => Promise<void>): void => {
    runner.it(title, body);
  };
  const withLog = (body: (log: EventLogPort<Reading>) => Promise<void>) => async (): Promise<void> => {
    const log = await factory.open();
    try {
      await body(log);
    } finally {
      await log.close().catch(() => undefined);
      await factory.dispose?.(log);
    }
  };
  const r = (celsius: number): Reading => ({ celsius });
  const values = async (log: EventLogPort<Reading>, from = 0): Promise<number[]> =>
    (await lastValueFrom(log.replay({ from }).pipe(toArray()))).map((record) => record.value.celsius);

  runner.describe(`EventLog conformance: ${name}`, () => {
    it("appends at consecutive offsets from 0 and replays them in order", withLog(async (log) => {
      assert.equal(await log.nextOffset(), 0);
      assert.deepEqual(await log.append(r(1)), { offset: 0, duplicate: false });
      assert.deepEqual(await log.append(r(2)), { offset: 1, duplicate: false });
      assert.deepEqual(await log.append(r(3)), { offset: 2, duplicate: false });
      assert.equal(await log.nextOffset(), 3);
      const records = await lastValueFrom(log.replay().pipe(toArray()));
      assert.deepEqual(records.map((record) => [record.offset, record.value]), [[0, r(1)], [1, r(2)], [2, r(3)]]);
      assert.ok(records.every((record) => typeof record.appendedAt === "number"));
    }));

    it("replays from an offset, inclusive", withLog(async (log) => {
      for (const c of [1, 2, 3, 4]) await log.append(r(c));
      assert.deepEqual(await values(log, 2), [3, 4]);
      assert.deepEqual(await values(log, 4), []);
    }));

    it("is idempotent by id within its dedupe window", withLog(async (log) => {
      assert.ok(log.dedupeWindow > 0);
      assert.deepEqual(await log.append(r(1), { id: "m-1" }), { offset: 0, duplicate: false });
      assert.deepEqual(await log.append(r(2), { id: "m-2" }), { offset: 1, duplicate: false });
      assert.deepEqual(await log.append(r(1), { id: "m-1" }), { offset: 0, duplicate: true });
      assert.deepEqual(await values(log), [1, 2]);
    }));

    it("appends one of several concurrent appends of one id", withLog(async (log) => {
      const answers = await Promise.all([1, 2, 3].map(() => log.append(r(7), { id: "same" })));
      assert.equal(answers.filter((answer) => !answer.duplicate).length, 1);
      assert.deepEqual(await values(log), [7]);
    }));

    it("appends at an expected offset only (LOG_CONFLICT otherwise)", withLog(async (log) => {
      await log.append(r(1), { expectedOffset: 0 });
      const error: unknown = await log.append(r(2), { expectedOffset: 0 }).catch((e: unknown) => e);
      assert.ok(isLegoError(error, "LOG_CONFLICT"), `got ${String(error)}`);
      assert.deepEqual(await log.append(r(2), { expectedOffset: 1 }), { offset: 1, duplicate: false });
      assert.deepEqual(await values(log), [1, 2]);
    }));

    it("follows: emits the stored records, then new ones as they are appended", withLog(async (log) => {
      await log.append(r(1));
      const followed = firstValueFrom(log.replay({ from: 0, follow: true }).pipe(take(3), toArray(), timeout(wait)));
      await new Promise((resolve) => setImmediate(resolve));
      await log.append(r(2));
      await log.append(r(3));
      assert.deepEqual((await followed).map((record) => [record.offset, record.value.celsius]), [[0, 1], [1, 2], [2, 3]]);
    }));

    it("rejects appends after close with STORE_CLOSED", withLog(async (log) => {
      await log.close();
      const error: unknown = await log.append(r(1)).catch((e: unknown) => e);
      assert.ok(isLegoError(error, "STORE_CLOSED"), `got ${String(error)}`);
    }));
  });
}
