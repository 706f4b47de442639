import { filter, Observable, share, type SchedulerLike, type Subscription } from "rxjs";
import { BackoffPolicy } from "../policy/backoff-policy.js";
import { RetryPolicy } from "../policy/retry-policy.js";
import { delimited } from "../local/delimited-message-buffer.js";
import { PipelineGraph } from "../local/graph.js";
import { rateMatch } from "../local/rate-match.js";
import { thresholdFilter } from "../local/threshold-filter.js";
import type { LocalDurableSpool } from "../durable/local-durable-spool.js";
import type { HealthStatus } from "../sensor/health-status.js";
import { decodeJsonEvents } from "../sensor/json-event-decoder.js";
import { debugTap, type SensorDebugTap } from "../sensor/sensor-debug-tap.js";
import type { SensorEvent } from "../sensor/sensor-event.js";
import { sensorHealth } from "../sensor/sensor-health.js";
import { fromSerialPort, type SerialBinding, type SerialPortSource } from "../sensor/serial-port-source.js";

/**
 * The demo's sensor pipeline, without any printing: serial bytes → framed
 * lines → JSON events → deadband → rate matched to the consumer → spooled
 * to LevelDB, with a health watchdog tapping the decoded events.
 *
 * ```
 * fromSerialPort → delimited → decodeJsonEvents ─┬→ thresholdFilter → rateMatch → spool.record()
 *                                                └→ sensorHealth
 * ```
 */

export interface DemoPipelineOptions {
  /** Where the sensor is: `{ path, baudRate, binding? }`. */
  port: { path: string; baudRate: number; binding?: SerialBinding | undefined };
  /** The open spool the matched events go to. */
  spool: LocalDurableSpool<SensorEvent>;
  /** Group label of every lego in the pipeline. @default "ambient" */
  group?: string;
  /** Health goes stale after this long without a reading, in ms. @default 1000 */
  staleAfter?: number;
  /** The consumer's pace: one matched reading per this many ms. @default 200 */
  demandEvery?: number;
  /** Deadband on temperature and humidity. @default 0.05 */
  threshold?: number;
  scheduler?: SchedulerLike;
  /**
   * Publishes the serial chunks (stage `raw`) and the decoded events
   * (stage `logical`) to this tap; the two taps show as branches of the graph.
   * @default no tap
   */
  debugTap?: SensorDebugTap;
}

/** Where each lego stands in the pipeline's graph, for reading its counters. */
export const DEMO_STAGE = Object.freeze({ source: 0, frame: 1, decode: 2, deadband: 3, match: 4, spool: 5, health: 6 });
export type DemoStage = keyof typeof DEMO_STAGE;

/** One change of health status, for the summary. */
export interface HealthTransition {
  readonly from: HealthStatus["status"] | undefined;
  readonly to: HealthStatus["status"];
  readonly at: number;
  readonly message: string;
}

/** Invalid input the pipeline dropped, by reason. */
export type InvalidCounts = Record<string, number>;

export interface DemoPipeline {
  /** The serial source (for `write`, `events$` and its counters). */
  readonly source: SerialPortSource;
  /** The pipeline's description with live counters. */
  readonly graph: PipelineGraph;
  /** Dropped input by reason (`not-json`, `invalid-utf8`, `oversize`, …). */
  readonly invalid: InvalidCounts;
  /** Every health status change, in order. */
  readonly transitions: readonly HealthTransition[];
  /** The current health, once reported. */
  readonly health: HealthStatus | undefined;
  /** Starts the pipeline; `onError` hears a failure that ended it. */
  start(onError: (error: unknown) => void): Subscription;
}

/** Builds (but does not start) the demo pipeline. */
export function demoPipeline(options: DemoPipelineOptions): DemoPipeline {
  const group = options.group ?? "ambient";
  const scheduler = options.scheduler;
  const invalid: InvalidCounts = {};
  const transitions: HealthTransition[] = [];
  let health: HealthStatus | undefined;
  const countInvalid = ({ reason }: { reason: string }): void => {
    invalid[reason] = (invalid[reason] ?? 0) + 1;
  };

  const source = fromSerialPort({
    ...options.port,
    group,
    // A sensor loop should outlive an unplug of any length: retry forever, backing off to 1 s.
    retry: RetryPolicy.forever(),
    backoff: BackoffPolicy.exponential({ initialDelay: 50, multiplier: 2, maxDelay: 1_000 }),
    // A stat every 100 ms notices an unplug even when the binding misses the hang-up
    // (bindings-cpp#162) and the device is back before a slower check would look.
    ...(options.port.binding === undefined ? { presenceCheck: 100 } : {}),
    ...(scheduler === undefined ? {} : { scheduler }),
  });
  // A line cut by an unplug is reported incomplete at the reopen, not glued to the first bytes after it.
  const reopened$ = source.events$.pipe(filter((event) => event.type === "open"));
  const frame = delimited({ mode: "bytes", maxMessageBytes: 4_096, onInvalid: countInvalid, group, reset$: reopened$ });
  const decode = decodeJsonEvents({
    defaultEventType: "ambient.reading",
    identity: { id: "sht31-uart", tags: [{ name: "kind", variant: "temperature-humidity" }] },
    onInvalid: countInvalid,
    group,
    ...(scheduler === undefined ? {} : { scheduler }),
  });
  const deadband = thresholdFilter<SensorEvent>({ threshold: options.threshold ?? 0.05, key: (event) => event.data, group });
  const match = rateMatch<SensorEvent>({
    mode: "latest",
    demand: options.demandEvery ?? 200,
    group,
    ...(scheduler === undefined ? {} : { scheduler }),
  });
  const record = options.spool.record();
  const watch = sensorHealth({
    staleAfter: options.staleAfter ?? 1_000,
    group,
    ...(scheduler === undefined ? {} : { scheduler }),
  });

  const tap = options.debugTap;
  const rawTap = tap === undefined ? undefined : debugTap<Uint8Array>(tap, { stage: "raw", streamName: `${group}.serial`, sourceId: options.port.path, group, name: "raw serial chunks" });
  const logicalTap = tap === undefined ? undefined : debugTap<SensorEvent>(tap, { stage: "logical", streamName: `${group}.events`, sourceId: "sht31-uart", group, name: "decoded events" });

  // Listed in DEMO_STAGE order; the health watchdog branches off the decoded events, the debug taps
  // (when given) come after it so the indices above stay put.
  const graph = new PipelineGraph([source, frame, decode, deadband, match, record], {
    name: `${group} sensor pipeline`,
    group,
    branches: [
      { from: DEMO_STAGE.decode, parts: [watch] },
      ...(rawTap === undefined ? [] : [{ from: DEMO_STAGE.source, parts: [rawTap] }]),
      ...(logicalTap === undefined ? [] : [{ from: DEMO_STAGE.decode, parts: [logicalTap] }]),
    ],
  });

  return {
    source,
    graph,
    invalid,
    transitions,
    get health() {
      return health;
    },
    start(onError) {
      const chunks$ = rawTap === undefined ? source : source.pipe(rawTap);
      const decoded$ = chunks$.pipe(frame, decode);
      const events$: Observable<SensorEvent> = (logicalTap === undefined ? decoded$ : decoded$.pipe(logicalTap)).pipe(share());
      const subscription = events$.pipe(watch).subscribe({
        next: (status) => {
          if (status.status !== health?.status) {
            transitions.push({ from: health?.status, to: status.status, at: status.observedAt, message: status.message });
          }
          health = status;
        },
        error: onError,
      });
      subscription.add(events$.pipe(deadband, match, record).subscribe({ error: onError }));
      return subscription;
    },
  };
}
