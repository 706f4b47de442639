import type { Observable } from "rxjs";
import { derivedName, legoMeter, withLego, type MonoLegoOperator } from "../../atom/lego-descriptor.js";
import { optional, optionalGroup, requireFunction, requireNonEmptyString, requireObject, requirePositiveInteger } from "../../atom/validate.js";
import type { DeduplicationStore } from "../../ports/deduplication-store.js";
import { requireMethods } from "../durable-validate.js";
import { SKIP, orderedAsync } from "../ordered-async.js";

/** Options of {@link dedupe}. */
export interface DedupeOptions<T> {
  /**
   * Values waiting for the store at most; one more errors the stream with
   * `QUEUE_FULL`. @default 1000
   */
  maxPending?: number;
  /** Told about each value passed on without an id check (no id, or the store failed). */
  onInvalid?: (report: { readonly reason: "no-id" | "store-failed"; readonly value: T; readonly error?: unknown }) => void;
  /** Label shown in the pipeline view. @default `<group>.dedupe` */
  name?: string;
  /** Label linking the operator to the component that owns it. @default undefined */
  group?: string;
}

/**
 * Drops every value whose id the {@link DeduplicationStore} has seen within
 * its window, passing the first of each id on (the operator of the
 * catalog's `DeduplicationStore`). Each id is recorded (`seen`) as its
 * value passes, so the check and the mark are one atomic step; values are
 * checked one at a time, in order. A value without an id (`idOf` gave
 * `undefined`/`""` or threw) is dropped and reported; a store failure
 * drops the value and reports it (at-most-once for that value — use
 * {@link inbox} when an effect must not be lost). Counters: `passed`,
 * `dropped` (repeats), `invalid`, `rejected`.
 *
 * ```text
 * source:          --a--b--a--c--b--|
 * dedupe(store):   --a--b-----c-----|
 * ```
 *
 * ## Example
 * ```ts
 * readings$.pipe(dedupe(new MemoryDeduplicationStore({ ttl: 60_000 }), (r) => `${r.sensor}:${r.seq}`))
 * ```
 * @see {@link inbox}, {@link MemoryDeduplicationStore}, {@link LevelDeduplicationStore}
 * @lego DeduplicationStore
 */
export function dedupe<T>(store: DeduplicationStore, idOf: (value: T) => string | undefined, options: DedupeOptions<T> = {}): MonoLegoOperator<T> {
  requireMethods("store", store, ["seen"]);
  requireFunction("idOf", idOf);
  requireObject("options", options);
  const maxPending = requirePositiveInteger("maxPending", options.maxPending ?? 1000);
  const onInvalid = optional("onInvalid", options.onInvalid, (n, v) =>
    requireFunction(n, v as (report: { reason: "no-id" | "store-failed"; value: T; error?: unknown }) => void),
  );
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString) ?? derivedName(group, "dedupe");
  const meter = legoMeter("DeduplicationStore", { name, group }, ["passed", "dropped", "invalid", "rejected"]);

  const step = async (value: T): Promise<T | typeof SKIP> => {
    let id: string | undefined;
    try {
      id = idOf(value);
    } catch {
      id = undefined;
    }
    if (typeof id !== "string" || id.length === 0) {
      meter.count("invalid");
      onInvalid?.({ reason: "no-id", value });
      return SKIP;
    }
    try {
      if (await store.seen(id)) {
        meter.count("dropped");
        return SKIP;
      }
    } catch (error) {
      meter.count("invalid");
      onInvalid?.({ reason: "store-failed", value, error });
      return SKIP;
    }
    meter.count("passed");
    return value;
  };
  const operator = (source: Observable<T>): Observable<T> =>
    orderedAsync(source, step, {
      maxPending,
      what: "dedupe",
      group,
      onRejected: () => {
        meter.count("rejected");
      },
    });
  return withLego(operator, meter.descriptor);
}
