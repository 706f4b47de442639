import { legoMeter, type LegoDescriptor, type LegoMeter } from "../../atom/lego-descriptor.js";
import { LegoError } from "../../atom/lego-error.js";
import { optional, requireBoolean, requireFunction, requireNonEmptyString } from "../../atom/validate.js";
import type { DeduplicationStore } from "../../ports/deduplication-store.js";
import type { Clock } from "../../time/clock.js";
import { Keyspace, type KeyspaceBatch } from "../keyspace.js";
import type { LevelDatabase } from "../level-database.js";
import { DeduplicationWindow, validateDeduplicationWindow, type DeduplicationWindowOptions } from "./memory-deduplication-store.js";

/** Options of {@link LevelDeduplicationStore.open}. */
export interface LevelDeduplicationStoreOptions extends DeduplicationWindowOptions {
  /** The keyspace holding the ids. @default "dedupe" */
  name?: string;
  /** fsync each mark (survives a power cut, not only a process crash). @default false */
  sync?: boolean;
}

/**
 * A {@link DeduplicationStore} that can record an id in the same atomic
 * write as other data (the effect of handling the message): the
 * exactly-once-effect path of {@link inbox}.
 */
export interface TransactionalDeduplicationStore extends DeduplicationStore {
  /**
   * When `id` is in the window, answers `true` and does nothing else.
   * Otherwise runs `write(batch)` — which queues the effect in `batch`
   * (`batch.in(keyspace)` reaches any keyspace of the same database) — and
   * commits the effect and the mark in one atomic write, answering `false`.
   * When `write` throws nothing is written and the error is rethrown. Calls
   * run one at a time, so a check and its mark cannot interleave with
   * another.
   */
  seenWith(id: string, write: (batch: KeyspaceBatch) => void | Promise<void>): Promise<boolean>;
}

/** True when `store` offers {@link TransactionalDeduplicationStore.seenWith}. */
export function isTransactionalDeduplicationStore(store: DeduplicationStore): store is TransactionalDeduplicationStore {
  return typeof (store as Partial<TransactionalDeduplicationStore>).seenWith === "function";
}

const ORDER = "o:";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function orderKey(seq: number): string {
  return ORDER + seq.toString(16).padStart(16, "0");
}

/**
 * The LevelDB backend of the {@link DeduplicationStore} port: the window
 * (by count and/or ttl, on `clock`) persists in a {@link Keyspace}, so ids
 * seen before a restart are still recognised after it. Each id is one
 * entry keyed by the order it was recorded in; the window is also kept in
 * memory (bounded by `maxEntries`), so `has` reads no disk. Writes (marks,
 * forgets, evictions) go to LevelDB one at a time, each atomic.
 *
 * It is a {@link TransactionalDeduplicationStore}: `seenWith(id, write)`
 * commits a handler's effect and the id's mark in one LevelDB write, which
 * gives {@link inbox} an exactly-once effect across crashes.
 *
 * ## Example
 * ```ts
 * const store = await LevelDeduplicationStore.open(db, { maxEntries: 100_000, ttl: 86_400_000 });
 * if (!(await store.seen(message.messageId))) handle(message);
 * ```
 * @see {@link MemoryDeduplicationStore}, `deduplicationStoreConformance`
 * @lego DeduplicationStore
 */
