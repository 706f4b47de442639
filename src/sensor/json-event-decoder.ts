import { isUtf8 } from "node:buffer";
import { Observable, type SchedulerLike } from "rxjs";
import { adoptGroup } from "../atom/grouped.js";
import { legoMeter, withLego, type LegoOperator } from "../atom/lego-descriptor.js";
import { optional, optionalGroup, requireBoolean, requireFunction, requireNonEmptyString, requireObject } from "../atom/validate.js";
import { sequenceCounterOrNew, type SequenceCounter } from "../local/sequence-counter.js";
import { subscribeWithin } from "../local/subscribe-within.js";
import { isClock, systemClock, type Clock } from "../time/clock.js";
import { ManualClock } from "../time/manual-clock.js";
import { schedulerOption } from "../time/scheduler.js";
import type { SensorEvent } from "./sensor-event.js";
import { buildSensorIdentity, identityInGroup, sensorIdentity, type SensorIdentity, type SensorIdentityInit } from "./sensor-identity.js";

/** Why a message did not become an event. */
export type JsonEventInvalidReason = "invalid-utf8" | "not-json" | "not-object" | "bad-event-type";

/** A message that did not become an event: why, and its bytes. */
export interface InvalidJsonEvent {
  readonly reason: JsonEventInvalidReason;
  readonly bytes: Uint8Array;
}

/** What {@link JsonEventDecoder} decodes: one message, as bytes (UTF-8) or text. */
export type JsonEventMessage = Uint8Array | string;

/** Options of {@link JsonEventDecoder}. */
export interface JsonEventDecoderOptions {
  /** Where `observedAt` comes from; a `ManualClock` without a group adopts the decoder's. @default systemClock */
  clock?: Clock;
  /** Who the events come from; takes the decoder's group when it has none. @default sensorIdentity() */
  identity?: SensorIdentity | SensorIdentityInit;
  /**
   * Numbers the events (`peek() + step`), advanced only after an event was
   * emitted, so invalid messages consume no number. Adopts the decoder's
   * group when it has none.
   * @default a new SequenceCounter
   */
  sequence?: SequenceCounter;
  /** The `eventType` when a message has no `event_type` (or `null`, or `""`). @default "sensor.event" */
  defaultEventType?: string;
  /** Told about every message that did not become an event (blank messages are skipped silently). @default undefined */
  onInvalid?: (invalid: InvalidJsonEvent) => void;
  /**
   * `Object.freeze` each event and its metadata. Events are read-only by
   * type either way; freezing enforces it at run time but costs about a
   * third of the decoding throughput (see bench/framing.bench.ts).
   * @default false
   */
  freeze?: boolean;
  /** Label linking the decoder to the component that owns it. @default undefined */
  group?: string;
}

