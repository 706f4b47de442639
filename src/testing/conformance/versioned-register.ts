import assert from "node:assert/strict";
import { firstValueFrom, take, timeout, toArray } from "rxjs";
import { isLegoError } from "../../atom/lego-error.js";
import type { VersionedRegister } from "../../ports/versioned-register.js";
import type { BackendFactory, ConformanceRunner } from "./runner.js";

/** Options of {@link versionedRegisterConformance}. */
export interface VersionedRegisterConformanceOptions {
  /** Ms a test waits for an expected change before failing. @default 2000 */
  wait?: number;
}

interface Reading {
  readonly celsius: number;
}

/**
 * The shared conformance suite of the {@link VersionedRegister} port (values
 * are JSON objects), run by every backend (memory, LevelDB, NATS KV, a third
 * party's) with its own test runner. Each test opens a fresh, empty register.
 *
 * ## Example
 * ```ts
 * versionedRegisterConformance({ describe, it }, "memory", { open: async () => new MemoryVersionedRegister() });
 * ```
 * @lego VersionedRegister
 */
export function versionedRegisterConformance(
  runner: ConformanceRunner,
  name: string,
  factory: BackendFactory<VersionedRegister<Reading>>,
  options: VersionedRegisterConformanceOptions = {},
): void {
  const wait = options.wait ?? 2000;
  const it = (title: string, body: () => Promise<void>): void => {
    runner.it(title, body);
  };
  const withRegister = (body: (register: VersionedRegister<Reading>) => Promise<void>) => async (): Promise<void> => {
    const register = await factory.open();
    try {
      await body(register);
    } finally {
      await register.close().catch(() => undefined);
      await factory.dispose?.(register);
    }
  };
  const conflict = async (operation: Promise<unknown>): Promise<void> => {
    const error: unknown = await operation.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isLegoError(error, "REGISTER_CONFLICT"), `expected REGISTER_CONFLICT, got ${String(error)}`);
  };
  const r = (celsius: number): Reading => ({ celsius });

  runner.describe(`VersionedRegister conformance: ${name}`, () => {
    it("creates an absent key and reads it back with its version", withRegister(async (register) => {
      assert.equal(await register.get("room.temp"), undefined);
      const version = await register.create("room.temp", r(21));
      assert.ok(Number.isInteger(version) && version > 0);
      assert.deepEqual(await register.get("room.temp"), { key: "room.temp", value: r(21), version });
    }));

    it("refuses to create a present key", withRegister(async (register) => {
      await register.create("k", r(1));
      await conflict(register.create("k", r(2)));
      assert.deepEqual((await register.get("k"))?.value, r(1));
    }));

    it("updates at the expected version only; versions increase", withRegister(async (register) => {
      const v1 = await register.create("k", r(1));
      const v2 = await register.update("k", r(2), v1);
      assert.ok(v2 > v1);
      await conflict(register.update("k", r(3), v1));
      await conflict(register.update("absent", r(3), v1));
      assert.deepEqual(await register.get("k"), { key: "k", value: r(2), version: v2 });
    }));

    it("lets exactly one of two writers with the same expected version win", withRegister(async (register) => {
      const v1 = await register.create("k", r(0));
      const results = await Promise.allSettled([register.update("k", r(1), v1), register.update("k", r(2), v1)]);
      assert.equal(results.filter((result) => result.status === "fulfilled").length, 1);
    }));

    it("puts unconditionally", withRegister(async (register) => {
      const v1 = await register.put("k", r(1));
      const v2 = await register.put("k", r(2));
      assert.ok(v2 > v1);
      assert.deepEqual((await register.get("k"))?.value, r(2));
    }));

    it("deletes, conditionally or not; versions keep increasing across a re-create", withRegister(async (register) => {
      const v1 = await register.create("k", r(1));
      await conflict(register.delete("k", v1 + 1000));
      await register.delete("k", v1);
      assert.equal(await register.get("k"), undefined);
      await register.delete("k");
      await conflict(register.delete("k", v1));
      const v2 = await register.create("k", r(2));
      assert.ok(v2 > v1);
    }));

    it("lists present keys by prefix, sorted", withRegister(async (register) => {
      await register.put("b.x", r(1));
      await register.put("a.y", r(2));
      await register.put("a.x", r(3));
      await register.put("a.z", r(4));
      await register.delete("a.z");
      assert.deepEqual(await register.keys(), ["a.x", "a.y", "b.x"]);
      assert.deepEqual(await register.keys("a."), ["a.x", "a.y"]);
    }));

    it("refuses keys outside the shared alphabet", withRegister(async (register) => {
      await assert.rejects(register.put("has space", r(1)), RangeError);
      await assert.rejects(register.put(".lead", r(1)), RangeError);
      await assert.rejects(register.get(""), RangeError);
    }));

    it("watch emits the current state, then each write and delete of that key", withRegister(async (register) => {
      const v1 = await register.put("k", r(1));
      const changes = firstValueFrom(register.watch("k").pipe(take(4), toArray(), timeout(wait)));
      await new Promise((resolve) => setImmediate(resolve));
      const v2 = await register.update("k", r(2), v1);
      await register.put("other", r(9));
      await register.delete("k");
      const v3 = await register.create("k", r(3));
      assert.deepEqual(await changes, [
        { key: "k", value: r(1), version: v1 },
        { key: "k", value: r(2), version: v2 },
        undefined,
        { key: "k", value: r(3), version: v3 },
      ]);
    }));

    it("watchAll emits one put per present key (sorted), then later changes in version order", withRegister(async (register) => {
      const va = await register.put("p.a", r(1));
      const vb = await register.put("p.b", r(2));
      await register.put("q.c", r(3));
      const changes = firstValueFrom(register.watchAll("p.").pipe(take(4), toArray(), timeout(wait)));
      await new Promise((resolve) => setImmediate(resolve));
      const vc = await register.put("p.c", r(4));
      await register.delete("p.a");
      const seen = await changes;
      assert.deepEqual(seen.slice(0, 3), [
        { key: "p.a", value: r(1), version: va, operation: "put" },
        { key: "p.b", value: r(2), version: vb, operation: "put" },
        { key: "p.c", value: r(4), version: vc, operation: "put" },
      ]);
      const last = seen[3];
      assert.equal(last?.operation, "delete");
      assert.equal(last.key, "p.a");
      assert.equal(last.value, undefined);
      assert.ok(last.version > vc);
    }));

    it("rejects with STORE_CLOSED after close", withRegister(async (register) => {
      await register.close();
      const error: unknown = await register.get("k").catch((e: unknown) => e);
      assert.ok(isLegoError(error, "STORE_CLOSED"), `got ${String(error)}`);
    }));
  });
}