export class LevelDeduplicationStore implements TransactionalDeduplicationStore {
  readonly lego: LegoDescriptor;
  readonly group: string | undefined;
  readonly keyspace: Keyspace;
  readonly #window: DeduplicationWindow;
  readonly #seqOf = new Map<string, number>();
  readonly #clock: Clock;
  readonly #sync: boolean;
  readonly #meter: LegoMeter;
  #nextSeq: number;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(keyspace: Keyspace, window: DeduplicationWindow, clock: Clock, sync: boolean, group: string | undefined, nextSeq: number) {
    this.keyspace = keyspace;
    this.#window = window;
    this.#clock = clock;
    this.#sync = sync;
    this.group = group;
    this.#nextSeq = nextSeq;
    this.#meter = legoMeter("DeduplicationStore", { name: keyspace.name, group }, ["seen", "duplicates", "evicted"]);
    this.lego = this.#meter.descriptor;
  }

  /** Opens (or creates) the store in `parent` and loads its window. */
  static async open(parent: LevelDatabase | Keyspace, options: LevelDeduplicationStoreOptions = {}): Promise<LevelDeduplicationStore> {
    const settings = validateDeduplicationWindow(options);
    const name = optional("name", options.name, requireNonEmptyString) ?? "dedupe";
    const sync = optional("sync", options.sync, requireBoolean) ?? false;
    const keyspace = new Keyspace(parent, { name, ...(settings.group === undefined ? {} : { group: settings.group }) });
    await keyspace.ready();
    const window = new DeduplicationWindow(settings.maxEntries, settings.ttl);
    const seqs = new Map<string, number>();
    const stale: string[] = [];
    let nextSeq = 0;
    for await (const [key, value] of keyspace.entries({ prefix: ORDER })) {
      const seq = Number.parseInt(key.slice(ORDER.length), 16);
      const text = decoder.decode(value);
      const split = text.indexOf("\n");
      const at = Number(text.slice(0, split));
      const id = text.slice(split + 1);
      nextSeq = Math.max(nextSeq, seq + 1);
      if (split < 0 || !Number.isFinite(at) || id.length === 0) {
        stale.push(key);
        continue;
      }
      window.restore(id, at);
      seqs.set(id, seq);
    }
    const store = new LevelDeduplicationStore(keyspace, window, settings.clock, sync, settings.group, nextSeq);
    for (const [id, seq] of seqs) store.#seqOf.set(id, seq);
    const expired = window.expire(settings.clock.now());
    // A store reopened with a smaller maxEntries trims at once.
    const overflow = window.trim();
    const drop = [...stale, ...[...expired, ...overflow].map((id) => store.#takeKey(id))];
    if (drop.length > 0) await keyspace.write(drop.map((key) => ({ type: "del" as const, key })));
    return store;
  }

  /** Ids currently remembered. */
  get size(): number {
    return this.#window.size;
  }

  seen(id: string): Promise<boolean> {
    return this.seenWith(id, () => undefined);
  }

  seenWith(id: string, write: (batch: KeyspaceBatch) => void | Promise<void>): Promise<boolean> {
    try {
      this.#assertOpen();
      requireNonEmptyString("id", id);
      requireFunction("write", write);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.#serialize(async () => {
      this.#assertOpen();
      const now = this.#clock.now();
      if (this.#window.has(id, now)) {
        this.#meter.count("duplicates");
        return true;
      }
      const batch = this.keyspace.batch();
      try {
        await write(batch);
        this.#assertOpen();
      } catch (error) {
        await batch.discard().catch(() => undefined);
        throw error;
      }
      const seq = this.#nextSeq++;
      const { evicted } = this.#window.seen(id, now);
      this.#seqOf.set(id, seq);
      const evictedKeys = evicted.map((gone) => this.#takeKey(gone));
      for (const key of evictedKeys) batch.del(key);
      batch.put(orderKey(seq), encoder.encode(`${now}\n${id}`));
      try {
        await batch.write({ sync: this.#sync });
      } catch (error) {
        // Not written: undo the memory side (evicted ids stay forgotten; their entries are retried at the next open).
        this.#window.forget(id);
        this.#seqOf.delete(id);
        throw error;
      }
      this.#meter.count("seen");
      if (evicted.length > 0) this.#meter.count("evicted", evicted.length);
      return false;
    });
  }

  has(id: string): Promise<boolean> {
    try {
      this.#assertOpen();
      return Promise.resolve(this.#window.has(requireNonEmptyString("id", id), this.#clock.now()));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  forget(id: string): Promise<void> {
    try {
      this.#assertOpen();
      requireNonEmptyString("id", id);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.#serialize(async () => {
      this.#assertOpen();
      if (!this.#window.forget(id)) return;
      await this.keyspace.del(this.#takeKey(id), { sync: this.#sync });
    });
  }

  /** Waits for writes in flight, then refuses further use (the database stays open: it is the caller's). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    await this.keyspace.close();
  }

  /** The entry key of `id`, forgetting its sequence number. */
  #takeKey(id: string): string {
    const seq = this.#seqOf.get(id);
    this.#seqOf.delete(id);
    return orderKey(seq ?? -1);
  }

  #serialize<R>(task: () => Promise<R>): Promise<R> {
    const run = this.#tail.then(task);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #assertOpen(): void {
    if (this.#closed) throw new LegoError("STORE_CLOSED", `deduplication store "${this.keyspace.name}" is closed`, { group: this.group });
  }
}
