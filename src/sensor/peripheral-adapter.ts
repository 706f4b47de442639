import { Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscriber } from "rxjs";
import { adoptGroup } from "../atom/grouped.js";
import { legoMeter, withLego, type LegoMeter, type LegoObservable } from "../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireBoolean,
  requireFunction,
  requireNonEmptyString,
  requireObject,
} from "../atom/validate.js";
import { SequenceCounter, sequenceCounterOrNew } from "../local/sequence-counter.js";
import { subscribeWithin } from "../local/subscribe-within.js";
import { schedulerOption } from "../time/scheduler.js";
import { identityFieldsOf, isPeripheralEnvelope, peripheralInfoOf, toObservable, type Peripheral, type PeripheralEnvelope } from "./peripheral.js";
import { sensorEvent, type SensorEvent } from "./sensor-event.js";
import { buildSensorIdentity, identityInGroup, nested, type SensorIdentity, type SensorIdentityInit } from "./sensor-identity.js";
import {
  sourceDebugTap,
  stampSample,
  type InvalidSourceItem,
  type InvalidSourceItemReason,
  type SourceDebugTapOption,
} from "./sensor-reading.js";
import type { SensorSample } from "./sensor-sample.js";

/** The payload of a peripheral item: an envelope's `data`, else the item itself. */
export type PeripheralData<I> = I extends { data: infer D } ? D : I;

/** Options of {@link fromPeripheral}. */
export interface PeripheralAdapterOptions<I = unknown, R = PeripheralData<I>> {
  /**
   * Turns each payload (the envelope's `data`, or the bare item) into the
   * value emitted; receives the original item as second argument. A throw
   * errors the stream, as in RxJS `map`.
   * @default the payload as it is
   */
  map?: (data: PeripheralData<I>, item: I) => R;
  /** Wrap each value in a {@link SensorEvent} of this type, with the envelope's identity. @default undefined (no event) */
  eventType?: string;
  /** Wrap each value (or event) in a {@link SensorSample}. @default false */
  wrapSample?: boolean;
  /**
   * Identity of items that carry no peripheral info (bare items, or
   * envelopes without `peripheralInfo`/`peripheral_info`); put in the
   * adapter's group when it has none.
   * @default sensorIdentity({ group })
   */
  identity?: SensorIdentity | SensorIdentityInit;
  /** Where event and sample timestamps come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /**
   * Numbers events and samples; advanced only after an item was emitted.
   * Adopts the adapter's group when it has none.
   * @default a new SequenceCounter per subscription
   */
  sequence?: SequenceCounter;
  /** Call the peripheral's `run()` on subscribe, after subscribing to `observe`. @default true */
  runOnSubscribe?: boolean;
  /** Call `stop()` then `close()` when the subscription ends (unsubscribe, error or completion). @default false */
  stopOnUnsubscribe?: boolean;
  /**
   * Publish each emitted value to a {@link SensorDebugTap} (a tap, or
   * `{ tap, stage?, streamName?, sourceId? }`; stage `"raw"`, stream name
   * the adapter's `name` else its lego kind, source id `identity.id` else
   * the stream name, group the adapter's).
   * @default undefined
   */
  debugTap?: SourceDebugTapOption;
  /** Told about each item dropped because it could not become a valid event or sample. @default undefined */
  onInvalid?: (invalid: InvalidSourceItem) => void;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
  /** Group label for the identity, sequence counter, scheduler and descriptor. @default undefined */
  group?: string;
}

/** What one item became: the value to emit and how many sequence numbers it took. */
export interface PeripheralPayload {
  readonly value: unknown;
  readonly numbers: number;
}

/** Settings of the pure {@link PeripheralPayloads} pipeline. */
export interface PeripheralPayloadsOptions<I, R> {
  map?: ((data: PeripheralData<I>, item: I) => R) | undefined;
  eventType?: string | undefined;
  wrapSample?: boolean | undefined;
  /** Identity of items without peripheral info, already in `group`. */
  identity: SensorIdentity;
  sequence: SequenceCounter;
  group?: string | undefined;
}

/** Thrown inside {@link PeripheralPayloads} when an item cannot become a valid event or sample. */
class InvalidItem extends Error {
  constructor(
    readonly reason: InvalidSourceItemReason,
    readonly error: unknown,
  ) {
    super(reason);
  }
}

function validated<T>(reason: InvalidSourceItemReason, build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw new InvalidItem(reason, error);
  }
}

