import { Observable } from "rxjs";
import { legoMeter, withLego, type LegoOperator } from "../atom/lego-descriptor.js";
import { optional, optionalGroup, requireNonEmptyString, requireObject, requireOneOf, requirePositiveInteger } from "../atom/validate.js";
import { OVERFLOW_POLICIES, type OverflowPolicy } from "../policy/overflow-policy.js";
import { BoundedRingBuffer } from "./bounded-ring-buffer.js";
import { subscribeWithin } from "./subscribe-within.js";

/** Options of {@link DoubleBuffer}. */
export interface DoubleBufferOptions {
  /** Samples per buffer (a positive integer). */
  size: number;
  /** Most finalised packets waiting to be popped (a positive integer). @default 16 */
  maxQueued?: number;
  /**
   * What finalising a packet does when `maxQueued` packets already wait
   * (as for {@link BoundedRingBuffer}: `drop_oldest` evicts the oldest
   * waiting packet, `drop_newest` / `reject` do not queue the new one — it
   * is still returned by `push`/`flush` — and `latest` keeps only the newest).
   * @default "drop_oldest"
   */
  overflow?: OverflowPolicy;
  /** Label linking the buffer to the component that owns it. @default undefined */
  group?: string;
}

/** Options of the {@link doubleBuffer} operator. */
export interface DoubleBufferOperatorOptions extends DoubleBufferOptions {
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
}

/** A finalised buffer: which of the two it was, and its samples in arrival order. */
export interface DoubleBufferPacket<T> {
  readonly bufferId: 0 | 1;
  readonly samples: readonly T[];
}

const DEFAULT_MAX_QUEUED = 16;

/**
 * Two alternating buffers (the catalog's `DoubleBuffer`): samples fill the
 * active buffer; when it holds `size` samples it is finalised — queued as a
 * packet `{ bufferId, samples }` — and the other buffer becomes active.
 * `pop()` takes the oldest packet not yet taken. Finalised packets wait in
 * order until popped — a packet is never overwritten because its buffer id
 * was reused — bounded by `maxQueued` with an overflow policy and the
 * `dropped` / `rejected` counters of {@link BoundedRingBuffer}.
 *
 * ## Example
 * ```ts
 * const db = new DoubleBuffer<number>({ size: 2 });
 * db.push(1);   // undefined
 * db.push(2);   // { bufferId: 0, samples: [1, 2] }
 * db.push(3);   // undefined (buffer 1 is active)
 * db.flush();   // { bufferId: 1, samples: [3] }
 * db.pop();     // { bufferId: 0, samples: [1, 2] }
 * ```
 * @see {@link doubleBuffer} the operator.
 * @lego DoubleBuffer
 */
export class DoubleBuffer<T> {
  readonly size: number;
  readonly maxQueued: number;
  readonly overflow: OverflowPolicy;
  group: string | undefined;
  private active: T[] = [];
  private activeId: 0 | 1 = 0;
  private readonly queue: BoundedRingBuffer<DoubleBufferPacket<T>>;

  constructor(options: DoubleBufferOptions) {
    requireObject("options", options);
    this.size = requirePositiveInteger("size", options.size);
    this.maxQueued = optional("maxQueued", options.maxQueued, requirePositiveInteger) ?? DEFAULT_MAX_QUEUED;
    this.overflow = optional("overflow", options.overflow, (n, v) => requireOneOf(n, v, OVERFLOW_POLICIES)) ?? "drop_oldest";
    this.group = optionalGroup(options.group);
    this.queue = new BoundedRingBuffer({ capacity: this.maxQueued, overflow: this.overflow });
  }

  /** Packets lost to the overflow policy (`drop_oldest`, `drop_newest`, `latest`) before they were popped. */
  get dropped(): number {
    return this.queue.dropped;
  }

  /** Packets not queued under the `reject` policy. */
  get rejected(): number {
    return this.queue.rejected;
  }

