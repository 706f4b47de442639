import { Observable, type SchedulerAction, type SchedulerLike, type Subscription } from "rxjs";
import { legoMeter, withLego, type LegoOperator } from "../../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireFinite,
  requireKnownOptions,
  requireNonEmptyString,
  requireObject,
  requirePositive,
  requirePositiveInteger,
} from "../../atom/validate.js";
import { schedulerOption } from "../../time/scheduler.js";
import { subscribeWithin } from "../subscribe-within.js";
import { copyOf, toBuffer, type FramingChunk } from "./framer.js";

/** Options of {@link IdleGapFramer}. */
export interface IdleGapFramerOptions {
  /** Milliseconds of silence that end a message (finite, > 0); serialport's `interval`. */
  interval: number;
  /** Largest message: one that reaches it ends there and the next begins (serialport's `maxBufferSize`). @default 65536 */
  maxBytes?: number;
  /** Label linking the framer to the component that owns it. @default undefined */
  group?: string;
}

/** Options of the {@link idleGap} operator. */
export interface IdleGapOptions extends IdleGapFramerOptions {
  /** Where time and the inter-byte timer come from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
}

const FRAMER_OPTIONS = ["interval", "maxBytes", "group"] as const;
const DEFAULT_MAX_BYTES = 65_536;
const MIN_CAPACITY = 256;

/**
 * Frames a byte stream by silence, as a pure state machine (the project's
 * `IdleGapFramer` lego; serialport's `InterByteTimeoutParser` without its
 * wall-clock timer): bytes collect into a message until `interval` ms pass
 * with no byte (`check(now)`), or until the message reaches `maxBytes`, when
 * it is emitted at once and the next one begins. Time is passed in, so the
 * operator drives it from a scheduler and tests from virtual time.
 *
 * ## Example
 * ```ts
 * const gaps = new IdleGapFramer({ interval: 5 });
 * gaps.feed(new Uint8Array([1, 2]), 0, emit);  // nothing yet
 * gaps.feed(new Uint8Array([3]), 3, emit);     // nothing yet
 * gaps.deadline;                               // 8
 * gaps.check(8, emit);                         // emits [1, 2, 3]
 * ```
 * @see {@link idleGap} the operator.
 * @lego IdleGapFramer
 */
export class IdleGapFramer {
  readonly interval: number;
  readonly maxBytes: number;
  group: string | undefined;
  /** Messages emitted so far. */
  frames = 0;
  /** Messages that ended because they reached `maxBytes`. */
  splits = 0;
  private pending: Buffer = Buffer.alloc(0);
  private pendingLength = 0;
  private lastByteAt = 0;

  constructor(options: IdleGapFramerOptions) {
    requireKnownOptions("IdleGapFramer", requireObject("options", options), FRAMER_OPTIONS);
    this.interval = requirePositive("interval", options.interval);
    this.maxBytes = requirePositiveInteger("maxBytes", options.maxBytes ?? DEFAULT_MAX_BYTES);
    this.group = optionalGroup(options.group);
  }

  /** Bytes held for the message in progress (less than `maxBytes`). */
  get bufferSize(): number {
    return this.pendingLength;
  }

  /** When the message in progress ends if no byte comes first (`lastByte + interval`), or `undefined` when nothing is held. */
  get deadline(): number | undefined {
    return this.pendingLength === 0 ? undefined : this.lastByteAt + this.interval;
  }

  /** Adds a chunk that arrived at `now`; emits every message it filled to `maxBytes`. */
  feed(chunk: FramingChunk, now: number, emit: (message: Uint8Array) => void): void {
    const buf = toBuffer(chunk);
    requireFinite("now", now);
    // A gap already over: the held message ended before this chunk.
    if (this.pendingLength > 0 && now - this.lastByteAt >= this.interval) this.flush(emit);
    const max = this.maxBytes;
    let pos = 0;
    if (this.pendingLength > 0) {
      const take = Math.min(max - this.pendingLength, buf.length);
      this.reserve(this.pendingLength + take);
      buf.copy(this.pending, this.pendingLength, 0, take);
      this.pendingLength += take;
      pos = take;
      if (this.pendingLength === max) {
        this.splits++;
        this.flush(emit);
      }
    }
    for (; buf.length - pos >= max; pos += max) {
      this.frames++;
      this.splits++;
      emit(copyOf(buf, pos, pos + max));
    }
    if (pos < buf.length) {
      this.reserve(buf.length - pos);
      buf.copy(this.pending, 0, pos);
      this.pendingLength = buf.length - pos;
    }
    if (buf.length > 0) this.lastByteAt = now;
  }

