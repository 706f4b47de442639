import { legoMeter, type LegoDescriptor, type LegoMeter } from "../../atom/lego-descriptor.js";
import { LegoError, messageOf } from "../../atom/lego-error.js";
import { optional, requireBoolean, requireNonEmptyString, requirePositiveInteger } from "../../atom/validate.js";
import type { Codec } from "../../local/schema.js";
import { jsonCodec } from "../../local/value-codecs.js";
import type { IdempotencyRecord, IdempotencyStore, IdempotentRunOptions } from "../../ports/idempotency-store.js";
import { requireCodec } from "../durable-validate.js";
import { Keyspace } from "../keyspace.js";
import type { LevelDatabase } from "../level-database.js";
import {
  completedRecord,
  decideRun,
  inProgressRecord,
  validateIdempotencyOptions,
  validateRun,
  type IdempotencyStoreOptions,
  type ValidatedIdempotency,
} from "./memory-idempotency-store.js";

/** Options of {@link LevelIdempotencyStore.open}. */
export interface LevelIdempotencyStoreOptions<R> extends Omit<IdempotencyStoreOptions, "maxEntries"> {
  /** The keyspace holding the records. @default "idempotency" */
  name?: string;
  /** Encodes results. @default jsonCodec() */
  codec?: Codec<R>;
  /** fsync each record write. @default false */
  sync?: boolean;
  /** Expired records are purged on open and after this many completed runs. @default 1000 */
  purgeEvery?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Header {
  readonly state: "in-progress" | "completed";
  readonly fingerprint?: string;
  readonly startedAt?: number;
  readonly completedAt?: number;
  readonly expiresAt: number;
}

/**
 * The LevelDB backend of the {@link IdempotencyStore} port: records (in
 * progress, or completed with the result encoded by `codec`) persist in a
 * {@link Keyspace}, so a result is returned to repeats across restarts and a
 * run left in progress by a crash blocks its key only until
 * `inProgressTimeout` passes. Within one process the check and the
 * in-progress mark are one step (no two runs of a key start together).
 * Storage is bounded by time: expired records are purged on open and every
 * `purgeEvery` completed runs. Counters: `runs`, `hits`, `failures`,
 * `conflicts`, `purged`.
 *
 * ## Example
 * ```ts
 * const store = await LevelIdempotencyStore.open<Receipt>(db, { ttl: 86_400_000 });
 * const receipt = await store.run(request.id, () => charge(request), { fingerprint: hash(request) });
 * ```
 * @see {@link MemoryIdempotencyStore}, `idempotencyStoreConformance`
 * @lego IdempotencyStore
 */
export class LevelIdempotencyStore<R> implements IdempotencyStore<R> {
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  readonly keyspace: Keyspace;
  readonly #settings: ValidatedIdempotency;
  readonly #codec: Codec<R>;
  readonly #sync: boolean;
  readonly #purgeEvery: number;
  readonly #meter: LegoMeter;
  #completions = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(keyspace: Keyspace, settings: ValidatedIdempotency, codec: Codec<R>, sync: boolean, purgeEvery: number) {
    this.keyspace = keyspace;
    this.#settings = settings;
    this.group = settings.group;
    this.#codec = codec;
    this.#sync = sync;
    this.#purgeEvery = purgeEvery;
    this.#meter = legoMeter("IdempotencyStore", { name: keyspace.name, group: settings.group }, ["runs", "hits", "failures", "conflicts", "purged"]);
    this.lego = this.#meter.descriptor;
  }

  /** Opens (or creates) the store in `parent` and purges expired records. */
  static async open<R = unknown>(parent: LevelDatabase | Keyspace, options: LevelIdempotencyStoreOptions<R> = {}): Promise<LevelIdempotencyStore<R>> {
    const settings = validateIdempotencyOptions(options);
    const name = optional("name", options.name, requireNonEmptyString) ?? "idempotency";
    const codec = options.codec === undefined ? jsonCodec<R>() : requireCodec<R>("codec", options.codec);
    const sync = optional("sync", options.sync, requireBoolean) ?? false;
    const purgeEvery = requirePositiveInteger("purgeEvery", options.purgeEvery ?? 1000);
    const keyspace = new Keyspace(parent, { name, ...(settings.group === undefined ? {} : { group: settings.group }) });
    await keyspace.ready();
    const store = new LevelIdempotencyStore<R>(keyspace, settings, codec, sync, purgeEvery);
    await store.purge();
    return store;
  }

