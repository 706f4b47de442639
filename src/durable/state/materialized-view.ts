import { Observable, Subject, firstValueFrom, share, take, toArray } from "rxjs";
import { legoMeter, withLego, type LegoDescriptor, type LegoMeter, type LegoObservable } from "../../atom/lego-descriptor.js";
import { LegoError, messageOf } from "../../atom/lego-error.js";
import { optional, optionalGroup, requireFunction, requireNonEmptyString, requireObject, requirePositiveInteger } from "../../atom/validate.js";
import type { Codec } from "../../local/schema.js";
import { jsonCodec } from "../../local/value-codecs.js";
import { requireCodec, requireMethods } from "../durable-validate.js";
import type { OutboxSource } from "../handoff/outbox.js";
import { Keyspace } from "../keyspace.js";
import type { LevelDatabase } from "../level-database.js";

/** Options of {@link MaterializedView.open}. */
export interface MaterializedViewOptions<E, V> {
  /** The log folded: a `LocalDurableSpool`, an `EventLogPort`, anything with `replay({ from, follow })`. */
  source: OutboxSource<E>;
  /** The view's name: its keyspace and its lego name. */
  name: string;
  /** The key an event changes; `undefined` skips the event. */
  keyOf: (event: E) => string | undefined;
  /** The key's next value from its current one and the event; `undefined` deletes the key. */
  reduce: (current: V | undefined, event: E, key: string) => V | undefined;
  /** Encodes values. @default jsonCodec() */
  codec?: Codec<V>;
  /** Events folded per atomic write at most. @default 256 */
  batchSize?: number;
  /** Label linking the view to the component that owns it. @default undefined */
  group?: string;
  /** Told about an event whose key or fold threw; it is skipped (counted `invalid`). */
  onInvalid?: (report: { readonly offset: number; readonly error: unknown }) => void;
}

/** A change of the view, as `changes$` and `run()` emit it. */
export interface ViewChange<V> {
  readonly key: string;
  /** The new value; `undefined` when the key was deleted. */
  readonly value: V | undefined;
  /** The offset of the event that made the change. */
  readonly offset: number;
}

type ViewSettings<E, V> = Required<Pick<MaterializedViewOptions<E, V>, "source" | "keyOf" | "reduce">> & {
  codec: Codec<V>;
  batchSize: number;
  onInvalid: MaterializedViewOptions<E, V>["onInvalid"];
};

const STATE = "s:";
const NEXT_KEY = "m:next";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The catalog's `MaterializedView` (EventLog + CheckpointStore + Keyspace):
 * folds a log into keyed state kept in LevelDB. Each page of events
 * (`batchSize`) is applied in **one atomic write together with the view's
 * position**, so after a crash the view resumes exactly where its state
 * is: no event is folded twice or skipped, whatever `reduce` does. The view
 * can be dropped and rebuilt from the log (`rebuild()`), read by key
 * (`get`) or whole (`entries`), and watched (`changes$`).
 *
 * ```text
 * log:      (a:+1) (b:+2) (a:+3)
 * run():    -{a:1}-{b:2}-{a:4}-...     get("a") → 4
 * ```
 *
 * ## Example
 * ```ts
 * const totals = await MaterializedView.open<Sale, number>(db, {
 *   source: spool, name: "totals", keyOf: (s) => s.shop, reduce: (sum = 0, s) => sum + s.amount,
 * });
 * totals.run().subscribe();
 * await totals.get("berlin");
 * ```
 * Counters on `lego`: `applied`, `skipped` (no key), `invalid`, `writes`.
 * @see {@link EventLog}, {@link Outbox}, {@link TombstoneStore}
 * @lego MaterializedView
 */
export class MaterializedView<E, V> {
  readonly name: string;
  readonly group: string | undefined;
  readonly keyspace: Keyspace;
  readonly lego: LegoDescriptor;
  /** Every change after it was written (hot: changes before subscribing are not replayed). */
  readonly changes$: Observable<ViewChange<V>>;
  readonly #options: ViewSettings<E, V>;
  readonly #changes = new Subject<ViewChange<V>>();
  readonly #meter: LegoMeter;
  readonly #run$: LegoObservable<ViewChange<V>>;
  #next: number;
  #running = 0;
  #closed = false;

