import { Observable } from "rxjs";
import { legoMeter, withLego, type LegoOperator } from "../atom/lego-descriptor.js";
import { optional, optionalGroup, requireFunction, requireNonEmptyString, requireObject, requirePositiveInteger } from "../atom/validate.js";
import { subscribeWithin } from "./subscribe-within.js";

/** A frame or slot id: a string or a finite number. */
export type FrameKey = string | number;

/** How to read a frame or slot id from a sample: a function, or the name of a property. */
export type FrameKeyOf<T> = ((sample: T) => unknown) | (T extends object ? keyof T & string : string);

/** Why samples did not make it into a frame. */
export type FrameInvalidReason = "bad-frame-id" | "bad-slot-id" | "evicted" | "incomplete";

/** Samples that did not make it into a frame: why, which frame (when known), and the samples. */
export interface InvalidFrameData<T> {
  readonly reason: FrameInvalidReason;
  readonly frameId?: FrameKey;
  readonly samples: readonly T[];
}

/** A complete frame: its id and one sample per slot, ordered by slot id. */
export interface SensorFrame<T> {
  readonly frameId: FrameKey;
  readonly samples: readonly T[];
}

/** Options of {@link FrameAssembler}. */
export interface FrameAssemblerOptions<T> {
  /** Distinct slots that make a frame complete (a positive integer). */
  expectedCount: number;
  /** The frame a sample belongs to (e.g. a sequence number). */
  frameId: FrameKeyOf<T>;
  /** The sample's slot in its frame (e.g. a channel index); a later sample for a taken slot replaces it. */
  slotId: FrameKeyOf<T>;
  /** Incomplete frames held at once; a new frame beyond this evicts the oldest. @default 16 */
  maxPendingFrames?: number;
  /** Told about samples that did not make a frame (bad ids, evicted or incomplete frames). @default undefined */
  onInvalid?: (invalid: InvalidFrameData<T>) => void;
  /** Label linking the assembler to the component that owns it. @default undefined */
  group?: string;
}

/** Options of the {@link assembleFrames} operator. */
export interface AssembleFramesOptions<T> extends FrameAssemblerOptions<T> {
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
}

const DEFAULT_MAX_PENDING_FRAMES = 16;

function keyReader(name: string, value: unknown): (sample: unknown) => unknown {
  if (typeof value === "string") {
    if (value.length === 0) throw new RangeError(`${name} must not be empty`);
    return (sample) => (typeof sample === "object" && sample !== null ? (sample as Record<string, unknown>)[value] : undefined);
  }
  return requireFunction(name, value as ((sample: unknown) => unknown) | undefined);
}

