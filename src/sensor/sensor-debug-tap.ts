import { Observable } from "rxjs";
import { adoptGroup } from "../atom/grouped.js";
import { legoMeter, withLego, type MonoLegoOperator } from "../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireFunction,
  requireNonEmptyString,
  requireObject,
  requireOneOf,
  requirePositiveInteger,
  requireString,
} from "../atom/validate.js";
import { BoundedRingBuffer } from "../local/bounded-ring-buffer.js";
import { subscribeWithin } from "../local/subscribe-within.js";
import { isClock, systemClock, type Clock } from "../time/clock.js";
import { ManualClock } from "../time/manual-clock.js";

/** Where in a pipeline a debug envelope was taken. */
export const DEBUG_STAGES = Object.freeze(["raw", "view", "logical", "frame"] as const);
export type DebugStage = (typeof DEBUG_STAGES)[number];

/** What {@link SensorDebugTap.publish} records: a payload seen at a stage of a stream, and when. */
export interface DebugEnvelope<P = unknown> {
  readonly stage: DebugStage;
  readonly streamName: string;
  readonly sourceId: string;
  /** When the tap saw the payload, ms from the tap's clock. */
  readonly timestamp: number;
  readonly payload: P;
  /** Ids of the sources this payload was derived from. */
  readonly upstreamIds: readonly string[];
  readonly group?: string;
}

/** What {@link SensorDebugTap.publish} takes. */
export interface DebugPublication<P = unknown> {
  stage: DebugStage;
  streamName: string;
  sourceId: string;
  payload: P;
  /** @default [] */
  upstreamIds?: readonly string[] | undefined;
  /** @default the tap's group */
  group?: string | undefined;
}

/** Options of {@link SensorDebugTap}. */
export interface SensorDebugTapOptions {
  /** Envelopes kept for `snapshot()`, oldest dropped first (a positive integer). @default 512 */
  historySize?: number;
  /** Where timestamps come from; a `ManualClock` without a group adopts the tap's. @default systemClock */
  clock?: Clock;
  /** Label of the tap; envelopes without a group of their own carry it. @default undefined */
  group?: string;
}

/** Options of the {@link debugTap} operator. */
export interface DebugTapOptions {
  stage: DebugStage;
  streamName: string;
  sourceId: string;
  /** @default [] */
  upstreamIds?: readonly string[];
  /** The envelopes' group. @default the tap's group */
  group?: string;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
}

/** A filter for {@link SensorDebugTap.snapshot}: envelopes matching every given field. */
export interface DebugSnapshotFilter {
  stage?: DebugStage;
  streamName?: string;
  sourceId?: string;
}

const DEFAULT_HISTORY_SIZE = 512;

function upstreamIdsOption(value: unknown): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) throw new TypeError("upstreamIds must be an array of strings");
  return Object.freeze((value as unknown[]).map((id, i) => requireString(`upstreamIds[${i}]`, id)));
}

/**
 * A bounded history of what flowed through a pipeline (the catalog's
 * `SensorDebugTap`): `publish` records a payload with its stage (`raw`,
 * `view`, `logical`, `frame`), stream, source and time; `snapshot()` returns
 * the last `historySize` envelopes, oldest first; `listen` follows them live.
 * Payloads are kept as given, not copied.
 *
 * ## Example
 * ```ts
 * const tap = new SensorDebugTap({ historySize: 100, group: "uart" });
 * lines$.pipe(debugTap(tap, { stage: "raw", streamName: "uart0.lines", sourceId: "uart0" })).subscribe();
 * tap.snapshot({ stage: "raw" }); // the last raw lines, with timestamps
 * ```
 * @see {@link debugTap} the operator that publishes every value of a stream.
 * @lego SensorDebugTap
 */
export class SensorDebugTap {
  readonly historySize: number;
  group: string | undefined;
  /** Envelopes published so far. */
  published = 0;
  /** Listener calls that threw (a debugging aid must not break the pipeline it watches). */
  listenerErrors = 0;
  private readonly clock: Clock;
  private readonly history: BoundedRingBuffer<DebugEnvelope>;
  private readonly listeners = new Set<(envelope: DebugEnvelope) => void>();