/** Options of the {@link decodeJsonEvents} operator. */
export interface DecodeJsonEventsOptions extends Omit<JsonEventDecoderOptions, "clock"> {
  /** Where `observedAt` comes from. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
}

const DEFAULT_EVENT_TYPE = "sensor.event";
const OPEN_BRACE = 0x7b;
const EMPTY_DATA: Readonly<Record<string, never>> = Object.freeze({});

function callbackOption<F extends (...args: never[]) => unknown>(name: string, value: F | undefined): F | undefined {
  return value === undefined ? undefined : requireFunction(name, value);
}

function clockOption(value: unknown, group: string | undefined): Clock {
  if (value === undefined) return systemClock;
  if (!isClock(value)) throw new TypeError("clock must be a Clock (with now())");
  if (value instanceof ManualClock) adoptGroup(value, group);
  return value;
}

function describeValue(value: unknown): string {
  return value === null ? "null" : typeof value;
}

/** A plain Uint8Array over a Buffer's bytes (events expose Uint8Array, not Buffer). */
function asUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

/** Whitespace only (checked cheaply for the usual message that starts with `{`). */
function isBlank(text: string): boolean {
  return text.length === 0 || (text.charCodeAt(0) !== OPEN_BRACE && text.trim().length === 0);
}

/** Reused by {@link metadataOf} so sorting keys allocates nothing. */
const scratchKeys: string[] = [];

/**
 * The message's other keys as metadata with sorted keys. A parsed object
 * that is already just that (keys sorted, no `event_type`/`data`) is used
 * as it is, saving a copy per message.
 */
function metadataOf(parsed: Record<string, unknown>): Readonly<Record<string, unknown>> {
  let kept = 0;
  let reusable = true;
  let proto = false;
  // for-in over a JSON object visits its own keys without allocating an array; messages
  // have few keys, so an insertion sort into a reused array beats filter + sort by far.
  for (const key in parsed) {
    if (key === "event_type" || key === "data" || key === "__proto__") {
      reusable = false;
      if (key !== "__proto__") continue;
      proto = true;
    }
    let j = kept;
    while (j > 0 && (scratchKeys[j - 1] as string) > key) {
      scratchKeys[j] = scratchKeys[j - 1] as string;
      j--;
      reusable = false;
    }
    scratchKeys[j] = key;
    kept++;
  }
  if (reusable) return parsed;
  return (proto ? sortedCopyWithProto : sortedCopy)(parsed, scratchKeys, kept);
}

/**
 * A copy of `parsed` holding `keys[0..count)` in that order. The first
 * stores are unrolled so that, in a stream of same-shaped messages, each
 * store site always adds the same key and stays a fast monomorphic store
 * (one looping site sees every key and falls back to the slow path).
 */
function sortedCopy(parsed: Record<string, unknown>, keys: readonly string[], count: number): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  let key: string;
  if (count > 0) copy[(key = keys[0] as string)] = parsed[key];
  if (count > 1) copy[(key = keys[1] as string)] = parsed[key];
  if (count > 2) copy[(key = keys[2] as string)] = parsed[key];
  if (count > 3) copy[(key = keys[3] as string)] = parsed[key];
  if (count > 4) copy[(key = keys[4] as string)] = parsed[key];
  if (count > 5) copy[(key = keys[5] as string)] = parsed[key];
  for (let i = 6; i < count; i++) copy[(key = keys[i] as string)] = parsed[key];
  return copy;
}

