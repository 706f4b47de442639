/**
 * A polled sensor: a flaky I²C thermometer read every `every` ms with
 * `localSensorSource`. A read that fails is retried once after a short
 * backoff; a read that still fails is skipped (reported, not fatal), and
 * the samples keep consecutive sequence numbers. `sensorHealth` watches
 * the samples and counts the skipped failures through `errors$`.
 *
 * Run it: `node --import tsx examples/polled-sensor.ts`
 */
import { pathToFileURL } from "node:url";
import { firstValueFrom, share, take, tap, toArray } from "rxjs";
import { BackoffPolicy, RetryPolicy, localSensorSource, messageOf, sensorHealth, type SensorSample } from "manyfold-rx";

export interface PolledSensorExampleOptions {
  /** Polling period, ms. @default 50 */
  every?: number;
  /** Samples to collect before stopping. @default 6 */
  samples?: number;
  /** Where the example prints. @default console.log */
  log?: (line: string) => void;
}

/**
 * A pretend I²C thermometer whose reads are asynchronous. Its 3rd bus
 * transaction fails once ("bus busy", cured by a retry); its 6th and 7th
 * both fail (the poll is skipped).
 */
class FlakyThermometer {
  private transactions = 0;
  private celsius = 21;

  read(): Promise<number> {
    const n = ++this.transactions;
    if (n === 3) return Promise.reject(new Error("bus busy"));
    if (n === 6 || n === 7) return Promise.reject(new Error("NACK from 0x48"));
    this.celsius = Math.round((this.celsius + 0.1) * 10) / 10;
    return Promise.resolve(this.celsius);
  }
}

/** Polls the thermometer until `samples` samples arrived; returns them. */
export async function main(options: PolledSensorExampleOptions = {}): Promise<SensorSample<number>[]> {
  const every = options.every ?? 50;
  const log = options.log ?? console.log;
  const thermometer = new FlakyThermometer();

  const temperature$ = localSensorSource(() => thermometer.read(), {
    every,
    retry: RetryPolicy.attempts(2),
    backoff: BackoffPolicy.fixed(Math.max(1, Math.floor(every / 10))),
    onReadError: "skip",
    onError: (error) => {
      log(`skipped a poll: ${messageOf(error)}`);
    },
    quality: "good",
    name: "thermometer",
    group: "ambient",
  });

  // One poller shared by the consumer and the health watchdog.
  const samples$ = temperature$.pipe(share());
  const health = samples$
    .pipe(sensorHealth({ staleAfter: Math.max(every * 10, 1_000), errors: temperature$.errors$, group: "ambient" }))
    .subscribe(({ status, errorCount, message }) => {
      log(`health: ${status}${errorCount > 0 ? ` (errors: ${errorCount})` : ""}${message === "" ? "" : ` — ${message}`}`);
    });
  const samples = await firstValueFrom(
    samples$.pipe(
      take(options.samples ?? 6),
      tap((sample) => {
        log(`#${sample.sequenceNumber} ${sample.value.toFixed(1)} °C`);
      }),
      toArray(),
    ),
  );
  health.unsubscribe();
  const { reads, retries, skipped, emitted } = temperature$.lego.counters;
  log(`reads=${reads} retries=${retries} skipped=${skipped} emitted=${emitted}`);
  return samples;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