/**
 * The adapter's payload pipeline as a pure class (no RxJS): unwrap the
 * envelope's `data` → `map(data, item)` → `eventType` wrapping →
 * `wrapSample` wrapping. Numbers are read as `peek() + step` (the event
 * first, the sample next) and only taken by {@link commit} once the value
 * was emitted, so a dropped item never consumes one.
 *
 * ## Example
 * ```ts
 * const payloads = new PeripheralPayloads({ eventType: "temperature", identity: sensorIdentity(), sequence: new SequenceCounter() });
 * const result = payloads.payload({ data: 21.5, peripheral_info: { id: "t1" } }, 1_000);
 * // result.value: SensorEvent { eventType: "temperature", data: 21.5, identity: { id: "t1", … }, sequenceNumber: 1 }
 * payloads.commit(result); // the counter now stands at 1
 * ```
 * @lego PeripheralAdapter
 */
export class PeripheralPayloads<I, R> {
  private readonly options: PeripheralPayloadsOptions<I, R>;
  /** Heart peripherals reuse one info object, so each is validated once. */
  private readonly identities = new WeakMap<object, SensorIdentity>();

  constructor(options: PeripheralPayloadsOptions<I, R>) {
    this.options = options;
  }

  /**
   * What `item` becomes at time `now`, or an {@link InvalidSourceItem} when
   * its peripheral info, event or sample is not valid. Errors thrown by
   * `map` propagate.
   */
  payload(item: I, now: number): PeripheralPayload | InvalidSourceItem {
    const { map, eventType, wrapSample, sequence } = this.options;
    const data = (isPeripheralEnvelope(item) ? item.data : item) as PeripheralData<I>;
    const mapped = map === undefined ? data : map(data, item);
    try {
      let value: unknown = mapped;
      let numbers = 0;
      if (eventType !== undefined) {
        const identity = validated("invalid-identity", () => this.identityOf(item));
        numbers++;
        const sequenceNumber = sequence.peek() + numbers * sequence.step;
        value = validated("invalid-event", () => sensorEvent({ eventType, data: mapped, observedAt: now, identity, sequenceNumber }));
      }
      if (wrapSample === true) {
        numbers++;
        const sequenceNumber = sequence.peek() + numbers * sequence.step;
        const inner = value;
        value = validated("invalid-sample", () => stampSample(inner, now, sequenceNumber));
      }
      return { value, numbers };
    } catch (error) {
      if (!(error instanceof InvalidItem)) throw error;
      return { reason: error.reason, item, error: error.error };
    }
  }

  /** Takes the sequence numbers an emitted payload used. */
  commit(payload: PeripheralPayload): void {
    for (let i = 0; i < payload.numbers; i++) this.options.sequence.next();
  }

  /** The identity of `item`: from its envelope's info, else the default; in the group either way. */
  identityOf(item: I): SensorIdentity {
    const info = isPeripheralEnvelope(item) ? peripheralInfoOf(item) : undefined;
    if (info === undefined) return this.options.identity;
    const known = this.identities.get(info);
    if (known !== undefined) return known;
    const key = (item as PeripheralEnvelope).peripheralInfo == null ? "peripheral_info" : "peripheralInfo";
    const identity = identityInGroup(buildSensorIdentity(identityFieldsOf(info), (field) => nested(key, field)), this.options.group);
    this.identities.set(info, identity);
    return identity;
  }
}