  constructor(options: SensorDebugTapOptions = {}) {
    requireObject("options", options);
    this.historySize = requirePositiveInteger("historySize", options.historySize ?? DEFAULT_HISTORY_SIZE);
    this.group = optionalGroup(options.group);
    const clock = options.clock ?? systemClock;
    if (!isClock(clock)) throw new TypeError("clock must be a Clock (with now())");
    if (clock instanceof ManualClock) adoptGroup(clock, this.group);
    this.clock = clock;
    this.history = new BoundedRingBuffer({ capacity: this.historySize, overflow: "drop_oldest", ...(this.group === undefined ? {} : { group: this.group }) });
  }

  /** Envelopes held (at most `historySize`). */
  get size(): number {
    return this.history.size;
  }

  /** Envelopes dropped from the history to make room. */
  get dropped(): number {
    return this.history.dropped;
  }

  /** Records `publication` stamped with the tap's clock, and returns the envelope kept. */
  publish<P>(publication: DebugPublication<P>): DebugEnvelope<P> {
    requireObject("publication", publication);
    const envelope: { -readonly [K in keyof DebugEnvelope<P>]: DebugEnvelope<P>[K] } = {
      stage: requireOneOf("stage", publication.stage, DEBUG_STAGES),
      streamName: requireNonEmptyString("streamName", publication.streamName),
      sourceId: requireString("sourceId", publication.sourceId),
      timestamp: this.clock.now(),
      payload: publication.payload,
      upstreamIds: upstreamIdsOption(publication.upstreamIds),
    };
    const group = optionalGroup(publication.group) ?? this.group;
    if (group !== undefined) envelope.group = group;
    Object.freeze(envelope);
    this.history.push(envelope);
    this.published++;
    for (const listener of this.listeners) {
      try {
        listener(envelope);
      } catch {
        this.listenerErrors++;
      }
    }
    return envelope;
  }

  /** The envelopes held, oldest first, optionally only those matching `filter`. */
  snapshot(filter: DebugSnapshotFilter = {}): readonly DebugEnvelope[] {
    const all = [...this.history];
    const { stage, streamName, sourceId } = filter;
    return Object.freeze(
      all.filter(
        (e) =>
          (stage === undefined || e.stage === stage) &&
          (streamName === undefined || e.streamName === streamName) &&
          (sourceId === undefined || e.sourceId === sourceId),
      ),
    );
  }

  /** Calls `listener` with every envelope published from now on; returns a function that stops it. */
  listen(listener: (envelope: DebugEnvelope) => void): () => void {
    const callback = requireFunction("listener", listener);
    this.listeners.add(callback);
    return () => {
      this.listeners.delete(callback);
    };
  }

  /** Forgets the history (counters are kept). */
  clear(): void {
    this.history.clear();
  }
}

/**
 * Publishes every value that passes to a {@link SensorDebugTap}, unchanged —
 * the `SensorDebugTap` lego as an operator. Timestamps come from the tap's
 * clock; the envelopes' group is this operator's `group`, else the tap's.
 * Errors and completion pass through untouched.
 *
 * ```text
 * source:  -a-b-|
 *          debugTap(tap, { stage: "raw", streamName: "uart0", sourceId: "uart0" })
 * result:  -a-b-|      (tap.snapshot() now holds a and b)
 * ```
 *
 * ## Example
 * ```ts
 * const tap = new SensorDebugTap({ group: "ambient" });
 * samples$.pipe(debugTap(tap, { stage: "logical", streamName: "ambient.temperature", sourceId: "bme280" }));
 * ```
 * Counters on `lego`: `published`.
 * @lego SensorDebugTap
 */
export function debugTap<T>(tap: SensorDebugTap, options: DebugTapOptions): MonoLegoOperator<T> {
  if (!(tap instanceof SensorDebugTap)) throw new TypeError("tap must be a SensorDebugTap");
  requireObject("options", options);
  const stage = requireOneOf("stage", options.stage, DEBUG_STAGES);
  const streamName = requireNonEmptyString("streamName", options.streamName);
  const sourceId = requireString("sourceId", options.sourceId);
  const upstreamIds = upstreamIdsOption(options.upstreamIds);
  const group = optionalGroup(options.group) ?? tap.group;
  const name = optional("name", options.name, requireNonEmptyString);
  const meter = legoMeter("SensorDebugTap", { name, group }, ["published"]);

  const operator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      subscribeWithin(subscriber, source, {
        next: (value) => {
          tap.publish({ stage, streamName, sourceId, payload: value, upstreamIds, group });
          meter.count("published");
          subscriber.next(value);
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          subscriber.complete();
        },
      });
    });

  return withLego(operator, meter.descriptor);
}
