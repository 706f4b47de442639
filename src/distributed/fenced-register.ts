import { isLegoError, LegoError } from "../atom/lego-error.js";
import { legoMeter, type LegoDescriptor } from "../atom/lego-descriptor.js";
import { optional, optionalGroup, requireNonEmptyString, requireObject, requirePositiveInteger } from "../atom/validate.js";
import { requireRegisterKey } from "../ports/register-key.js";
import type { Versioned, VersionedRegister } from "../ports/versioned-register.js";
import { requireRegister } from "./coordination-validate.js";
import { fencingToken, type FencingToken } from "./fencing-token.js";

/**
 * What a fenced register stores under each key: the value and the token of
 * the write that put it there. The floor record (see
 * {@link FencedRegisterOptions.floorKey}) has a token and no value.
 */
export interface FencedRecord<T> {
  readonly token: FencingToken;
  readonly value?: T;
}

/** A value read back from a {@link FencedRegister}, with the token that wrote it. */
export interface FencedEntry<T> extends Versioned<T> {
  readonly token: FencingToken;
}

/** Options of {@link fencedRegister}. */
export interface FencedRegisterOptions {
  /**
   * The key holding the register-wide floor: the highest token any write
   * through a fenced register on this register has carried.
   * @default "_fence"
   */
  floorKey?: string;
  /**
   * How many times a write re-reads and retries when another writer changed
   * the key (or the floor) between its read and its conditional write; then
   * it rejects with `REGISTER_CONFLICT`.
   * @default 16
   */
  maxAttempts?: number;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
  /** Group label. @default undefined */
  group?: string;
}

/**
 * A store guarded by fencing tokens: every write carries the writer's
 * {@link FencingToken} (its lease's), and the store itself refuses a write
 * whose token is older than the newest it has accepted, with `LegoError`
 * `FENCED`. Built by {@link fencedRegister}.
 */
export interface FencedRegister<T> {
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  /** The key's value, its version and the token of the write that put it. */
  get(key: string): Promise<FencedEntry<T> | undefined>;
  /** Writes `value` under `token`; `FENCED` when `token` is older than the key's or the floor's. Resolves to the new version. */
  put(key: string, value: T, token: FencingToken): Promise<number>;
  /** Removes the key under `token` (the key remembers nothing after, so the floor is what still fences it). */
  delete(key: string, token: FencingToken): Promise<void>;
  /** The register-wide floor: the highest token accepted so far (0 before any write). */
  floor(): Promise<number>;
}

/**
 * Guards a {@link VersionedRegister} with fencing tokens, at the resource:
 * the check happens in the store, so a holder that lost its lease while
 * paused (GC, swap, partition) is refused even though it still believes it
 * holds the lease.
 *
 * Two checks, both against what the register holds:
 * 1. **Per key, atomic.** Each key stores the token of the write that put
 *    it. A write reads the key, refuses a token lower than the stored one
 *    (`FENCED`) and writes with a compare-and-swap on the version it read;
 *    if another write slipped in, it reads again. So once a write with
 *    token 9 landed on a key, no write with token 7 ever lands on it.
 * 2. **Register-wide floor.** The register also keeps the highest token any
 *    write carried (under `floorKey`), raised by compare-and-swap before the
 *    write; a token below it is `FENCED` even on a key the new holder has
 *    not written yet. This check and the write are two operations (a
 *    register has no multi-key transaction), so a stale write that read the
 *    floor just before the new holder raised it can still land on a key the
 *    new holder has not touched — the new holder's first write of that key
 *    then replaces it. Give the new holder's first act a write of every key
 *    it owns when that window matters.
 *
 * Equal tokens pass: one holder writes many times under one grant.
 *
 * ## Example
 * ```ts
 * const store = fencedRegister(new MemoryVersionedRegister<FencedRecord<string>>());
 * await store.put("config", "v1", 7);
 * await store.put("config", "v2", 9);
 * await store.put("config", "v3", 7); // rejects: LegoError FENCED
 * ```
 * Counters on `lego`: `accepted`, `fenced`, `retries`.
 * @see {@link lease} whose grants carry the tokens, {@link fence} the same check on a stream.
 * @lego FencingToken
 */
export function fencedRegister<T>(
  register: VersionedRegister<FencedRecord<T>>,
  options: FencedRegisterOptions = {},
): FencedRegister<T> {
  requireRegister("register", register);
  requireObject("options", options);
  const floorKey = optional("floorKey", options.floorKey, (n, v) => requireRegisterKey(n, v)) ?? "_fence";
  const maxAttempts = optional("maxAttempts", options.maxAttempts, requirePositiveInteger) ?? 16;
  const name = optional("name", options.name, requireNonEmptyString);
  const group = optionalGroup(options.group);
  const meter = legoMeter("FencingToken", { name, group }, ["accepted", "fenced", "retries"]);

  function fenced(token: number, newest: number, where: string): LegoError {
    meter.count("fenced");
    return new LegoError("FENCED", `token ${token} is stale: ${where} already accepted token ${newest}`, { group });
  }

  /** Raises the floor to `token` (or checks it is not below). */
  async function raiseFloor(token: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const floor = await register.get(floorKey);
      if (floor !== undefined && token < floor.value.token) throw fenced(token, floor.value.token, "the register");
      if (floor !== undefined && token === floor.value.token) return;
      try {
        if (floor === undefined) await register.create(floorKey, { token });
        else await register.update(floorKey, { token }, floor.version);
        return;
      } catch (error) {
        if (!isLegoError(error, "REGISTER_CONFLICT") || attempt >= maxAttempts) throw error;
        meter.count("retries");
      }
    }
  }

  /** Runs a conditional write of `key` under `token`, re-reading on a conflict. */
  async function write<R>(key: string, token: number, apply: (current: Versioned<FencedRecord<T>> | undefined) => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      await raiseFloor(token);
      const current = await register.get(key);
      if (current !== undefined && token < current.value.token) throw fenced(token, current.value.token, `key ${key}`);
      try {
        const result = await apply(current);
        meter.count("accepted");
        return result;
      } catch (error) {
        if (!isLegoError(error, "REGISTER_CONFLICT") || attempt >= maxAttempts) throw error;
        meter.count("retries");
      }
    }
  }

  function dataKey(key: unknown): string {
    const checked = requireRegisterKey("key", key);
    if (checked === floorKey) throw new RangeError(`key must not be the floor key ${floorKey}`);
    return checked;
  }

  const store: FencedRegister<T> = {
    lego: meter.descriptor,
    group,
    async get(key) {
      const entry = await register.get(dataKey(key));
      if (entry === undefined) return undefined;
      return { key: entry.key, value: entry.value.value as T, version: entry.version, token: entry.value.token };
    },
    async put(key, value, token) {
      const k = dataKey(key);
      const t = fencingToken(token);
      return write(k, t, (current) =>
        current === undefined ? register.create(k, { token: t, value }) : register.update(k, { token: t, value }, current.version),
      );
    },
    async delete(key, token) {
      const k = dataKey(key);
      const t = fencingToken(token);
      await write(k, t, async (current) => {
        if (current !== undefined) await register.delete(k, current.version);
      });
    },
    async floor() {
      return (await register.get(floorKey))?.value.token ?? 0;
    },
  };
  return store;
}
