import { Observable } from "rxjs";
import { legoMeter, withLego, type LegoOperator } from "../../atom/lego-descriptor.js";
import { optional, optionalGroup, requireKnownOptions, requireNonEmptyString, requireObject } from "../../atom/validate.js";
import { subscribeWithin } from "../subscribe-within.js";
import { bytesOption, callbackOption, toBuffer, viewOf, type FramingChunk } from "./framer.js";

/** Options of {@link ReadyGate}. */
export interface ReadyGateOptions {
  /** The bytes a device sends when it is ready: a non-empty string (UTF-8), byte sequence or array of byte numbers (serialport's `delimiter`). */
  sequence: string | Uint8Array | readonly number[];
  /** Called once, when the sequence has arrived. @default undefined */
  onReady?: () => void;
  /** Label linking the gate to the component that owns it. @default undefined */
  group?: string;
}

/** Options of the {@link awaitReady} operator. */
export interface AwaitReadyOptions extends ReadyGateOptions {
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
}

const GATE_OPTIONS = ["sequence", "onReady", "group"] as const;

/**
 * Drops a byte stream until a ready sequence arrives, then passes
 * everything after it through (the project's `ReadyGate` lego; serialport's
 * `ReadyParser`): a device's boot banner or noise before it is ready is
 * skipped and counted (`skippedBytes`). The sequence may be split across
 * chunks and may overlap itself (`"aab"` is found in `"aaab"`, which
 * serialport's parser misses). It holds at most `sequence.length − 1` bytes.
 *
 * ## Example
 * ```ts
 * const gate = new ReadyGate({ sequence: "READY\r\n" });
 * gate.append("boot… REA");     // []
 * gate.append("DY\r\n{\"t\":1"); // ['{"t":1' as bytes]
 * gate.append("}\n");           // ['}\n' as bytes]
 * ```
 * @see {@link awaitReady} the operator.
 * @lego ReadyGate
 */
export class ReadyGate {
  readonly sequence: Uint8Array;
  group: string | undefined;
  /** Chunks (or chunk rests) passed on so far. */
  frames = 0;
  /** Bytes dropped before the sequence (the sequence's own bytes included). */
  skippedBytes = 0;
  private readonly seq: Buffer;
  private readonly onReady: (() => void) | undefined;
  private isReady = false;
  /** The last bytes seen before ready, where the sequence may begin. */
  private tail: Buffer = Buffer.alloc(0);

  constructor(options: ReadyGateOptions) {
    requireKnownOptions("ReadyGate", requireObject("options", options), GATE_OPTIONS);
    this.seq = bytesOption("sequence", options.sequence);
    this.sequence = new Uint8Array(this.seq);
    this.onReady = callbackOption("onReady", options.onReady);
    this.group = optionalGroup(options.group);
  }

  /** Whether the sequence has arrived. */
  get ready(): boolean {
    return this.isReady;
  }

  /** Bytes held while waiting (at most `sequence.length − 1`). */
  get bufferSize(): number {
    return this.tail.length;
  }

  /** Adds a chunk and returns what it lets through (nothing, its rest after the sequence, or all of it). */
  append(chunk: FramingChunk): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.feed(chunk, (bytes) => out.push(bytes));
    return out;
  }

  /**
   * Adds a chunk and hands what passes to `emit`, never empty: once ready,
   * the chunk itself (a string as its UTF-8 bytes); the chunk that completes
   * the sequence, a view of its rest.
   */
  feed(chunk: FramingChunk, emit: (bytes: Uint8Array) => void): void {
    if (this.isReady && chunk instanceof Uint8Array) {
      if (chunk.length === 0) return;
      this.frames++;
      emit(chunk);
      return;
    }
    const buf = toBuffer(chunk);
    if (this.isReady) {
      if (buf.length === 0) return;
      this.frames++;
      emit(viewOf(buf, 0, buf.length));
      return;
    }
    const held = this.tail.length;
    const search = held === 0 ? buf : Buffer.concat([this.tail, buf]);
    const at = search.indexOf(this.seq);
    if (at === -1) {
      const keep = Math.min(search.length, this.seq.length - 1);
      this.skippedBytes += search.length - keep;
      this.tail = Buffer.from(search.subarray(search.length - keep));
      return;
    }
    const after = at + this.seq.length - held;
    this.skippedBytes += at + this.seq.length;
    this.tail = Buffer.alloc(0);
    this.isReady = true;
    this.onReady?.();
    if (after < buf.length) {
      this.frames++;
      emit(viewOf(buf, after, buf.length));
    }
  }

  /** Ends the stream; bytes still held while waiting count as skipped. */
  end(): void {
    this.skippedBytes += this.tail.length;
    this.tail = Buffer.alloc(0);
  }

  /** Waits for the sequence again (after a reconnect, say). */
  reset(): void {
    this.isReady = false;
    this.tail = Buffer.alloc(0);
  }
}

