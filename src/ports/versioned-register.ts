import type { Observable } from "rxjs";

/**
 * One key's current value and the version that wrote it.
 *
 * Versions are positive integers that only increase: every write of a key
 * (create, update, put) gets a version greater than any version that key
 * had before, even across a delete and re-create. A backend may number
 * versions across the whole register (as NATS KV revisions do), so two keys
 * never share a version. That is what lets a version serve as a
 * {@link https://martin.kleppmann.com/2016/02/08/how-to-do-distributed-locking.html fencing token}.
 */
export interface Versioned<T> {
  readonly key: string;
  readonly value: T;
  readonly version: number;
}

/**
 * A change seen by {@link VersionedRegister.watchAll}: a write (value set) or
 * a delete (value `undefined`), with the version of the change.
 */
export interface RegisterChange<T> {
  readonly key: string;
  readonly value: T | undefined;
  readonly version: number;
  readonly operation: "put" | "delete";
}

/**
 * The port of the catalog's `VersionedRegister` (capability `CompareAndSwap`):
 * keyed values with versions and conditional writes. Written once and run on
 * every backend (memory, LevelDB, NATS KV); each backend passes
 * `versionedRegisterConformance` from `manyfold-rx/testing`.
 *
 * Keys are non-empty strings of `A–Z a–z 0–9 _ = - / .`, not starting or
 * ending with `.` (the NATS KV key alphabet, so every backend accepts the
 * same keys); anything else is a `TypeError`/`RangeError` at the call.
 *
 * Failures of a condition reject with `LegoError` `REGISTER_CONFLICT` (the
 * error's `cause` may carry the backend's own error); a closed register
 * rejects with `STORE_CLOSED`.
 *
 * @lego VersionedRegister
 */
export interface VersionedRegister<T> {
  /** The key's value and version, or `undefined` when absent (never written or deleted). */
  get(key: string): Promise<Versioned<T> | undefined>;
  /** Writes a key that is absent; `REGISTER_CONFLICT` when it is present. Resolves to the new version. */
  create(key: string, value: T): Promise<number>;
  /**
   * Writes a key whose current version is `expectedVersion`;
   * `REGISTER_CONFLICT` when it is absent or at another version. Resolves to
   * the new version.
   */
  update(key: string, value: T, expectedVersion: number): Promise<number>;
  /** Writes a key unconditionally. Resolves to the new version. */
  put(key: string, value: T): Promise<number>;
  /**
   * Removes a key. With `expectedVersion`, only when the key is at that
   * version (`REGISTER_CONFLICT` otherwise, also when absent); without it,
   * deleting an absent key is a no-op.
   */
  delete(key: string, expectedVersion?: number): Promise<void>;
  /** The present keys starting with `prefix` (all keys by default), sorted. */
  keys(prefix?: string): Promise<string[]>;
  /**
   * One key's state: the current value (or `undefined` when absent) on
   * subscribe, then every later write and delete in version order.
   */
  watch(key: string): Observable<Versioned<T> | undefined>;
  /**
   * Every key starting with `prefix`: first one `put` change per present key
   * (sorted by key), then every later change in version order.
   */
  watchAll(prefix?: string): Observable<RegisterChange<T>>;
  /** Releases the backend's resources; later calls reject with `STORE_CLOSED`. */
  close(): Promise<void>;
}
