import { legoMeter, withLego, type LegoObservable } from "../atom/lego-descriptor.js";
import { requireObject } from "../atom/validate.js";
import { subscribeWithin } from "../local/subscribe-within.js";
import {
  adapterObservable,
  PERIPHERAL_ADAPTER_COUNTERS,
  requirePeripheral,
  validateAdapterOptions,
  type PeripheralAdapterOptions,
  type PeripheralData,
} from "./peripheral-adapter.js";
import { toObservable, type Peripheral, type PeripheralStream } from "./peripheral.js";
import type { SensorEvent } from "./sensor-event.js";
import type { SensorSample } from "./sensor-sample.js";

/** What the peripheral's input method receives for a control value: its `.value` when it has one. */
export type ControlInput<C> = C extends { value: infer V } ? V : C;

/** Options of {@link duplexPeripheral}: the adapter's, plus the control stream. */
export interface DuplexSensorPeripheralOptions<I = unknown, R = PeripheralData<I>, C = unknown>
  extends PeripheralAdapterOptions<I, R> {
  /**
   * Values to send to the peripheral while the output is subscribed. Each
   * value's `.value` (when it has one, e.g. a {@link SensorSample}) or the
   * value itself goes to `handleInput` (or `handle_input`).
   */
  control: PeripheralStream<C>;
}

/** The input method a duplex peripheral is driven through: `handleInput` wins over `handle_input`. */
function inputMethodOf(peripheral: Peripheral): "handleInput" | "handle_input" {
  if (typeof peripheral.handleInput === "function") return "handleInput";
  if (typeof peripheral.handle_input === "function") return "handle_input";
  throw new TypeError("peripheral must have a handleInput or handle_input method");
}

function controlInputOf<C>(control: C): ControlInput<C> {
  return (typeof control === "object" && control !== null && "value" in control ? control.value : control) as ControlInput<C>;
}

/**
 * A Heart-style peripheral as a two-way sensor (the catalog's
 * `DuplexSensorPeripheral = PeripheralAdapter + control RouteRef + handle_input`):
 * the output is exactly {@link fromPeripheral}'s, and while it is
 * subscribed each `control` value (its `.value` when it has one) is passed
 * to the peripheral's `handleInput` — or `handle_input`, Heart's
 * snake_case; `handleInput` wins when both exist.
 *
 * The control stream is subscribed after `observe` and after `run()`, so the
 * peripheral is running when the first input arrives. It is released when
 * the output is unsubscribed, errors or completes. A control error, or a
 * throw from the input method, errors the output; control completion just
 * stops the inputs. A peripheral without an input method is a `TypeError`
 * at construction.
 *
 * ```text
 * observe:  --a-----b--|
 * control:  ----x-y-----       (x, y forwarded to handleInput as they arrive)
 *           duplexPeripheral(peripheral, { control })
 * result:   --a-----b--|
 * ```
 *
 * ## Example
 * ```ts
 * const setpoint$ = new BehaviorSubject({ value: 21 });
 * duplexPeripheral(heartThermostat, { control: setpoint$, eventType: "temperature" })
 *   .subscribe((event) => console.log(event.data));
 * setpoint$.next({ value: 22 }); // thermostat.handleInput(22)
 * ```
 * Counters on `lego`: `received`, `emitted`, `invalid`, `inputs`.
 * @see {@link fromPeripheral} for a read-only peripheral.
 * @lego DuplexSensorPeripheral
 */
export function duplexPeripheral<I, C, R = PeripheralData<I>>(
  peripheral: Peripheral<I>,
  options: DuplexSensorPeripheralOptions<I, R, C> & { eventType: string; wrapSample: true },
): LegoObservable<SensorSample<SensorEvent<R>>>;
export function duplexPeripheral<I, C, R = PeripheralData<I>>(
  peripheral: Peripheral<I>,
  options: DuplexSensorPeripheralOptions<I, R, C> & { eventType: string },
): LegoObservable<SensorEvent<R>>;
export function duplexPeripheral<I, C, R = PeripheralData<I>>(
  peripheral: Peripheral<I>,
  options: DuplexSensorPeripheralOptions<I, R, C> & { wrapSample: true },
): LegoObservable<SensorSample<R>>;
export function duplexPeripheral<I, C, R = PeripheralData<I>>(
  peripheral: Peripheral<I>,
  options: DuplexSensorPeripheralOptions<I, R, C>,
): LegoObservable<R>;
export function duplexPeripheral<I, C, R>(
  peripheral: Peripheral<I>,
  options: DuplexSensorPeripheralOptions<I, R, C>,
): LegoObservable<unknown> {
  requirePeripheral(peripheral);
  requireObject("options", options);
  const method = inputMethodOf(peripheral);
  const control = options.control as unknown;
  if (typeof control !== "object" || control === null || typeof (control as { subscribe?: unknown }).subscribe !== "function") {
    throw new TypeError("control must be an Observable, a Subscribable or a callback observable");
  }
  const control$ = toObservable(options.control);
  const settings = validateAdapterOptions(peripheral, options, "DuplexSensorPeripheral");
  const meter = legoMeter("DuplexSensorPeripheral", { name: settings.name, group: settings.group }, [
    ...PERIPHERAL_ADAPTER_COUNTERS,
    "inputs",
  ]);

  const output = adapterObservable<I, R, unknown>(settings, meter, (subscriber) => {
    subscribeWithin(subscriber, control$, {
      next: (value) => {
        meter.count("inputs");
        try {
          peripheral[method]?.(controlInputOf(value));
        } catch (error) {
          subscriber.error(error);
        }
      },
      error: (error: unknown) => {
        subscriber.error(error);
      },
    });
  });
  return withLego(output, meter.descriptor);
}
