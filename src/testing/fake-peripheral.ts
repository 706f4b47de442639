import { Observable, Subject, type Observer, type Subscribable } from "rxjs";
import { toObservable, type Peripheral, type PeripheralEnvelope, type PeripheralInfo } from "../sensor/peripheral.js";

/** Options of {@link fakePeripheral}. */
export interface FakePeripheralOptions<T> {
  /**
   * Items the peripheral emits: on `run()` when `mode` is `"hot"`, to each
   * new subscriber when `"cold"`.
   * @default []
   */
  items?: readonly T[];
  /** `"hot"`: a shared stream fed by `run()` and `emit()`; `"cold"`: replays `items` per subscriber. @default "hot" */
  mode?: "hot" | "cold";
  /** Use this stream as `observe` instead (e.g. a marble `cold`/`hot` Observable); `items`/`mode` are then ignored. */
  observe?: Observable<T | PeripheralEnvelope<T>> | Subscribable<T | PeripheralEnvelope<T>>;
  /** Wrap each item in a Heart envelope `{ data, peripheral_info }` carrying this info. */
  peripheralInfo?: PeripheralInfo;
  /** Envelope key for the info: Heart's snake_case or camelCase. @default "peripheral_info" */
  infoKey?: "peripheral_info" | "peripheralInfo";
  /** Complete the hot stream after `run()` has emitted `items`. @default false */
  completeOnRun?: boolean;
  /** Which input method(s) the fake exposes. @default "handleInput" */
  inputMethod?: "handleInput" | "handle_input" | "both" | "none";
}

/** How often each lifecycle method was called, and subscriptions to `observe`. */
export interface FakePeripheralCalls {
  run: number;
  stop: number;
  close: number;
  subscribe: number;
  unsubscribe: number;
}

/** A scripted Heart-style peripheral with recorders, from {@link fakePeripheral}. */
export interface FakePeripheral<T, I = unknown> extends Peripheral<T | PeripheralEnvelope<T>, I> {
  readonly observe: Observable<T | PeripheralEnvelope<T>>;
  run(): void;
  stop(): void;
  close(): void;
  /** Lifecycle counters. */
  readonly calls: Readonly<FakePeripheralCalls>;
  /** Every value passed to the input method, in order. */
  readonly inputs: readonly I[];
  /** Subscribers currently attached to `observe`. */
  readonly subscribers: number;
  /** Emits one item now (hot mode, or to current subscribers of a cold fake). */
  emit(item: T): void;
  /** Errors the hot stream. */
  error(error: unknown): void;
  /** Completes the hot stream. */
  complete(): void;
  /** Makes the next `run()` calls throw `error` (`undefined` to heal). */
  failRunWith(error: unknown): void;
  /** Makes new subscriptions to `observe` error with `error` (`undefined` to heal). */
  failObserveWith(error: unknown): void;
}

/**
 * A Heart-style peripheral for tests: script what it emits (hot or cold,
 * bare or in envelopes with identities), record what its input method
 * received, count `run`/`stop`/`close` calls and subscriptions, and make
 * `run()` or `observe` fail on demand.
 *
 * ## Example
 * ```ts
 * const peripheral = fakePeripheral({ items: [21.5, 21.7], peripheralInfo: { id: "thermo-1" } });
 * fromPeripheral(peripheral, { eventType: "temperature" }).subscribe(console.log);
 * peripheral.calls.run; // 1 — the adapter subscribed first, then ran it
 * ```
 */
export function fakePeripheral<T = unknown, I = unknown>(options: FakePeripheralOptions<T> = {}): FakePeripheral<T, I> {
  const items = [...(options.items ?? [])];
  const infoKey = options.infoKey ?? "peripheral_info";
  const calls: FakePeripheralCalls = { run: 0, stop: 0, close: 0, subscribe: 0, unsubscribe: 0 };
  const inputs: I[] = [];
  const hot = new Subject<T | PeripheralEnvelope<T>>();
  let runError: unknown;
  let runFails = false;
  let observeError: unknown;
  let observeFails = false;
  let subscribers = 0;

  const wrap = (item: T): T | PeripheralEnvelope<T> =>
    options.peripheralInfo === undefined ? item : { data: item, [infoKey]: options.peripheralInfo };

  const inner: Observable<T | PeripheralEnvelope<T>> =
    options.observe !== undefined
      ? toObservable(options.observe)
      : options.mode === "cold"
        ? new Observable((subscriber) => {
            for (const item of items) subscriber.next(wrap(item));
            return hot.subscribe(subscriber as Observer<T | PeripheralEnvelope<T>>);
          })
        : hot.asObservable();

  const observe = new Observable<T | PeripheralEnvelope<T>>((subscriber) => {
    calls.subscribe++;
    if (observeFails) {
      subscriber.error(observeError);
      return;
    }
    subscribers++;
    const subscription = inner.subscribe(subscriber);
    return () => {
      subscribers--;
      calls.unsubscribe++;
      subscription.unsubscribe();
    };
  });

  const record = (input: I): void => {
    inputs.push(input);
  };
  const method = options.inputMethod ?? "handleInput";

  const fake: FakePeripheral<T, I> = {
    observe,
    calls,
    inputs,
    get subscribers() {
      return subscribers;
    },
    run() {
      calls.run++;
      if (runFails) throw runError;
      if (options.mode === "cold" || options.observe !== undefined) return;
      for (const item of items) hot.next(wrap(item));
      if (options.completeOnRun === true) hot.complete();
    },
    stop() {
      calls.stop++;
    },
    close() {
      calls.close++;
    },
    emit(item) {
      hot.next(wrap(item));
    },
    error(error) {
      hot.error(error);
    },
    complete() {
      hot.complete();
    },
    failRunWith(error) {
      runFails = error !== undefined;
      runError = error;
    },
    failObserveWith(error) {
      observeFails = error !== undefined;
      observeError = error;
    },
  };
  if (method === "handleInput" || method === "both") fake.handleInput = record;
  if (method === "handle_input" || method === "both") fake.handle_input = record;
  return fake;
}