  /** Which buffer is being filled. */
  get activeBufferId(): 0 | 1 {
    return this.activeId;
  }

  /** Samples in the active buffer. */
  get activeCount(): number {
    return this.active.length;
  }

  /** Packets waiting to be popped (at most `maxQueued`). */
  get queued(): number {
    return this.queue.size;
  }

  /** Adds a sample; returns the packet when this filled the active buffer, else `undefined`. */
  push(sample: T): DoubleBufferPacket<T> | undefined {
    this.active.push(sample);
    return this.active.length === this.size ? this.finalise() : undefined;
  }

  /** Finalises a non-empty active buffer early; `undefined` when it is empty. */
  flush(): DoubleBufferPacket<T> | undefined {
    return this.active.length === 0 ? undefined : this.finalise();
  }

  /** Takes the oldest finalised packet not yet taken, or `undefined`. */
  pop(): DoubleBufferPacket<T> | undefined {
    return this.queue.pop();
  }

  private finalise(): DoubleBufferPacket<T> {
    const packet: DoubleBufferPacket<T> = Object.freeze({ bufferId: this.activeId, samples: Object.freeze(this.active) });
    this.active = [];
    this.activeId = this.activeId === 0 ? 1 : 0;
    this.queue.push(packet);
    return packet;
  }
}

/**
 * Groups samples into packets of `size`, alternating between two buffers —
 * the `DoubleBuffer` lego as an operator. Each time the active buffer
 * fills, its packet `{ bufferId, samples }` is emitted; at completion a
 * partly filled buffer is emitted too. A source error is passed on and the
 * partial buffer dropped.
 *
 * ```text
 * source:  -a-b-c-d-e-|
 *          doubleBuffer(2)
 * result:  ---x---y---(z|)    x = { bufferId: 0, samples: [a, b] }, y = { bufferId: 1, [c, d] }, z = { bufferId: 0, [e] }
 * ```
 *
 * ## Example
 * ```ts
 * adc$.pipe(doubleBuffer({ size: 256, group: "audio" })).subscribe(({ samples }) => fft(samples));
 * ```
 * Counters on `lego`: `packets`, `samples`.
 * @see {@link DoubleBuffer} the state machine (one per subscription).
 * @lego DoubleBuffer
 */
export function doubleBuffer<T>(size: number): LegoOperator<T, DoubleBufferPacket<T>>;
export function doubleBuffer<T>(options: DoubleBufferOperatorOptions): LegoOperator<T, DoubleBufferPacket<T>>;
export function doubleBuffer<T>(sizeOrOptions: number | DoubleBufferOperatorOptions): LegoOperator<T, DoubleBufferPacket<T>> {
  const options: DoubleBufferOperatorOptions =
    typeof sizeOrOptions === "number" ? { size: sizeOrOptions } : (requireObject("options", sizeOrOptions) as unknown as DoubleBufferOperatorOptions);
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString);
  const { name: _name, ...bufferOptions } = options;
  new DoubleBuffer<T>(bufferOptions); // validates size, maxQueued and overflow now, not at subscribe
  const meter = legoMeter("DoubleBuffer", { name, group }, ["packets", "samples"]);

  const operator = (source: Observable<T>): Observable<DoubleBufferPacket<T>> =>
    new Observable<DoubleBufferPacket<T>>((subscriber) => {
      const buffer = new DoubleBuffer<T>(bufferOptions);
      const emit = (packet: DoubleBufferPacket<T> | undefined): void => {
        if (packet === undefined) return;
        buffer.pop();
        meter.count("packets");
        subscriber.next(packet);
      };
      subscribeWithin(subscriber, source, {
        next: (sample) => {
          meter.count("samples");
          emit(buffer.push(sample));
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          emit(buffer.flush());
          subscriber.complete();
        },
      });
    });

  return withLego(operator, meter.descriptor);
}
