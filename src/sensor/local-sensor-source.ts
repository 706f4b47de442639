import { EMPTY, Observable, Subject, catchError, interval, startWith, type SchedulerLike, type Subscribable, type Subscription } from "rxjs";
import { adoptGroup } from "../atom/grouped.js";
import { legoMeter, withLego, type LegoObservable } from "../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireFunction,
  requireNonEmptyString,
  requireObject,
  requireOneOf,
  requirePositive,
  requireString,
} from "../atom/validate.js";
import { retryRunner, type AttemptInfo } from "../local/retry-loop.js";
import { SequenceCounter, sequenceCounterOrNew } from "../local/sequence-counter.js";
import { subscribeWithin } from "../local/subscribe-within.js";
import { BackoffPolicy } from "../policy/backoff-policy.js";
import { RetryPolicy } from "../policy/retry-policy.js";
import { schedulerOption } from "../time/scheduler.js";
import { toObservable } from "./peripheral.js";
import { stampSample, type InvalidSourceItem, type SampleExtras, type SensorReading } from "./sensor-reading.js";
import type { SensorSample } from "./sensor-sample.js";

/** What `read` may return: a value, a {@link SensorReading}, or a Promise of either. */
export type LocalSensorRead<T> = (attempt: AttemptInfo) => T | SensorReading<T> | PromiseLike<T | SensorReading<T>>;

/** What happens when a read still fails after its retries. */
export type ReadErrorMode = "error" | "skip";

/** Options of {@link localSensorSource}. Exactly one of `every` and `trigger` is required. */
export interface LocalSensorSourceOptions {
  /** Poll every `every` ms (finite, > 0), the first read at subscribe. */
  every?: number;
  /** Poll on each emission of this stream; its completion completes the source once no read is in flight. */
  trigger?: Observable<unknown> | Subscribable<unknown>;
  /** Where timestamps, the polling interval and retry waits come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** How many attempts one poll may make, and which errors are retried. @default RetryPolicy.never() */
  retry?: RetryPolicy;
  /** The wait before each retry of a read. @default BackoffPolicy.none() */
  backoff?: BackoffPolicy;
  /** Most ms one Promise read may take before it fails with a `TIMEOUT` LegoError (then retried like any error). @default undefined */
  timeout?: number;
  /**
   * `"error"`: a read whose retries are exhausted errors the stream (the
   * RxJS norm). `"skip"`: the failure is reported (`onError`, `errors$`,
   * the `skipped` counter) and polling goes on.
   * @default "error"
   */
  onReadError?: ReadErrorMode;
  /** Told about each skipped read failure (with `onReadError: "skip"`). @default undefined */
  onError?: (error: unknown) => void;
  /** Told about each reading dropped because it is not a valid sample value (e.g. `NaN`). @default undefined */
  onInvalid?: (invalid: InvalidSourceItem) => void;
  /**
   * Numbers the samples (`peek() + step`), advanced only after a sample was
   * emitted. Adopts the source's group when it has none.
   * @default a new SequenceCounter per subscription
   */
  sequence?: SequenceCounter;
  /** Copied into every sample's `quality`, a label such as `"good"`. @default undefined */
  quality?: string;
  /** Copied into every sample's `status`. @default undefined */
  status?: string;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
  /** Group label for the sequence counter, scheduler, retry loop and descriptor. @default undefined */
  group?: string;
}

/**
 * A local sensor source: its samples, its `lego` descriptor, and `errors$`,
 * the read failures it skipped (hot; feed it to `sensorHealth({ errors })`).
 */
export type LocalSensorSource<T> = LegoObservable<SensorSample<T>> & { readonly errors$: Observable<unknown> };

/**
 * Turns readings into samples for one subscription (pure: no RxJS, no
 * clock): stamps timestamps and `quality`/`status`, numbers each sample
 * `peek() + step`, and takes the number only on {@link commit}.
 *
 * ## Example
 * ```ts
 * const sampler = new LocalSensorSampler(new SequenceCounter(), { quality: "good" });
 * const sample = sampler.sample(21.5, 1_000); // { value: 21.5, …, sequenceNumber: 1, quality: "good" }
 * sampler.commit(); // once emitted
 * ```
 * @lego LocalSensorSource
 */
export class LocalSensorSampler {
  constructor(
    readonly sequence: SequenceCounter,
    private readonly extras: SampleExtras = {},
  ) {}

  /** The sample for `reading` at `now`; throws when the value is not valid sample data. */
  sample<T>(reading: T | SensorReading<T>, now: number): SensorSample<T> {
    return stampSample(reading, now, this.sequence.peek() + this.sequence.step, this.extras);
  }

  /** Takes the number of the sample just emitted. */
  commit(): void {
    this.sequence.next();
  }
}

function isSubscribable(value: unknown): value is Subscribable<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { subscribe?: unknown }).subscribe === "function";
}

/** `every` or `trigger`, exactly one, as a stream of ticks. */
function ticksOf(options: LocalSensorSourceOptions, scheduler: SchedulerLike): Observable<unknown> {
  const { every, trigger } = options;
  if ((every === undefined) === (trigger === undefined)) {
    throw new TypeError("localSensorSource needs exactly one of every or trigger");
  }
  if (every !== undefined) return interval(requirePositive("every", every), scheduler).pipe(startWith(-1));
  if (!isSubscribable(trigger)) throw new TypeError("trigger must be an Observable or Subscribable");
  return toObservable(trigger);
}

