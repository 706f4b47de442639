/**
 * A Heart-style peripheral: a thermostat with an `observe` stream of
 * envelopes `{ data, peripheral_info }`, `run()`, `stop()`, `close()` and
 * `handle_input(setpoint)`, plugged in with `duplexPeripheral`. Nothing
 * here depends on Heart: any object of this shape fits.
 *
 * The adapter subscribes to `observe` before calling `run()`, so the
 * reading the thermostat emits synchronously inside `run()` is not lost.
 * Each reading becomes a `SensorEvent` carrying the peripheral's identity;
 * setpoints sent on the control stream reach `handle_input`.
 *
 * Run it: `node --import tsx examples/heart-peripheral.ts`
 */
import { pathToFileURL } from "node:url";
import { Subject, asyncScheduler, firstValueFrom, interval, take, tap, toArray, type SchedulerLike, type Subscription } from "rxjs";
import { duplexPeripheral, type PeripheralEnvelope, type PeripheralInfo, type SensorEvent } from "manyfold-rx";

export interface HeartPeripheralExampleOptions {
  /** Period of the thermostat's readings, ms. @default 50 */
  every?: number;
  /** Events to collect before stopping. @default 6 */
  events?: number;
  /** Where the thermostat's timer runs and event times come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Where the example prints. @default console.log */
  log?: (line: string) => void;
}

export interface ThermostatReading {
  readonly celsius: number;
  readonly setpoint: number;
  readonly heating: boolean;
}

/** A thermostat written the Heart way: a hot `observe` stream fed once `run()` is called. */
export class HeartThermostat {
  readonly observe = new Subject<PeripheralEnvelope<ThermostatReading>>();
  readonly log: string[] = [];
  private readonly info: PeripheralInfo = {
    id: "thermostat-1",
    tags: [{ name: "temperature", variant: "celsius" }],
    location: { x: 2, y: 0, z: 1 },
  };
  private timer: Subscription | undefined;
  private celsius = 18;
  private setpoint = 20;

  constructor(
    private readonly every: number,
    private readonly scheduler: SchedulerLike,
  ) {}

  run(): void {
    this.log.push("run");
    this.emit(); // synchronously, inside run()
    this.timer = interval(this.every, this.scheduler).subscribe(() => {
      this.step();
      this.emit();
    });
  }

  handle_input(setpoint: number): void {
    this.log.push(`setpoint ${setpoint}`);
    this.setpoint = setpoint;
  }

  stop(): void {
    this.log.push("stop");
    this.timer?.unsubscribe();
  }

  close(): void {
    this.log.push("close");
    this.observe.complete();
  }

  private step(): void {
    if (this.celsius < this.setpoint) this.celsius += 0.5;
    else if (this.celsius > this.setpoint) this.celsius -= 0.5;
  }

  private emit(): void {
    const reading = { celsius: this.celsius, setpoint: this.setpoint, heating: this.celsius < this.setpoint };
    this.observe.next({ data: reading, peripheral_info: this.info });
  }
}

/** Runs the thermostat until `events` events arrived, lowering the setpoint to 18 after the third; returns the events. */
export async function main(
  options: HeartPeripheralExampleOptions = {},
): Promise<{ events: SensorEvent<ThermostatReading>[]; lifecycle: string[] }> {
  const log = options.log ?? console.log;
  const scheduler = options.scheduler ?? asyncScheduler;
  const thermostat = new HeartThermostat(options.every ?? 50, scheduler);
  const setpoints = new Subject<{ value: number }>();

  const readings$ = duplexPeripheral(thermostat, {
    control: setpoints,
    eventType: "thermostat.reading",
    scheduler,
    stopOnUnsubscribe: true,
    name: "thermostat",
    group: "hvac",
  });

  const events = await firstValueFrom(
    readings$.pipe(
      tap((event) => {
        const { celsius, setpoint, heating } = event.data;
        const who = `${event.identity.id ?? "?"} (${event.identity.group ?? "-"})`;
        log(`#${event.sequenceNumber ?? 0} ${event.eventType} from ${who}: ${celsius.toFixed(1)} °C, setpoint ${setpoint}${heating ? ", heating" : ""}`);
        if (event.sequenceNumber === 3) setpoints.next({ value: 18 });
      }),
      take(options.events ?? 6),
      toArray(),
    ),
  );
  const { received, emitted, inputs } = readings$.lego.counters;
  log(`received=${received} emitted=${emitted} inputs=${inputs}; thermostat: ${thermostat.log.join(", ")}`);
  return { events, lifecycle: [...thermostat.log] };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