/** {@link sortedCopy} for the rare message with a `"__proto__"` key, which is data, not the prototype. */
function sortedCopyWithProto(parsed: Record<string, unknown>, keys: readonly string[], count: number): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    const key = keys[i] as string;
    Object.defineProperty(copy, key, { value: parsed[key], enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/**
 * Decodes one JSON object per message into a {@link SensorEvent} (the
 * catalog's `JsonEventDecoder`): `eventType` from `event_type` (or the
 * default), `data` from `data` (or `{}`), every other key as sorted
 * `metadata`, the message's bytes as `raw` (the message itself, not a copy;
 * text is kept as its UTF-8 bytes), `observedAt` from the clock and the
 * next sequence number. Events are read-only by type, and frozen with
 * `freeze: true`.
 *
 * Blank messages yield nothing, silently. Invalid UTF-8, text that is not
 * JSON (bare `NaN`/`Infinity` included), JSON that is not an object, and a
 * non-string `event_type` yield nothing, are reported to `onInvalid` and
 * consume no sequence number.
 *
 * ## Example
 * ```ts
 * const decoder = new JsonEventDecoder({ identity: { id: "uart0" } });
 * decoder.decode('{"event_type":"button","data":{"n":2},"rssi":-40}');
 * // { eventType: "button", data: { n: 2 }, metadata: { rssi: -40 }, sequenceNumber: 1, … }
 * decoder.decode("not json"); // undefined (reported as not-json)
 * ```
 * @see {@link decodeJsonEvents} the operator.
 * @lego JsonEventDecoder
 */
export class JsonEventDecoder {
  readonly identity: SensorIdentity;
  readonly sequence: SequenceCounter;
  readonly defaultEventType: string;
  readonly freeze: boolean;
  readonly group: string | undefined;
  /** Events decoded so far. */
  decoded = 0;
  /** Blank messages skipped. */
  blank = 0;
  /** Messages reported to `onInvalid`. */
  invalid = 0;
  private readonly clock: Clock;
  private readonly onInvalid: ((invalid: InvalidJsonEvent) => void) | undefined;

  constructor(options: JsonEventDecoderOptions = {}) {
    requireObject("options", options);
    this.group = optionalGroup(options.group);
    this.clock = clockOption(options.clock, this.group);
    const identity = options.identity === undefined ? sensorIdentity() : buildSensorIdentity(options.identity, (f) => (f === "" ? "identity" : `identity.${f}`));
    this.identity = identityInGroup(identity, this.group);
    this.sequence = adoptGroup(sequenceCounterOrNew(options.sequence), this.group);
    this.defaultEventType = requireNonEmptyString("defaultEventType", options.defaultEventType ?? DEFAULT_EVENT_TYPE);
    this.onInvalid = callbackOption("onInvalid", options.onInvalid);
    this.freeze = requireBoolean("freeze", options.freeze ?? false);
  }

  /** Decodes one message; `undefined` when it is blank or invalid. Advances the sequence on success. */
  decode(message: JsonEventMessage): SensorEvent | undefined {
    let event: SensorEvent | undefined;
    this.decodeTo(message, (decoded) => {
      event = decoded;
    });
    return event;
  }

  /**
   * Decodes one message and hands the event to `emit`, advancing the
   * sequence only after `emit` returned (so a consumer that reads the
   * counter while handling the event sees the event's number as the
   * latest). Returns whether an event was emitted.
   */
  decodeTo(message: JsonEventMessage, emit: (event: SensorEvent) => void): boolean {
    let text: string;
    let raw: Uint8Array;
    if (typeof message === "string") {
      text = message;
      raw = asUint8Array(Buffer.from(message, "utf8"));
    } else if (message instanceof Uint8Array) {
      // `raw` is the message itself, not a copy (as delimited's messages are views of their chunk);
      // use delimited({ copy: true }) upstream when events are kept long and chunks are large.
      const bytes = Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
      raw = Buffer.isBuffer(message) ? asUint8Array(message) : message;
      text = bytes.toString();
      // Decoding replaces invalid UTF-8 with U+FFFD, so only text containing one needs the full check.
      if (text.includes("\uFFFD") && !isUtf8(bytes)) return this.reject("invalid-utf8", raw);
    } else {
      throw new TypeError(`message must be a Uint8Array or a string, got ${describeValue(message)}`);
    }
    if (isBlank(text)) {
      this.blank++;
      return false;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.reject("not-json", raw);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return this.reject("not-object", raw);
    const record = parsed as Record<string, unknown>;
    const type = record.event_type;
    let eventType = this.defaultEventType;
    if (typeof type === "string") {
      if (type !== "") eventType = type;
    } else if (type !== undefined && type !== null) {
      return this.reject("bad-event-type", raw);
    }
    // JSON has no `undefined`, so an `undefined` here means the key is absent.
    const data = record.data === undefined ? EMPTY_DATA : record.data;
    const metadata = metadataOf(record);
    const event: SensorEvent = { eventType, data, observedAt: this.clock.now(), identity: this.identity, sequenceNumber: this.sequence.upcoming(), raw, metadata };
    if (this.freeze) {
      Object.freeze(metadata);
      Object.freeze(event);
    }
    emit(event);
    this.sequence.next();
    this.decoded++;
    return true;
  }

  private reject(reason: JsonEventInvalidReason, bytes: Uint8Array): false {
    this.invalid++;
    this.onInvalid?.(Object.freeze({ reason, bytes }));
    return false;
  }
}

/**
 * Turns a stream of JSON messages (one object each, e.g. lines from
 * {@link delimited}) into {@link SensorEvent}s — the `JsonEventDecoder`
 * lego as an operator. Invalid messages are dropped, counted and passed to
 * `onInvalid({ reason, bytes })`; the stream goes on. Without a `sequence`,
 * each subscription numbers its events from 1.
 *
 * ```text
 * source:  --a--b--c--|     a = '{"event_type":"tap"}', b = 'oops', c = '{"v":1}'
 *          decodeJsonEvents()
 * result:  --x-----y--|     x = tap #1, y = sensor.event #2 (metadata { v: 1 }); b reported as not-json
 * ```
 *
 * ## Example
 * ```ts
 * port.data$.pipe(
 *   delimited({ maxMessageBytes: 4096 }),
 *   decodeJsonEvents({ identity: { id: "uart0" }, group: "buttons", onInvalid: (bad) => log(bad.reason) }),
 * ).subscribe((event) => handle(event));
 * ```
 * Counters on `lego`: `events`, `invalid`, `blank`, `invalidUtf8`, `notJson`, `notObject`, `badEventType`.
 * @see {@link JsonEventDecoder} the decoder (one per subscription).
 * @see {@link delimited} which frames the messages.
 * @lego JsonEventDecoder
 */
export function decodeJsonEvents(options: DecodeJsonEventsOptions = {}): LegoOperator<JsonEventMessage, SensorEvent> {
  requireObject("options", options);
  const group = optionalGroup(options.group);
  const name = optional("name", options.name, requireNonEmptyString);
  const scheduler = schedulerOption(options.scheduler, group);
  const onInvalid = callbackOption("onInvalid", options.onInvalid);
  const meter = legoMeter("JsonEventDecoder", { name, group }, [
    "events",
    "invalid",
    "blank",
    "invalidUtf8",
    "notJson",
    "notObject",
    "badEventType",
  ]);
  const counters = meter.descriptor.counters as Record<string, number>;
  const counterOf: Readonly<Record<JsonEventInvalidReason, string>> = {
    "invalid-utf8": "invalidUtf8",
    "not-json": "notJson",
    "not-object": "notObject",
    "bad-event-type": "badEventType",
  };
  const decoderOptions = (): JsonEventDecoderOptions => {
    const made: JsonEventDecoderOptions = {
      clock: scheduler,
      onInvalid: (invalid) => {
        meter.count("invalid");
        meter.count(counterOf[invalid.reason]);
        onInvalid?.(invalid);
      },
    };
    if (options.identity !== undefined) made.identity = options.identity;
    if (options.sequence !== undefined) made.sequence = options.sequence;
    if (options.defaultEventType !== undefined) made.defaultEventType = options.defaultEventType;
    if (options.freeze !== undefined) made.freeze = options.freeze;
    if (group !== undefined) made.group = group;
    return made;
  };
  // Validates identity, sequence and defaultEventType now, not at subscribe.
  const { identity } = new JsonEventDecoder({ ...decoderOptions(), clock: systemClock });

  const operator = (source: Observable<JsonEventMessage>): Observable<SensorEvent> =>
    new Observable<SensorEvent>((subscriber) => {
      const decoder = new JsonEventDecoder({ ...decoderOptions(), identity });
      const emit = (event: SensorEvent): void => {
        subscriber.next(event);
      };
      subscribeWithin(subscriber, source, {
        next: (message) => {
          const blank = decoder.blank;
          try {
            // Named stores on the live counters record: meter.count's keyed store costs more than the rest of the hop.
            if (decoder.decodeTo(message, emit)) counters.events = (counters.events ?? 0) + 1;
          } catch (error) {
            subscriber.error(error);
          }
          if (decoder.blank !== blank) counters.blank = (counters.blank ?? 0) + 1;
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
