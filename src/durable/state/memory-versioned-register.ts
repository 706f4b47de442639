import { Observable, Subject } from "rxjs";
import { LegoError } from "../../atom/lego-error.js";
import { legoMeter, type LegoDescriptor } from "../../atom/lego-descriptor.js";
import { optionalGroup, requireObject, requirePositiveInteger } from "../../atom/validate.js";
import { requireRegisterKey } from "../../ports/register-key.js";
import type { RegisterChange, Versioned, VersionedRegister } from "../../ports/versioned-register.js";

/** Options of {@link MemoryVersionedRegister}. */
export interface MemoryVersionedRegisterOptions {
  /** Label linking the register to the component that owns it. */
  group?: string;
}

/**
 * The in-memory backend of the {@link VersionedRegister} port: one process,
 * nothing survives a restart. Versions are numbered across the register
 * (like NATS KV revisions), so they only increase, even across a delete and
 * re-create. Use it in tests and for coordination between components of one
 * process; pass a LevelDB or NATS KV register to outgrow it.
 *
 * ## Example
 * ```ts
 * const register = new MemoryVersionedRegister<string>();
 * const v1 = await register.create("leader", "node-a");
 * await register.update("leader", "node-b", v1); // ok
 * await register.update("leader", "node-c", v1); // REGISTER_CONFLICT
 * ```
 *
 * @see {@link VersionedRegister}
 * @lego VersionedRegister
 */
export class MemoryVersionedRegister<T> implements VersionedRegister<T> {
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  readonly #entries = new Map<string, Versioned<T>>();
  readonly #changes = new Subject<RegisterChange<T>>();
  readonly #meter;
  #version = 0;
  #closed = false;

  constructor(options: MemoryVersionedRegisterOptions = {}) {
    requireObject("options", options);
    this.group = optionalGroup(options.group);
    this.#meter = legoMeter("VersionedRegister", { group: this.group }, ["writes", "conflicts"]);
    this.lego = this.#meter.descriptor;
  }

  /** The highest version written so far (0 before any write). */
  get version(): number {
    return this.#version;
  }

  get(key: string): Promise<Versioned<T> | undefined> {
    return this.#run(() => this.#entries.get(requireRegisterKey("key", key)));
  }

  create(key: string, value: T): Promise<number> {
    return this.#run(() => {
      requireRegisterKey("key", key);
      if (this.#entries.has(key)) throw this.#conflict(`key ${key} already exists`);
      return this.#write(key, value);
    });
  }

  update(key: string, value: T, expectedVersion: number): Promise<number> {
    return this.#run(() => {
      requireRegisterKey("key", key);
      requirePositiveInteger("expectedVersion", expectedVersion);
      this.#expect(key, expectedVersion);
      return this.#write(key, value);
    });
  }

  put(key: string, value: T): Promise<number> {
    return this.#run(() => this.#write(requireRegisterKey("key", key), value));
  }

  delete(key: string, expectedVersion?: number): Promise<void> {
    return this.#run(() => {
      requireRegisterKey("key", key);
      if (expectedVersion !== undefined) {
        requirePositiveInteger("expectedVersion", expectedVersion);
        this.#expect(key, expectedVersion);
      }
      if (!this.#entries.delete(key)) return;
      this.#meter.count("writes");
      this.#changes.next({ key, value: undefined, version: ++this.#version, operation: "delete" });
    });
  }

  keys(prefix = ""): Promise<string[]> {
    return this.#run(() => {
      if (prefix !== "") requireRegisterKey("prefix", prefix, { prefix: true });
      return [...this.#entries.keys()].filter((key) => key.startsWith(prefix)).sort();
    });
  }

  watch(key: string): Observable<Versioned<T> | undefined> {
    requireRegisterKey("key", key);
    return this.#follow(
      () => [this.#entries.get(key)],
      (change) =>
        change.key !== key ? NONE : change.value === undefined ? undefined : { key, value: change.value, version: change.version },
    );
  }

  watchAll(prefix = ""): Observable<RegisterChange<T>> {
    if (prefix !== "") requireRegisterKey("prefix", prefix, { prefix: true });
    return this.#follow(
      () =>
        [...this.#entries.values()]
          .filter((entry) => entry.key.startsWith(prefix))
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
          .map((entry): RegisterChange<T> => ({ ...entry, operation: "put" })),
      (change) => (change.key.startsWith(prefix) ? change : NONE),
    );
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#changes.complete();
    }
    return Promise.resolve();
  }

  /** The current state (`initial`), then each change `select` maps to something other than {@link NONE}. */
  #follow<V>(initial: () => V[], select: (change: RegisterChange<T>) => V | typeof NONE): Observable<V> {
    return new Observable<V>((subscriber) => {
      if (this.#closed) {
        subscriber.error(closedError());
        return undefined;
      }
      for (const value of initial()) subscriber.next(value);
      return this.#changes.subscribe({
        next: (change) => {
          const value = select(change);
          if (value !== NONE) subscriber.next(value);
        },
        complete: () => {
          subscriber.complete();
        },
      });
    });
  }

  #write(key: string, value: T): number {
    const version = ++this.#version;
    this.#entries.set(key, Object.freeze({ key, value, version }));
    this.#meter.count("writes");
    this.#changes.next({ key, value, version, operation: "put" });
    return version;
  }

  #expect(key: string, expectedVersion: number): void {
    const current = this.#entries.get(key);
    if (current === undefined) throw this.#conflict(`key ${key} does not exist (expected version ${expectedVersion})`);
    if (current.version !== expectedVersion) {
      throw this.#conflict(`key ${key} is at version ${current.version}, not ${expectedVersion}`);
    }
  }

  #conflict(message: string): LegoError {
    this.#meter.count("conflicts");
    return new LegoError("REGISTER_CONFLICT", message, { group: this.group });
  }

  /** Runs an operation as a Promise: argument errors and conflicts reject rather than throw. */
  #run<R>(operation: () => R): Promise<R> {
    if (this.#closed) return Promise.reject(closedError());
    try {
      return Promise.resolve(operation());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/** Marks a change a watcher does not follow. */
const NONE: unique symbol = Symbol("none");

function closedError(): LegoError {
  return new LegoError("STORE_CLOSED", "the register is closed");
}