  /** Emits the message in progress when its deadline has passed at `now`; returns whether it did. */
  check(now: number, emit: (message: Uint8Array) => void): boolean {
    const deadline = this.deadline;
    if (deadline === undefined || now < deadline) return false;
    this.flush(emit);
    return true;
  }

  /** Emits the message in progress now (at the end of the stream, or on demand), if there is one. */
  flush(emit: (message: Uint8Array) => void): void {
    if (this.pendingLength === 0) return;
    const message = copyOf(this.pending, 0, this.pendingLength);
    this.pendingLength = 0;
    this.frames++;
    emit(message);
  }

  /** Drops the message in progress. */
  clear(): void {
    this.pendingLength = 0;
  }

  private reserve(size: number): void {
    if (size <= this.pending.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.min(this.maxBytes, Math.max(MIN_CAPACITY, this.pending.length * 2, size)));
    this.pending.copy(grown, 0, 0, this.pendingLength);
    this.pending = grown;
  }
}

/**
 * Ends a message after `interval` ms without a byte — the `IdleGapFramer`
 * lego as an operator (serialport's `InterByteTimeoutParser`, with the timer
 * on the scheduler, so it runs in virtual time under `TestScheduler`). A
 * message that reaches `maxBytes` is emitted at once and the next begins.
 * At completion the message in progress is emitted (the end of the stream
 * is silence too); a source error is passed on and the held bytes dropped.
 * One timer per message, re-armed when it fires early, not one per chunk.
 *
 * ```text
 * source:  -a-b-------c----|
 *          idleGap({ interval: 5 })
 * result:  --------x------(y|)    x = a + b (5 ms after b), y = c (at completion)
 * ```
 *
 * ## Example
 * ```ts
 * // A Modbus RTU-like device: a reply ends after 4 ms of silence.
 * port.pipe(idleGap({ interval: 4, maxBytes: 256 })).subscribe((reply) => handle(reply));
 * ```
 * Counters on `lego`: `messages`, `splits` (messages cut at `maxBytes`).
 * @see {@link IdleGapFramer} the state machine (one per subscription).
 * @see {@link watchdog} which reports the silence itself.
 * @lego IdleGapFramer
 */
export function idleGap(options: IdleGapOptions): LegoOperator<FramingChunk, Uint8Array> {
  requireKnownOptions("idleGap", requireObject("options", options), [...FRAMER_OPTIONS, "scheduler", "name"]);
  const { scheduler: schedulerValue, name: nameOption, ...framerOptions } = options;
  const name = optional("name", nameOption, requireNonEmptyString);
  const prototype = new IdleGapFramer(framerOptions);
  const scheduler = schedulerOption(schedulerValue, prototype.group);
  const meter = legoMeter("IdleGapFramer", { name, group: prototype.group }, ["messages", "splits"]);

  const operator = (source: Observable<FramingChunk>): Observable<Uint8Array> =>
    new Observable<Uint8Array>((subscriber) => {
      const framer = new IdleGapFramer(framerOptions);
      let timer: Subscription | undefined;
      const emit = (message: Uint8Array): void => {
        meter.count("messages");
        subscriber.next(message);
      };
      // One action per message: when it fires before the deadline (bytes came since), it re-arms itself.
      function expire(this: SchedulerAction<undefined>): void {
        const now = scheduler.now();
        if (framer.check(now, emit)) {
          timer = undefined;
          return;
        }
        const deadline = framer.deadline;
        if (deadline === undefined) timer = undefined;
        else this.schedule(undefined, deadline - now);
      }
      subscriber.add(() => timer?.unsubscribe());
      subscribeWithin(subscriber, source, {
        next: (chunk) => {
          const splits = framer.splits;
          try {
            framer.feed(chunk, scheduler.now(), emit);
          } catch (error) {
            subscriber.error(error);
            return;
          } finally {
            meter.count("splits", framer.splits - splits);
          }
          if (timer === undefined && framer.deadline !== undefined) timer = scheduler.schedule(expire, framer.interval);
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          timer?.unsubscribe();
          framer.flush(emit);
          subscriber.complete();
        },
      });
    });

  return withLego(operator, meter.descriptor);
}
