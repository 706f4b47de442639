import { isUtf8 } from "node:buffer";
import { Observable, type SchedulerLike } from "rxjs";
import { adoptGroup } from "../atom/grouped.js";
import { legoMeter, withLego, type LegoOperator } from "../atom/lego-descriptor.js";
import { optional, optionalGroup, requireFunction, requireNonEmptyString, requireObject } from "../atom/validate.js";
import { sequenceCounterOrNew, type SequenceCounter } from "../local/sequence-counter.js";
import { subscribeWithin } from "../local/subscribe-within.js";
import { isClock, systemClock, type Clock } from "../time/clock.js";
import { ManualClock } from "../time/manual-clock.js";
import { schedulerOption } from "../time/scheduler.js";
import { compareKeys, setOwn } from "./fields.js";
import { makeSensorEvent, type SensorEvent } from "./sensor-event.js";
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

/**
 * The message's other keys as frozen metadata with sorted keys. A parsed
 * object that is already just that (keys sorted, no `event_type`/`data`) is
 * frozen and used as it is, saving a copy per message.
 */
function metadataOf(parsed: Record<string, unknown>, keys: readonly string[]): Readonly<Record<string, unknown>> {
  let reusable = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (key === "event_type" || key === "data" || key === "__proto__" || (i > 0 && compareKeys(keys[i - 1] as string, key) > 0)) {
      reusable = false;
      break;
    }
  }
  if (reusable) return Object.freeze(parsed);
  const sorted = keys.filter((key) => key !== "event_type" && key !== "data").sort(compareKeys);
  const metadata: Record<string, unknown> = {};
  for (const key of sorted) setOwn(metadata, key, parsed[key]);
  return Object.freeze(metadata);
}

/**
 * Decodes one JSON object per message into a {@link SensorEvent} (the
 * catalog's `JsonEventDecoder`): `eventType` from `event_type` (or the
 * default), `data` from `data` (or `{}`), every other key as sorted
 * `metadata`, the message's bytes as `raw` (copied), `observedAt` from the
 * clock and the next sequence number.
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
      // The copy is the event's `raw` (a message may be a view into a large chunk) and decodes without a wrapper.
      const copy = Buffer.allocUnsafe(message.length);
      copy.set(message);
      raw = asUint8Array(copy);
      text = copy.toString();
      // Decoding replaces invalid UTF-8 with U+FFFD, so only text containing one needs the full check.
      if (text.includes("\uFFFD") && !isUtf8(copy)) return this.reject("invalid-utf8", raw);
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
    const metadata = metadataOf(record, Object.keys(record));
    const event = makeSensorEvent(eventType, data, this.clock.now(), this.identity, metadata, this.sequence.upcoming(), raw);
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
            if (decoder.decodeTo(message, emit)) meter.count("events");
          } catch (error) {
            subscriber.error(error);
          }
          if (decoder.blank !== blank) meter.count("blank");
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
