import type { Observable, OperatorFunction } from "rxjs";

/**
 * How a lego describes itself: `kind` is its catalog name, `name` and `group`
 * the labels it was given (or derived). Pipelines read these to draw
 * themselves.
 *
 * `counters` is live (summed over every subscription of the lego) and
 * non-enumerable, so `toEqual({ kind, name, group })` still holds.
 */
export interface LegoDescriptor {
  readonly kind: string;
  readonly name?: string;
  readonly group?: string;
  readonly counters: Readonly<Record<string, number>>;
  /**
   * Catalog properties the lego declares (`"Idempotent"`, `"Ordered"`…);
   * the project's tests run each one's law from `manyfold-rx/testing`.
   * Non-enumerable, like `counters`; absent when none are declared.
   */
  readonly properties?: readonly string[];
}

/**
 * An operator function carrying its descriptor. An interface rather than an
 * intersection type: TypeScript cannot infer `T` from `pipe()`'s context
 * through `OperatorFunction<T, R> & {…}`, so `pipe(map(…), changeFilter())`
 * would see `unknown`.
 */
export interface LegoOperator<T, R> extends OperatorFunction<T, R> {
  readonly lego: LegoDescriptor;
}
export type MonoLegoOperator<T> = LegoOperator<T, T>;
export type LegoObservable<T> = Observable<T> & { readonly lego: LegoDescriptor };

/** Something that carries a lego descriptor. */
export interface HasLego {
  readonly lego: LegoDescriptor;
}

/** A lego's descriptor plus the handle its implementation counts with. */
export interface LegoMeter {
  readonly descriptor: LegoDescriptor;
  /** Adds `by` (default 1) to the named counter. */
  count(counter: string, by?: number): void;
}

/**
 * Makes a descriptor for a lego of `kind` with live counters, all starting
 * at 0 so a pipeline view shows them before anything happened.
 */
export function legoMeter(
  kind: string,
  labels: { name?: string | undefined; group?: string | undefined },
  counterNames: readonly string[] = [],
  properties?: readonly string[],
): LegoMeter {
  const counters: Record<string, number> = {};
  for (const counter of counterNames) counters[counter] = 0;
  const descriptor: Record<string, unknown> = { kind };
  if (labels.name !== undefined) descriptor.name = labels.name;
  if (labels.group !== undefined) descriptor.group = labels.group;
  Object.defineProperty(descriptor, "counters", { value: counters, enumerable: false });
  if (properties !== undefined) {
    Object.defineProperty(descriptor, "properties", { value: Object.freeze([...properties]), enumerable: false });
  }
  Object.freeze(descriptor);
  return {
    descriptor: descriptor as unknown as LegoDescriptor,
    count(counter, by = 1) {
      counters[counter] = (counters[counter] ?? 0) + by;
    },
  };
}

/** Attaches a read-only `lego` property to an operator function or Observable. */
export function withLego<F extends object>(target: F, descriptor: LegoDescriptor): F & HasLego {
  Object.defineProperty(target, "lego", { value: descriptor, enumerable: false, writable: false });
  return target as F & HasLego;
}

/** The `lego` descriptor of `value`, when it carries one. */
export function legoOf(value: unknown): LegoDescriptor | undefined {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return undefined;
  const lego = (value as { lego?: unknown }).lego;
  return typeof lego === "object" && lego !== null && typeof (lego as { kind?: unknown }).kind === "string"
    ? (lego as LegoDescriptor)
    : undefined;
}

/** Derived names follow `<group>.<suffix>` (DESIGN.md §1.6). */
export function derivedName(group: string | undefined, suffix: string): string | undefined {
  return group === undefined ? undefined : `${group}.${suffix}`;
}