  async run(key: string, fn: () => R | Promise<R>, options: IdempotentRunOptions = {}): Promise<R> {
    this.#assertOpen();
    const fingerprint = validateRun(key, fn, options);
    const { clock, ttl, inProgressTimeout, group } = this.#settings;
    // Check and mark as one step.
    const claim = await this.#serialize(async () => {
      this.#assertOpen();
      const decision = decideRun(key, await this.#read(key), fingerprint, clock.now(), group);
      if (decision !== undefined) return decision;
      const mark = inProgressRecord(fingerprint, clock.now(), inProgressTimeout);
      await this.keyspace.put(key, this.#encode(mark), { sync: this.#sync });
      return mark;
    });
    if (claim instanceof LegoError) {
      this.#meter.count("conflicts");
      throw claim;
    }
    if ("result" in claim) {
      this.#meter.count("hits");
      return claim.result;
    }
    this.#meter.count("runs");
    let result: R;
    try {
      result = await fn();
    } catch (error) {
      this.#meter.count("failures");
      await this.#serialize(async () => {
        if (this.#closed) return;
        const current = await this.#read(key);
        if (current?.state === "in-progress" && current.startedAt === claim.startedAt) await this.keyspace.del(key, { sync: this.#sync });
      }).catch(() => undefined);
      throw error;
    }
    const completed = completedRecord(result, fingerprint, clock.now(), ttl);
    await this.#serialize(() => this.keyspace.put(key, this.#encode(completed), { sync: this.#sync }));
    if (++this.#completions % this.#purgeEvery === 0) await this.purge();
    return result;
  }

  async get(key: string): Promise<IdempotencyRecord<R> | undefined> {
    this.#assertOpen();
    requireNonEmptyString("key", key);
    const record = await this.#read(key);
    return record === undefined || record.expiresAt <= this.#settings.clock.now() ? undefined : record;
  }

  /** Deletes the expired records now; resolves with how many went. */
  purge(): Promise<number> {
    return this.#serialize(async () => {
      this.#assertOpen();
      const now = this.#settings.clock.now();
      const stale: string[] = [];
      for await (const [key, bytes] of this.keyspace.entries()) {
        const header = headerOf(bytes);
        if (header === undefined || header.expiresAt <= now) stale.push(key);
      }
      if (stale.length > 0) await this.keyspace.write(stale.map((key) => ({ type: "del" as const, key })));
      this.#meter.count("purged", stale.length);
      return stale.length;
    });
  }

  /** Waits for writes in flight, then refuses further use (the database stays open: it is the caller's). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    await this.keyspace.close();
  }

  async #read(key: string): Promise<IdempotencyRecord<R> | undefined> {
    const bytes = await this.keyspace.get(key);
    if (bytes === undefined) return undefined;
    const split = bytes.indexOf(0x0a);
    const header = headerOf(bytes);
    if (header === undefined) return undefined;
    const base = header.fingerprint === undefined ? {} : { fingerprint: header.fingerprint };
    if (header.state === "in-progress") {
      return { state: "in-progress", ...base, startedAt: header.startedAt ?? 0, expiresAt: header.expiresAt };
    }
    let result: R;
    try {
      result = this.#codec.decode(bytes.subarray(split + 1));
    } catch (error) {
      throw new LegoError("DECODE_FAILED", `idempotency store "${this.keyspace.name}": the result of ${key} cannot be decoded: ${messageOf(error)}`, {
        cause: error,
        group: this.group,
      });
    }
    return { state: "completed", ...base, result, completedAt: header.completedAt ?? 0, expiresAt: header.expiresAt };
  }

  #encode(record: IdempotencyRecord<R>): Uint8Array {
    const header: Header =
      record.state === "in-progress"
        ? { state: record.state, ...fingerprintOf(record), startedAt: record.startedAt, expiresAt: record.expiresAt }
        : { state: record.state, ...fingerprintOf(record), completedAt: record.completedAt, expiresAt: record.expiresAt };
    const head = encoder.encode(`${JSON.stringify(header)}\n`);
    let body: Uint8Array = new Uint8Array();
    if (record.state === "completed") {
      try {
        body = this.#codec.encode(record.result);
      } catch (error) {
        throw new LegoError("ENCODE_FAILED", `idempotency store "${this.keyspace.name}": the result cannot be encoded: ${messageOf(error)}`, {
          cause: error,
          group: this.group,
        });
      }
    }
    const bytes = new Uint8Array(head.length + body.length);
    bytes.set(head, 0);
    bytes.set(body, head.length);
    return bytes;
  }

  #serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #assertOpen(): void {
    if (this.#closed) throw new LegoError("STORE_CLOSED", `idempotency store "${this.keyspace.name}" is closed`, { group: this.group });
  }
}

function fingerprintOf(record: { readonly fingerprint?: string }): { fingerprint?: string } {
  return record.fingerprint === undefined ? {} : { fingerprint: record.fingerprint };
}

function headerOf(bytes: Uint8Array): Header | undefined {
  const split = bytes.indexOf(0x0a);
  if (split < 0) return undefined;
  try {
    const header = JSON.parse(decoder.decode(bytes.subarray(0, split))) as Partial<Header>;
    if ((header.state !== "in-progress" && header.state !== "completed") || typeof header.expiresAt !== "number") return undefined;
    return header as Header;
  } catch {
    return undefined;
  }
}
