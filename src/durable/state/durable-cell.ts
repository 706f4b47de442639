import { map, type Observable } from "rxjs";
import { legoMeter, type LegoDescriptor, type LegoMeter } from "../../atom/lego-descriptor.js";
import { isLegoError } from "../../atom/lego-error.js";
import { optionalGroup, requireFunction, requireObject, requirePositiveInteger } from "../../atom/validate.js";
import { requireRegisterKey } from "../../ports/register-key.js";
import type { VersionedRegister } from "../../ports/versioned-register.js";
import { requireMethods } from "../durable-validate.js";

/** Options of {@link DurableCell}. */
export interface DurableCellOptions {
  /** Attempts of {@link DurableCell.update} when other writers keep winning. @default 10 */
  maxAttempts?: number;
  /** Label linking the cell to the component that owns it. @default undefined */
  group?: string;
}

/**
 * The catalog's `DurableCell`: one durable value (a key of a
 * {@link VersionedRegister}) with atomic replace and a change stream. After
 * a write succeeds every read — after a restart too, on a persistent
 * register — returns it until the next write. `update(fn)` is a
 * compare-and-swap loop, so concurrent updaters never lose each other's
 * writes. Counters: `writes`, `retries`.
 *
 * ```text
 * changes$:  v0----v1------undefined----v2--   (current on subscribe, then every write/delete)
 * ```
 *
 * ## Example
 * ```ts
 * const cursor = new DurableCell<number>(await LevelVersionedRegister.open(db), "uplink.cursor");
 * await cursor.update((n = 0) => n + 1);
 * cursor.changes$.subscribe((n) => console.log("cursor", n));
 * ```
 * @see {@link VersionedRegister}, {@link MetadataStore}
 * @lego DurableCell
 */
export class DurableCell<T> {
  readonly key: string;
  readonly group: string | undefined;
  readonly lego: LegoDescriptor;
  /** The value on subscribe (`undefined` when unset), then every change. */
  readonly changes$: Observable<T | undefined>;
  readonly #register: VersionedRegister<T>;
  readonly #maxAttempts: number;
  readonly #meter: LegoMeter;

  constructor(register: VersionedRegister<T>, key: string, options: DurableCellOptions = {}) {
    this.#register = requireMethods("register", register, ["get", "put", "update", "create", "delete", "watch"]) as unknown as VersionedRegister<T>;
    this.key = requireRegisterKey("key", key);
    requireObject("options", options);
    this.#maxAttempts = requirePositiveInteger("maxAttempts", options.maxAttempts ?? 10);
    this.group = optionalGroup(options.group);
    this.#meter = legoMeter("DurableCell", { name: this.key, group: this.group }, ["writes", "retries"]);
    this.lego = this.#meter.descriptor;
    this.changes$ = register.watch(this.key).pipe(map((entry) => entry?.value));
  }

  /** The current value, or `undefined` when unset. */
  async get(): Promise<T | undefined> {
    return (await this.#register.get(this.key))?.value;
  }

  /** Replaces the value; resolves to its version. */
  async set(value: T): Promise<number> {
    const version = await this.#register.put(this.key, value);
    this.#meter.count("writes");
    return version;
  }

  /**
   * Replaces the value with `fn(current)` atomically: when another writer
   * changed it meanwhile, `fn` runs again on the new value (up to
   * `maxAttempts`, then `REGISTER_CONFLICT`). Resolves to the value written.
   */
  async update(fn: (current: T | undefined) => T): Promise<T> {
    requireFunction("fn", fn);
    for (let attempt = 1; ; attempt++) {
      const current = await this.#register.get(this.key);
      const next = fn(current?.value);
      try {
        if (current === undefined) await this.#register.create(this.key, next);
        else await this.#register.update(this.key, next, current.version);
        this.#meter.count("writes");
        return next;
      } catch (error) {
        if (!isLegoError(error, "REGISTER_CONFLICT") || attempt >= this.#maxAttempts) throw error;
        this.#meter.count("retries");
      }
    }
  }

  /** Unsets the value. */
  async clear(): Promise<void> {
    await this.#register.delete(this.key);
    this.#meter.count("writes");
  }
}