/**
 * Polls a read function and emits each reading as a {@link SensorSample}
 * (the catalog's `LocalSensorSource = Clock + RetryLoop + SequenceCounter + SensorSample + RouteRef`).
 *
 * With `every`, the first read happens at subscribe (t = 0) and then every
 * `every` ms; with `trigger`, on each of its emissions. `read` may be
 * synchronous or return a Promise; each poll runs it under `retry` and
 * `backoff` (waits on the scheduler, via `retryRunner`), and a tick that
 * arrives while a read — with its retries — is in flight is ignored
 * (counted as `ignored`). Both timestamps are `scheduler.now()` at emission,
 * unless `read` returns `sensorReading(value, sourceTimestamp)`. Samples are
 * numbered `peek() + step` and the counter advances only after emission, so
 * failed reads and invalid values (dropped, counted, `onInvalid`) never use
 * a number.
 *
 * When a read's attempts are exhausted, `onReadError: "error"` errors the
 * stream with the read's last error; `"skip"` reports it to `onError` and
 * on `errors$` and keeps polling.
 *
 * ```text
 * read:     returns 1, 2, 3, … (sync)
 *           localSensorSource(read, { every: 3 })
 * result:   a--b--c--d--…      (a: { value: 1, sourceTimestamp: 0, ingestTimestamp: 0, sequenceNumber: 1 }, b at 3, …)
 * ```
 *
 * ## Example
 * ```ts
 * const temperature$ = localSensorSource(() => sensor.readCelsius(), {
 *   every: 1_000,
 *   retry: RetryPolicy.attempts(3),
 *   backoff: BackoffPolicy.fixed(100),
 *   onReadError: "skip",
 *   group: "ambient",
 * });
 * temperature$.pipe(sensorHealth({ staleAfter: 5_000, errors: temperature$.errors$ }));
 * ```
 * Counters on `lego`: `reads` (attempts), `retries`, `skipped`, `ignored` (ticks), `invalid`, `emitted`.
 * @see {@link reactiveSensorSource} for a sensor that pushes; {@link retryLoop} for the retry semantics.
 * @lego LocalSensorSource
 */
export function localSensorSource<T>(read: LocalSensorRead<T>, options: LocalSensorSourceOptions): LocalSensorSource<T> {
  requireFunction("read", read);
  requireObject("options", options);
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString);
  const scheduler = schedulerOption(options.scheduler, group);
  const ticks$ = ticksOf(options, scheduler);
  const onReadError = optional("onReadError", options.onReadError, (n, v) => requireOneOf(n, v, ["error", "skip"] as const)) ?? "error";
  const onError = optional("onError", options.onError, (n, v) => requireFunction(n, v as (error: unknown) => void));
  const onInvalid = optional("onInvalid", options.onInvalid, (n, v) => requireFunction(n, v as (invalid: InvalidSourceItem) => void));
  const shared = options.sequence === undefined ? undefined : adoptGroup(sequenceCounterOrNew(options.sequence), group);
  const extras: SampleExtras = {
    quality: optional("quality", options.quality, requireString),
    status: optional("status", options.status, requireString),
  };
  const meter = legoMeter("LocalSensorSource", { name, group }, ["reads", "retries", "skipped", "ignored", "invalid", "emitted"]);
  const runner = retryRunner({
    retry: options.retry ?? RetryPolicy.never(),
    backoff: options.backoff ?? BackoffPolicy.none(),
    scheduler,
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    ...(group === undefined ? {} : { group }),
    onRetry: () => {
      meter.count("retries");
    },
  });
  const errors = new Subject<unknown>();

  const attempt = (info: AttemptInfo): T | SensorReading<T> | PromiseLike<T | SensorReading<T>> => {
    meter.count("reads");
    return read(info);
  };

  const poll = (): Observable<T | SensorReading<T>> => {
    const reading$ = runner.run(attempt);
    if (onReadError === "error") return reading$;
    return reading$.pipe(
      catchError((error: unknown) => {
        meter.count("skipped");
        onError?.(error);
        errors.next(error);
        return EMPTY;
      }),
    );
  };

  const output = new Observable<SensorSample<T>>((subscriber) => {
    const sampler = new LocalSensorSampler(shared ?? adoptGroup(new SequenceCounter(), group), extras);
    let inFlight: Subscription | undefined;
    let ticksDone = false;

    const emit = (reading: T | SensorReading<T>): void => {
      let sample: SensorSample<T>;
      try {
        sample = sampler.sample(reading, scheduler.now());
      } catch (error) {
        meter.count("invalid");
        onInvalid?.({ reason: "invalid-sample", item: reading, error });
        return;
      }
      subscriber.next(sample);
      sampler.commit();
      meter.count("emitted");
    };

    // exhaustMap by hand, so ignored ticks can be counted.
    const startPoll = (): void => {
      if (inFlight !== undefined) {
        meter.count("ignored");
        return;
      }
      let done = false;
      // Read through a function: the compiler cannot see a synchronous poll completing.
      const finished = (): boolean => done;
      const subscription = subscribeWithin(subscriber, poll(), {
        next: emit,
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          done = true;
          inFlight = undefined;
          if (ticksDone) subscriber.complete();
        },
      });
      if (!finished()) inFlight = subscription;
    };

    subscribeWithin(subscriber, ticks$, {
      next: startPoll,
      error: (error: unknown) => {
        subscriber.error(error);
      },
      complete: () => {
        ticksDone = true;
        if (inFlight === undefined) subscriber.complete();
      },
    });
  });

  Object.defineProperty(output, "errors$", { value: errors.asObservable(), enumerable: true, writable: false });
  return withLego(output, meter.descriptor) as LocalSensorSource<T>;
}
