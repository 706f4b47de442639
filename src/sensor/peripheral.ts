import { Observable, type Subscribable } from "rxjs";

/**
 * Who a Heart-style peripheral says it is. Mirrors {@link SensorIdentity}'s
 * fields so an envelope's info becomes the event's identity directly.
 */
export interface PeripheralInfo {
  id?: string;
  tags?: readonly { name: string; variant: string; metadata?: Readonly<Record<string, unknown>> }[];
  location?: { x: number; y: number; z: number; timestamp?: number };
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

/**
 * The structural peripheral the adapters accept (DESIGN.md §3): an `observe`
 * stream plus optional lifecycle and input methods. Nothing here depends on
 * Heart; any object of this shape plugs in.
 */
export interface Peripheral<T = unknown, I = unknown> {
  readonly observe: Observable<T> | Subscribable<T>;
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
 * An RxJS Observable over an `Observable | Subscribable`, so adapters can
 * pipe a peripheral's stream whatever library produced it.
 */
export function toObservable<T>(source: Observable<T> | Subscribable<T>): Observable<T> {
  if (source instanceof Observable) return source;
  return new Observable<T>((subscriber) => {
    const subscription = source.subscribe(subscriber);
    return () => {
      subscription.unsubscribe();
    };
  });
}