/** True for the result of {@link PeripheralPayloads.payload} that must be dropped. */
export function isInvalidSourceItem(result: PeripheralPayload | InvalidSourceItem): result is InvalidSourceItem {
  return "reason" in result;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** Checks the structural shape of a peripheral (DESIGN.md §3). */
export function requirePeripheral<I>(value: Peripheral<I>, name = "peripheral"): Peripheral<I> {
  requireObject(name, value);
  const observe = (value as { observe?: unknown }).observe;
  if (typeof observe !== "object" || observe === null || typeof (observe as { subscribe?: unknown }).subscribe !== "function") {
    throw new TypeError(`${name}.observe must be an Observable, a Subscribable or a callback observable`);
  }
  for (const method of ["run", "stop", "close", "handleInput", "handle_input"] as const) {
    const member = (value as unknown as Record<string, unknown>)[method];
    if (member !== undefined) requireFunction(`${name}.${method}`, member as () => unknown);
  }
  return value;
}

/** The adapter's options, validated once at construction. @internal */
export interface AdapterSettings<I, R> {
  readonly peripheral: Peripheral<I>;
  readonly observe: Observable<I>;
  readonly map: ((data: PeripheralData<I>, item: I) => R) | undefined;
  readonly eventType: string | undefined;
  readonly wrapSample: boolean;
  readonly identity: SensorIdentity;
  readonly scheduler: SchedulerLike;
  readonly sequence: SequenceCounter | undefined;
  readonly runOnSubscribe: boolean;
  readonly stopOnUnsubscribe: boolean;
  readonly onInvalid: ((invalid: InvalidSourceItem) => void) | undefined;
  readonly debugTap: MonoTypeOperatorFunction<unknown> | undefined;
  readonly name: string | undefined;
  readonly group: string | undefined;
}

/**
 * Validates the options {@link fromPeripheral} and `duplexPeripheral` share.
 * @internal
 */
export function validateAdapterOptions<I, R>(
  peripheral: Peripheral<I>,
  options: PeripheralAdapterOptions<I, R>,
  kind: string,
): AdapterSettings<I, R> {
  requirePeripheral(peripheral);
  requireObject("options", options);
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString);
  const sequence = options.sequence === undefined ? undefined : adoptGroup(sequenceCounterOrNew(options.sequence), group);
  const identity = identityInGroup(
    options.identity === undefined ? buildSensorIdentity({}, (f) => f) : buildSensorIdentity(options.identity, (f) => nested("identity", f)),
    group,
  );
  return {
    peripheral,
    observe: toObservable(peripheral.observe),
    map: optional("map", options.map, (n, v) => requireFunction(n, v as (data: PeripheralData<I>, item: I) => R)),
    eventType: optional("eventType", options.eventType, requireNonEmptyString),
    wrapSample: optional("wrapSample", options.wrapSample, requireBoolean) ?? false,
    identity,
    scheduler: schedulerOption(options.scheduler, group),
    sequence,
    runOnSubscribe: optional("runOnSubscribe", options.runOnSubscribe, requireBoolean) ?? true,
    stopOnUnsubscribe: optional("stopOnUnsubscribe", options.stopOnUnsubscribe, requireBoolean) ?? false,
    onInvalid: optional("onInvalid", options.onInvalid, (n, v) => requireFunction(n, v as (invalid: InvalidSourceItem) => void)),
    debugTap: sourceDebugTap(options.debugTap, { kind, name, group, sourceId: identity.id }),
    name,
    group,
  };
}

// Read through a function: the compiler cannot see run() closing the subscriber.
const isOpen = (subscriber: Subscriber<unknown>): boolean => !subscriber.closed;

function stopAndClose(peripheral: Peripheral): void {
  try {
    peripheral.stop?.();
  } finally {
    peripheral.close?.();
  }
}

/** Runs the peripheral; a throw or a rejected Promise errors the subscriber. */
function runPeripheral(peripheral: Peripheral, subscriber: Subscriber<unknown>): void {
  let started: unknown;
  try {
    started = peripheral.run?.();
  } catch (error) {
    subscriber.error(error);
    return;
  }
  if (isPromiseLike(started)) {
    started.then(undefined, (error: unknown) => {
      subscriber.error(error);
    });
  }
}

/**
 * The adapter's Observable: subscribes to `observe`, then runs the
 * peripheral, then calls `afterRun` (the duplex form subscribes its control
 * stream there). Teardown releases `observe`, then stops and closes the
 * peripheral when asked to.
 * @internal
 */
export function adapterObservable<I, R, O>(
  settings: AdapterSettings<I, R>,
  meter: LegoMeter,
  afterRun?: (subscriber: Subscriber<O>) => void,
): Observable<O> {
  const { peripheral, observe, scheduler, onInvalid } = settings;
  const output = new Observable<O>((subscriber) => {
    const payloads = new PeripheralPayloads<I, R>({
      map: settings.map,
      eventType: settings.eventType,
      wrapSample: settings.wrapSample,
      identity: settings.identity,
      sequence: settings.sequence ?? adoptGroup(new SequenceCounter(), settings.group),
      group: settings.group,
    });
    subscribeWithin(subscriber, observe, {
      next: (item) => {
        meter.count("received");
        let result: PeripheralPayload | InvalidSourceItem;
        try {
          result = payloads.payload(item, scheduler.now());
        } catch (error) {
          subscriber.error(error);
          return;
        }
        if (isInvalidSourceItem(result)) {
          meter.count("invalid");
          onInvalid?.(result);
          return;
        }
        subscriber.next(result.value as O);
        payloads.commit(result);
        meter.count("emitted");
      },
      error: (error: unknown) => {
        subscriber.error(error);
      },
      complete: () => {
        subscriber.complete();
      },
    });
    if (settings.stopOnUnsubscribe) {
      subscriber.add(() => {
        stopAndClose(peripheral);
      });
    }
    if (subscriber.closed) return;
    if (settings.runOnSubscribe) runPeripheral(peripheral, subscriber);
    if (afterRun !== undefined && isOpen(subscriber)) afterRun(subscriber);
  });
  return settings.debugTap === undefined ? output : output.pipe(settings.debugTap as MonoTypeOperatorFunction<O>);
}

