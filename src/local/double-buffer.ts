import { Observable } from "rxjs";
import { legoMeter, withLego, type LegoOperator } from "../atom/lego-descriptor.js";
import { optional, optionalGroup, requireNonEmptyString, requireObject, requirePositiveInteger } from "../atom/validate.js";
import { subscribeWithin } from "./subscribe-within.js";

/** Options of {@link DoubleBuffer}. */
export interface DoubleBufferOptions {
  /** Samples per buffer (a positive integer). */
  size: number;
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

/** At most both buffers can be waiting to be read. */
const MAX_QUEUED = 2;

/**
 * Two alternating buffers (the catalog's `DoubleBuffer`): samples fill the
 * active buffer; when it holds `size` samples it is finalised — queued as a
 * packet `{ bufferId, samples }` — and the other buffer becomes active.
 * `pop()` takes the oldest packet not yet taken. As with two real buffers,
 * at most two packets wait: finalising a third overwrites the oldest, which
 * is counted in `dropped`.
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
  group: string | undefined;
  /** Packets overwritten before they were popped. */
  dropped = 0;
  private active: T[] = [];
  private activeId: 0 | 1 = 0;
  private readonly queue: DoubleBufferPacket<T>[] = [];

  constructor(options: DoubleBufferOptions) {
    requireObject("options", options);
    this.size = requirePositiveInteger("size", options.size);
    this.group = optionalGroup(options.group);
  }

  /** Which buffer is being filled. */
  get activeBufferId(): 0 | 1 {
    return this.activeId;
  }

  /** Samples in the active buffer. */
  get activeCount(): number {
    return this.active.length;
  }

  /** Packets waiting to be popped (0, 1 or 2). */
  get queued(): number {
    return this.queue.length;
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
    return this.queue.shift();
  }

  private finalise(): DoubleBufferPacket<T> {
    const packet: DoubleBufferPacket<T> = Object.freeze({ bufferId: this.activeId, samples: Object.freeze(this.active) });
    this.active = [];
    this.activeId = this.activeId === 0 ? 1 : 0;
    this.queue.push(packet);
    if (this.queue.length > MAX_QUEUED) {
      this.queue.shift();
      this.dropped++;
    }
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
  const options = typeof sizeOrOptions === "number" ? { size: sizeOrOptions } : requireObject("options", sizeOrOptions);
  const size = requirePositiveInteger("size", options.size);
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString);
  const meter = legoMeter("DoubleBuffer", { name, group }, ["packets", "samples"]);

  const operator = (source: Observable<T>): Observable<DoubleBufferPacket<T>> =>
    new Observable<DoubleBufferPacket<T>>((subscriber) => {
      const buffer = new DoubleBuffer<T>({ size, ...(group === undefined ? {} : { group }) });
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
