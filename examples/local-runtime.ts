/**
 * Local runtime legos on a virtual clock: a 100 Hz accelerometer matched to
 * a 4 Hz display with `rateMatch`, a `changeFilter` so the display only
 * redraws on change, a `watchdog` that notices when the sensor stops, and
 * `retryWithBackoff` re-opening the sensor after a glitch. A `ManualClock`
 * drives it all, so a second of sensor time takes no wall time at all.
 *
 * Run it: `node --import tsx examples/local-runtime.ts`
 */
import { Observable, interval, map, share, take } from "rxjs";
import { BackoffPolicy, ManualClock, RetryPolicy, changeFilter, rateMatch, retryWithBackoff, watchdog } from "manyfold-rx";

export interface LocalRuntimeReport {
  /** What the display drew (tilt in whole degrees), with the clock time. */
  frames: { at: number; tilt: number }[];
  /** Watchdog transitions. */
  alive: { at: number; alive: boolean }[];
  /** How many times the sensor was opened (1 + retries). */
  opens: number;
}

/** A 100 Hz tilt sensor that glitches once at t = 200 ms and goes silent after 1 s. */
function tiltSensor(clock: ManualClock, onOpen: () => void): Observable<number> {
  let glitched = false;
  return new Observable<number>((subscriber) => {
    onOpen();
    return interval(10, clock)
      .pipe(map(() => Math.round(10 * Math.sin(clock.now() / 300))))
      .subscribe((tilt) => {
        if (!glitched && clock.now() >= 200) {
          glitched = true;
          subscriber.error(new Error("I2C glitch"));
          return;
        }
        if (clock.now() <= 1_000) subscriber.next(tilt);
      });
  });
}

export function main(log: (line: string) => void = console.log): LocalRuntimeReport {
  const clock = new ManualClock(0, { group: "imu" });
  const report: LocalRuntimeReport = { frames: [], alive: [], opens: 0 };

  const tilt$ = tiltSensor(clock, () => report.opens++).pipe(
    retryWithBackoff({ retry: RetryPolicy.attempts(3), backoff: BackoffPolicy.fixed(50), scheduler: clock }),
    share(),
  );
  const display = tilt$.pipe(
    rateMatch({ mode: "latest", demand: 250, scheduler: clock, group: "imu" }),
    changeFilter(),
    take(5),
  );
  display.subscribe((tilt) => report.frames.push({ at: clock.now(), tilt }));
  tilt$.pipe(watchdog({ timeout: 100, scheduler: clock })).subscribe((state) => report.alive.push({ at: clock.now(), alive: state.alive }));

  clock.advance(1_500);
  for (const frame of report.frames) log(`t=${frame.at}ms draw tilt ${frame.tilt}°`);
  for (const state of report.alive) log(`t=${state.at}ms sensor ${state.alive ? "alive" : "silent"}`);
  log(`sensor opened ${report.opens} times`);
  return report;
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) main();