/** Counters on a peripheral adapter's `lego`. */
export const PERIPHERAL_ADAPTER_COUNTERS = Object.freeze(["received", "emitted", "invalid"] as const);

/**
 * Turns a Heart-style peripheral into an Observable (the catalog's
 * `PeripheralAdapter = Peripheral.observe + SensorIdentity + SensorEvent + RouteRef`).
 *
 * On subscribe it subscribes to `peripheral.observe` **before** calling
 * `run()`, so a hot peripheral that emits synchronously inside `run()` loses
 * nothing. Each item goes through unwrap (`data` of a Heart envelope
 * `{ data, peripheralInfo | peripheral_info }`; any item with a `data` key is
 * an envelope) → `map(data, item)` → `eventType` wrapping into a
 * {@link SensorEvent} (identity from the envelope's info, else
 * `options.identity`, in the adapter's group) → `wrapSample` wrapping into a
 * {@link SensorSample}. With both, the event takes the next sequence number
 * and the sample the one after; numbers are taken only once the value was
 * emitted. An item whose info, event or sample is invalid is dropped,
 * counted (`invalid`) and reported to `onInvalid`.
 *
 * If `observe` errors or `run()` throws (or its Promise rejects), the error
 * goes downstream as it is and `observe` is released. With
 * `stopOnUnsubscribe`, the end of the subscription calls `stop()` then
 * `close()` (`close()` even when `stop()` throws).
 *
 * ```text
 * observe:  --a--b--|        (a, b: { data, peripheral_info: { id: "t1" } })
 *           fromPeripheral(peripheral, { eventType: "temperature" })
 * result:   --A--B--|        (A: SensorEvent { eventType: "temperature", data: a.data, identity.id: "t1", sequenceNumber: 1 })
 * ```
 *
 * ## Example
 * ```ts
 * const temperature$ = fromPeripheral(heartThermometer, {
 *   eventType: "temperature",
 *   stopOnUnsubscribe: true,
 *   group: "ambient",
 * });
 * ```
 * Counters on `lego`: `received`, `emitted`, `invalid`.
 * @see {@link duplexPeripheral} to also send control input; {@link reactiveSensorSource} for a plain Observable.
 * @lego PeripheralAdapter
 */
export function fromPeripheral<I, R = PeripheralData<I>>(
  peripheral: Peripheral<I>,
  options: PeripheralAdapterOptions<I, R> & { eventType: string; wrapSample: true },
): LegoObservable<SensorSample<SensorEvent<R>>>;
export function fromPeripheral<I, R = PeripheralData<I>>(
  peripheral: Peripheral<I>,
  options: PeripheralAdapterOptions<I, R> & { eventType: string },
): LegoObservable<SensorEvent<R>>;
export function fromPeripheral<I, R = PeripheralData<I>>(
  peripheral: Peripheral<I>,
  options: PeripheralAdapterOptions<I, R> & { wrapSample: true },
): LegoObservable<SensorSample<R>>;
export function fromPeripheral<I, R = PeripheralData<I>>(
  peripheral: Peripheral<I>,
  options?: PeripheralAdapterOptions<I, R>,
): LegoObservable<R>;
export function fromPeripheral<I, R>(peripheral: Peripheral<I>, options: PeripheralAdapterOptions<I, R> = {}): LegoObservable<unknown> {
  const settings = validateAdapterOptions(peripheral, options, "PeripheralAdapter");
  const meter = legoMeter("PeripheralAdapter", { name: settings.name, group: settings.group }, PERIPHERAL_ADAPTER_COUNTERS);
  return withLego(adapterObservable<I, R, unknown>(settings, meter), meter.descriptor);
}
