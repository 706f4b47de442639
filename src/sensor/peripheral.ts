import { Observable, type Subscribable } from "rxjs";

/**
 * Where a peripheral is. Heart's `PeripheralLocation` names its time `time`
 * (a `datetime`, here a `Date` or ms; `null` when unknown) and defaults the
 * coordinates to 0; {@link SensorLocation}'s `timestamp` (ms) is read too.
 */
export interface PeripheralLocation {
  x?: number;
  y?: number;
  z?: number;
  /** Heart's name for when the location was taken: a `Date` or ms. */
  time?: Date | number | null;
  /** The {@link SensorLocation} name for the same, ms. */
  timestamp?: number | null;
}

/**
 * Who a Heart-style peripheral says it is. Mirrors {@link SensorIdentity}'s
 * fields so an envelope's info becomes the event's identity directly;
 * Heart's shapes (`id: null`, `location.time`) are accepted as they are.
 */
export interface PeripheralInfo {
  id?: string | null;
  tags?: readonly { name: string; variant: string; metadata?: Readonly<Record<string, unknown>> }[];
  location?: PeripheralLocation | null;
  group?: string;
}

/**
 * A Heart-style envelope: any item with a `data` key. `peripheralInfo`
 * (camelCase) and `peripheral_info` (Heart's snake_case) are both read;
 * camelCase wins when both are present.
 */
export interface PeripheralEnvelope<T = unknown> {
  data: T;
  peripheralInfo?: PeripheralInfo | null;
  peripheral_info?: PeripheralInfo | null;
}

/** The observer a Heart callback observable calls (Python's `ObserverLike`). */
export interface CallbackObserver<T> {
  on_next(value: T): void;
  on_error(error: unknown): void;
  on_completed(): void;
}

/** What a Heart callback observable's `subscribe` returns: release it with `dispose()`. */
export interface Disposable {
  dispose(): void;
}

/**
 * Heart's `CallbackObservable`: `subscribe` takes a function (`on_next`) or
 * an `{ on_next, on_error, on_completed }` observer (plus optional
 * arguments) and returns a {@link Disposable}. The adapters always pass a
 * full observer, so a `subscribe` that also accepts a function fits.
 */
export interface CallbackObservable<T> {
  subscribe(observer: CallbackObserver<T>): Disposable;
}

/** Any stream the adapters can read: an RxJS Observable, a Subscribable, or Heart's callback observable. */
export type PeripheralStream<T> = Observable<T> | Subscribable<T> | CallbackObservable<T>;

/**
 * The structural peripheral the adapters accept (DESIGN.md §3): an `observe`
 * stream plus optional lifecycle and input methods. Nothing here depends on
 * Heart; any object of this shape plugs in — a Heart peripheral as it is
 * (its `observe` a {@link CallbackObservable}, no `stop`/`close`).
 */
export interface Peripheral<T = unknown, I = unknown> {
  readonly observe: PeripheralStream<T>;
  run?(): unknown;
  stop?(): unknown;
  close?(): unknown;
  handleInput?(input: I): unknown;
  handle_input?(input: I): unknown;
}

/** True when `item` is a Heart-style envelope (has a `data` key). */
export function isPeripheralEnvelope(item: unknown): item is PeripheralEnvelope {
  return typeof item === "object" && item !== null && "data" in item;
}

/** The envelope's peripheral info, camelCase first. */
export function peripheralInfoOf(envelope: PeripheralEnvelope): PeripheralInfo | undefined {
  return envelope.peripheralInfo ?? envelope.peripheral_info ?? undefined;
}

/**
 * The identity fields of Heart-style info, as {@link sensorIdentity} takes
 * them: `id: null` is no id, a `null` location is none, a location's
 * missing coordinates are 0 (Heart's defaults) and its `time` (a `Date` or
 * ms) becomes `timestamp` in ms. Anything else is passed on to be validated.
 * @internal
 */
export function identityFieldsOf(info: PeripheralInfo): unknown {
  if (typeof info !== "object" || (info as unknown) === null) return info;
  const { id, location, ...rest } = info;
  const fields: Record<string, unknown> = { ...rest };
  if (id !== null && id !== undefined) fields.id = id;
  if (location !== null && location !== undefined) fields.location = locationFieldsOf(location);
  return fields;
}

function locationFieldsOf(location: PeripheralLocation): unknown {
  if (typeof location !== "object" || (location as unknown) === null) return location;
  const { time, timestamp, x = 0, y = 0, z = 0, ...rest } = location;
  const fields: Record<string, unknown> = { ...rest, x, y, z };
  const when = timestamp ?? (time instanceof Date ? time.getTime() : time);
  if (when !== null && when !== undefined) fields.timestamp = when;
  return fields;
}

/**
 * The observer passed to a foreign stream: RxJS names (`next`, `error`,
 * `complete`) and Heart's (`on_next`, `on_error`, `on_completed`), so
 * either kind of `subscribe` finds what it calls.
 */
interface DualObserver<T> extends CallbackObserver<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

/**
 * An RxJS Observable over an Observable, a Subscribable or a Heart
 * {@link CallbackObservable}, so adapters can pipe a peripheral's stream
 * whatever library produced it. Its subscription is released with
 * `unsubscribe()`, `dispose()` (Heart) or, when `subscribe` returned a
 * function, by calling it.
 */
export function toObservable<T>(source: PeripheralStream<T>): Observable<T> {
  if (source instanceof Observable) return source;
  return new Observable<T>((subscriber) => {
    const next = (value: T): void => {
      subscriber.next(value);
    };
    const error = (reason: unknown): void => {
      subscriber.error(reason);
    };
    const complete = (): void => {
      subscriber.complete();
    };
    const observer: DualObserver<T> = { next, error, complete, on_next: next, on_error: error, on_completed: complete };
    const subscription: unknown = (source as { subscribe(observer: DualObserver<T>): unknown }).subscribe(observer);
    return () => {
      release(subscription);
    };
  });
}

function release(subscription: unknown): void {
  if (typeof subscription === "function") {
    (subscription as () => void)();
    return;
  }
  if (typeof subscription !== "object" || subscription === null) return;
  const handle = subscription as { unsubscribe?: unknown; dispose?: unknown };
  if (typeof handle.unsubscribe === "function") (handle.unsubscribe as () => void).call(subscription);
  else if (typeof handle.dispose === "function") (handle.dispose as () => void).call(subscription);
}