function isFrameKey(value: unknown): value is FrameKey {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

/** Numbers in numeric order, then strings in code-unit order. */
function compareSlots(a: FrameKey, b: FrameKey): number {
  if (typeof a === "number") return typeof b === "number" ? a - b : -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Assembles frames from samples that arrive slot by slot (the catalog's
 * `FrameAssembler`): samples are grouped by `frameId`, and a frame is
 * emitted once it has `expectedCount` distinct `slotId`s, its samples
 * ordered by slot id. Memory is bounded: at most `maxPendingFrames`
 * incomplete frames are held, the oldest evicted first.
 *
 * Samples whose ids are not strings or finite numbers are dropped, counted
 * and reported (`onInvalid`), as are evicted frames and, at `end()`, the
 * frames still incomplete.
 *
 * ## Example
 * ```ts
 * const frames = new FrameAssembler<{ seq: number; ch: number; v: number }>({ expectedCount: 2, frameId: "seq", slotId: "ch" });
 * frames.add({ seq: 7, ch: 1, v: 0.5 }); // []
 * frames.add({ seq: 7, ch: 0, v: 0.1 }); // [{ frameId: 7, samples: [{ ch: 0, … }, { ch: 1, … }] }]
 * ```
 * @see {@link assembleFrames} the operator.
 * @lego FrameAssembler
 */
export class FrameAssembler<T> {
  readonly expectedCount: number;
  readonly maxPendingFrames: number;
  group: string | undefined;
  /** Frames completed. */
  frames = 0;
  /** Samples that replaced an earlier sample for the same slot. */
  duplicates = 0;
  /** Samples dropped for a bad frame or slot id. */
  invalid = 0;
  /** Incomplete frames evicted to make room. */
  evicted = 0;
  /** Incomplete frames dropped by `end()`. */
  incomplete = 0;
  private readonly frameIdOf: (sample: unknown) => unknown;
  private readonly slotIdOf: (sample: unknown) => unknown;
  private readonly onInvalid: ((invalid: InvalidFrameData<T>) => void) | undefined;
  private readonly pending = new Map<FrameKey, Map<FrameKey, T>>();

  constructor(options: FrameAssemblerOptions<T>) {
    requireObject("options", options);
    this.expectedCount = requirePositiveInteger("expectedCount", options.expectedCount);
    this.frameIdOf = keyReader("frameId", options.frameId);
    this.slotIdOf = keyReader("slotId", options.slotId);
    this.maxPendingFrames = requirePositiveInteger("maxPendingFrames", options.maxPendingFrames ?? DEFAULT_MAX_PENDING_FRAMES);
    this.onInvalid = options.onInvalid === undefined ? undefined : requireFunction("onInvalid", options.onInvalid);
    this.group = optionalGroup(options.group);
  }

  /** Incomplete frames held. */
  get pendingFrames(): number {
    return this.pending.size;
  }

  /** Adds a sample; returns the frames it completed (none or one). */
  add(sample: T): SensorFrame<T>[] {
    const frameId = this.frameIdOf(sample);
    if (!isFrameKey(frameId)) return this.reject({ reason: "bad-frame-id", samples: [sample] });
    const slotId = this.slotIdOf(sample);
    if (!isFrameKey(slotId)) return this.reject({ reason: "bad-slot-id", frameId, samples: [sample] });

    let slots = this.pending.get(frameId);
    if (slots === undefined) {
      this.makeRoom();
      slots = new Map();
      this.pending.set(frameId, slots);
    }
    if (slots.has(slotId)) this.duplicates++;
    slots.set(slotId, sample);
    if (slots.size < this.expectedCount) return [];

    this.pending.delete(frameId);
    this.frames++;
    const samples = [...slots.entries()].sort(([a], [b]) => compareSlots(a, b)).map(([, value]) => value);
    return [Object.freeze({ frameId, samples: Object.freeze(samples) })];
  }

  /** Drops every incomplete frame, reporting each as `incomplete`. */
  end(): void {
    const frames = [...this.pending];
    this.pending.clear();
    for (const [frameId, slots] of frames) {
      this.incomplete++;
      this.report({ reason: "incomplete", frameId, samples: [...slots.values()] });
    }
  }

  /** Drops every incomplete frame without reporting. */
  clear(): void {
    this.pending.clear();
  }

  private makeRoom(): void {
    if (this.pending.size < this.maxPendingFrames) return;
    const oldest = this.pending.entries().next().value;
    if (oldest === undefined) return;
    const [frameId, slots] = oldest;
    this.pending.delete(frameId);
    this.evicted++;
    this.report({ reason: "evicted", frameId, samples: [...slots.values()] });
  }

  private reject(invalid: InvalidFrameData<T>): SensorFrame<T>[] {
    this.invalid++;
    this.report(invalid);
    return [];
  }

  private report(invalid: InvalidFrameData<T>): void {
    this.onInvalid?.(Object.freeze({ ...invalid, samples: Object.freeze(invalid.samples) }));
  }
}

/**
 * Emits a frame `{ frameId, samples }` each time `expectedCount` distinct
 * slots of one frame have arrived — the `FrameAssembler` lego as an
 * operator. Bad ids, evicted frames and (at completion) incomplete frames
 * are dropped, counted and reported to `onInvalid`; the stream goes on.
 *
 * ```text
 * source:  -a-b-c-d-|    a = 7/ch1, b = 8/ch0, c = 7/ch0, d = 8/ch1
 *          assembleFrames({ expectedCount: 2, frameId: "seq", slotId: "ch" })
 * result:  -----x-y-|    x = { frameId: 7, samples: [c, a] }, y = { frameId: 8, samples: [b, d] }
 * ```
 *
 * ## Example
 * ```ts
 * channels$.pipe(assembleFrames({ expectedCount: 4, frameId: (s) => s.sequenceNumber, slotId: "channel" }))
 *   .subscribe(({ samples }) => plot(samples));
 * ```
 * Counters on `lego`: `frames`, `invalid`, `duplicates`, `evicted`, `incomplete`.
 * @see {@link FrameAssembler} the state machine (one per subscription).
 * @lego FrameAssembler
 */
export function assembleFrames<T>(options: AssembleFramesOptions<T>): LegoOperator<T, SensorFrame<T>> {
  requireObject("options", options);
  const name = optional("name", options.name, requireNonEmptyString);
  const onInvalid = options.onInvalid === undefined ? undefined : requireFunction("onInvalid", options.onInvalid);
  const { group } = new FrameAssembler<T>(options);
  const meter = legoMeter("FrameAssembler", { name, group }, ["frames", "invalid", "duplicates", "evicted", "incomplete"]);
  const counted = (invalid: InvalidFrameData<T>): void => {
    meter.count(invalid.reason === "evicted" ? "evicted" : invalid.reason === "incomplete" ? "incomplete" : "invalid");
    onInvalid?.(invalid);
  };

  const operator = (source: Observable<T>): Observable<SensorFrame<T>> =>
    new Observable<SensorFrame<T>>((subscriber) => {
      const assembler = new FrameAssembler<T>({ ...options, onInvalid: counted });
      subscribeWithin(subscriber, source, {
        next: (sample) => {
          const duplicates = assembler.duplicates;
          let frames: SensorFrame<T>[];
          try {
            frames = assembler.add(sample);
          } catch (error) {
            subscriber.error(error);
            return;
          }
          if (assembler.duplicates !== duplicates) meter.count("duplicates");
          for (const frame of frames) {
            meter.count("frames");
            subscriber.next(frame);
          }
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          try {
            assembler.end();
          } catch (error) {
            subscriber.error(error);
            return;
          }
          subscriber.complete();
        },
      });
    });

  return withLego(operator, meter.descriptor);
}