/**
 * Waits for a device's ready sequence, then passes the byte stream through
 * — the `ReadyGate` lego as an operator (serialport's `ReadyParser`; its
 * `ready` event is `onReady`). Bytes before the sequence, and the sequence
 * itself, are dropped and counted; the rest of the chunk that completed it
 * is emitted, then every chunk as it comes (the same object; a string as
 * its UTF-8 bytes). Each subscription waits anew.
 *
 * ```text
 * source:  --a----b---c--|     a = "boot RE", b = "ADY\nx", c = "yz"
 *          awaitReady({ sequence: "READY\n" })
 * result:  -------x---c--|     x = "x"
 * ```
 *
 * ## Example
 * ```ts
 * port.pipe(awaitReady({ sequence: "READY\r\n", onReady: () => port.write("START\r\n") }), delimited({ mode: "text" }));
 * ```
 * Counters on `lego`: `messages` (chunks passed), `skippedBytes`, `ready` (times the sequence arrived).
 * @see {@link ReadyGate} the state machine (one per subscription).
 * @lego ReadyGate
 */
export function awaitReady(sequence: string | Uint8Array | readonly number[]): LegoOperator<FramingChunk, Uint8Array>;
export function awaitReady(options: AwaitReadyOptions): LegoOperator<FramingChunk, Uint8Array>;
export function awaitReady(sequenceOrOptions: string | Uint8Array | readonly number[] | AwaitReadyOptions): LegoOperator<FramingChunk, Uint8Array> {
  const options: AwaitReadyOptions =
    typeof sequenceOrOptions === "string" || sequenceOrOptions instanceof Uint8Array || Array.isArray(sequenceOrOptions)
      ? { sequence: sequenceOrOptions as string | Uint8Array | readonly number[] }
      : (sequenceOrOptions as AwaitReadyOptions);
  requireKnownOptions("awaitReady", requireObject("options", options), [...GATE_OPTIONS, "name"]);
  const { name: nameOption, onReady, ...gateOptions } = options;
  const name = optional("name", nameOption, requireNonEmptyString);
  const prototype = new ReadyGate(gateOptions);
  const userReady = callbackOption("onReady", onReady);
  const meter = legoMeter("ReadyGate", { name, group: prototype.group }, ["messages", "skippedBytes", "ready"]);
  const operator = (source: Observable<FramingChunk>): Observable<Uint8Array> =>
    new Observable<Uint8Array>((subscriber) => {
      const gate = new ReadyGate({
        ...gateOptions,
        onReady: () => {
          meter.count("ready");
          userReady?.();
        },
      });
      const emit = (bytes: Uint8Array): void => {
        meter.count("messages");
        subscriber.next(bytes);
      };
      subscribeWithin(subscriber, source, {
        next: (chunk) => {
          // Once ready, bytes pass straight through: this is the per-chunk cost of the gate.
          if (gate.ready && chunk instanceof Uint8Array) {
            if (chunk.length > 0) emit(chunk);
            return;
          }
          const skipped = gate.skippedBytes;
          try {
            gate.feed(chunk, emit);
          } catch (error) {
            subscriber.error(error);
          } finally {
            meter.count("skippedBytes", gate.skippedBytes - skipped);
          }
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          meter.count("skippedBytes", gate.bufferSize);
          gate.end();
          subscriber.complete();
        },
      });
    });
  return withLego(operator, meter.descriptor);
}