  private constructor(keyspace: Keyspace, options: ViewSettings<E, V>, name: string, group: string | undefined, next: number) {
    this.keyspace = keyspace;
    this.#options = options;
    this.name = name;
    this.group = group;
    this.#next = next;
    this.#meter = legoMeter("MaterializedView", { name, group }, ["applied", "skipped", "invalid", "writes"]);
    this.lego = this.#meter.descriptor;
    this.changes$ = this.#changes.asObservable();
    const run$ = new Observable<ViewChange<V>>((subscriber) => {
      if (this.#closed) {
        subscriber.error(new LegoError("STORE_CLOSED", `view "${name}" is closed`, { group }));
        return undefined;
      }
      const state = { stopped: false, wake: undefined as (() => void) | undefined, waiting: undefined as { unsubscribe(): void } | undefined };
      const live = (): boolean => !state.stopped && !this.#closed;
      this.#running++;
      const loop = async (): Promise<void> => {
        while (live()) {
          const page = await firstValueFrom(this.#options.source.replay({ from: this.#next }).pipe(take(this.#options.batchSize), toArray()));
          if (!live()) return;
          if (page.length === 0) {
            await new Promise<void>((resolve, reject) => {
              state.wake = resolve;
              state.waiting = this.#options.source
                .replay({ from: this.#next, follow: true })
                .pipe(take(1))
                .subscribe({
                  next: () => {
                    resolve();
                  },
                  complete: () => {
                    resolve();
                  },
                  error: reject,
                });
            });
            state.waiting?.unsubscribe();
            continue;
          }
          for (const change of await this.#apply(page)) if (live()) subscriber.next(change);
        }
        if (this.#closed) subscriber.complete();
      };
      loop().catch((error: unknown) => {
        if (live()) subscriber.error(error);
      });
      return () => {
        state.stopped = true;
        this.#running--;
        state.waiting?.unsubscribe();
        state.wake?.();
      };
    }).pipe(share());
    this.#run$ = withLego(run$, this.lego);
  }

  /** Opens (or creates) the view's keyspace in `parent`; options are checked now. */
  static async open<E, V>(parent: LevelDatabase | Keyspace, options: MaterializedViewOptions<E, V>): Promise<MaterializedView<E, V>> {
    requireObject("options", options);
    const source = requireMethods("source", options.source, ["replay"]) as unknown as OutboxSource<E>;
    const name = requireNonEmptyString("name", options.name);
    const group = optionalGroup(options.group);
    const validated = {
      source,
      keyOf: requireFunction("keyOf", options.keyOf),
      reduce: requireFunction("reduce", options.reduce),
      codec: options.codec === undefined ? jsonCodec<V>() : requireCodec<V>("codec", options.codec),
      batchSize: requirePositiveInteger("batchSize", options.batchSize ?? 256),
      onInvalid: optional("onInvalid", options.onInvalid, (n, v) => requireFunction(n, v as (report: { offset: number; error: unknown }) => void)),
    };
    const keyspace = new Keyspace(parent, { name, ...(group === undefined ? {} : { group }) });
    await keyspace.ready();
    const stored = await keyspace.get(NEXT_KEY);
    return new MaterializedView<E, V>(keyspace, validated, name, group, stored === undefined ? 0 : Number(decoder.decode(stored)));
  }

  /** The offset of the next event the view will fold. */
  get position(): number {
    return this.#next;
  }

  /**
   * Folds from the view's position, following the log, until unsubscribed
   * or {@link close}; emits each change once written. Shared by concurrent
   * subscribers.
   */
  run(): LegoObservable<ViewChange<V>> {
    return this.#run$;
  }

  /** The key's value, or `undefined`. */
  async get(key: string): Promise<V | undefined> {
    requireNonEmptyString("key", key);
    const bytes = await this.keyspace.get(STATE + key);
    return bytes === undefined ? undefined : this.#decode(key, bytes);
  }

  /** Every key and value, in key order. */
  async entries(): Promise<[string, V][]> {
    const entries: [string, V][] = [];
    for await (const [key, bytes] of this.keyspace.entries({ prefix: STATE })) {
      const name = key.slice(STATE.length);
      entries.push([name, this.#decode(name, bytes)]);
    }
    return entries;
  }

  /** Drops the state and the position, so the next run refolds the log from its start. Refused while running. */
  async rebuild(): Promise<void> {
    if (this.#running > 0) throw new LegoError("STORE_CLOSED", `view "${this.name}" is running: unsubscribe before rebuilding`, { group: this.group });
    await this.keyspace.clear();
    this.#next = 0;
  }

  /** Stops the run and completes `changes$` (the database stays open: it is the caller's). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#changes.complete();
    await this.keyspace.close();
  }

  /** Folds a page and writes the touched keys with the new position in one batch. */
  async #apply(page: readonly { readonly offset: number; readonly value: E }[]): Promise<ViewChange<V>[]> {
    const touched = new Map<string, V | undefined>();
    const changes: ViewChange<V>[] = [];
    for (const { offset, value } of page) {
      let key: string | undefined;
      let next: V | undefined;
      try {
        key = this.#options.keyOf(value);
        if (key === undefined) {
          this.#meter.count("skipped");
          continue;
        }
        requireNonEmptyString("key", key);
        const current = touched.has(key) ? touched.get(key) : await this.get(key);
        next = this.#options.reduce(current, value, key);
        if (next !== undefined) this.#options.codec.encode(next);
      } catch (error) {
        this.#meter.count("invalid");
        this.#options.onInvalid?.({ offset, error });
        continue;
      }
      touched.set(key, next);
      changes.push({ key, value: next, offset });
      this.#meter.count("applied");
    }
    const last = page[page.length - 1];
    const next = last === undefined ? this.#next : last.offset + 1;
    const batch = this.keyspace.batch();
    for (const [key, value] of touched) {
      if (value === undefined) batch.del(STATE + key);
      else batch.put(STATE + key, this.#options.codec.encode(value));
    }
    batch.put(NEXT_KEY, encoder.encode(String(next)));
    await batch.write();
    this.#meter.count("writes");
    this.#next = next;
    for (const change of changes) this.#changes.next(change);
    return changes;
  }

  #decode(key: string, bytes: Uint8Array): V {
    try {
      return this.#options.codec.decode(bytes);
    } catch (error) {
      throw new LegoError("DECODE_FAILED", `view "${this.name}": the value of ${key} cannot be decoded: ${messageOf(error)}`, { cause: error, group: this.group });
    }
  }
}
