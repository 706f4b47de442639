import fc from "fast-check";
import { Observable, of, take } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  DelimitedMessageBuffer,
  JsonEventDecoder,
  ManualClock,
  SequenceCounter,
  decodeJsonEvents,
  delimited,
  sensorIdentity,
  type InvalidJsonEvent,
  type JsonEventMessage,
  type LegoOperator,
  type SensorEvent,
} from "../../src/index.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function decoderWithLog(options: ConstructorParameters<typeof JsonEventDecoder>[0] = {}) {
  const invalid: InvalidJsonEvent[] = [];
  const decoder = new JsonEventDecoder({ clock: new ManualClock(1_000), ...options, onInvalid: (bad) => invalid.push(bad) });
  return { decoder, invalid };
}

describe("JsonEventDecoder", () => {
  it("turns a JSON object into a SensorEvent", () => {
    const { decoder } = decoderWithLog({ identity: { id: "uart0" } });
    const message = utf8('{"rssi":-40,"event_type":"button","data":{"n":2},"battery":3}');
    const event = decoder.decode(message);
    expect(event).toEqual({
      eventType: "button",
      data: { n: 2 },
      observedAt: 1_000,
      identity: sensorIdentity({ id: "uart0" }),
      sequenceNumber: 1,
      raw: message,
      metadata: { battery: 3, rssi: -40 },
    });
    expect(Object.keys(event!.metadata)).toEqual(["battery", "rssi"]);
    expect(decoder.decode('{"a":1}')?.sequenceNumber).toBe(2);
  });

  it("freezes events and metadata only when asked", () => {
    const plain = new JsonEventDecoder().decode('{"b":1,"a":2}')!;
    expect(Object.isFrozen(plain)).toBe(false);
    const frozen = new JsonEventDecoder({ freeze: true });
    for (const message of ['{"b":1,"a":2}', '{"a":1}', '{"event_type":"x","data":{}}']) {
      const event = frozen.decode(message)!;
      expect(Object.isFrozen(event) && Object.isFrozen(event.metadata)).toBe(true);
    }
  });

  it("keeps the message itself as raw, as a plain Uint8Array", () => {
    const { decoder } = decoderWithLog();
    const chunk = utf8('{"a":1}\n{"b":2}');
    const message = chunk.subarray(0, 7);
    expect(decoder.decode(message)?.raw).toBe(message);
    const fromBuffer = decoder.decode(Buffer.from('{"b":2}'))!.raw!;
    expect(Buffer.isBuffer(fromBuffer)).toBe(false);
    expect(fromBuffer).toEqual(utf8('{"b":2}'));
  });

  it("uses the default event type for a missing, null or empty event_type", () => {
    const { decoder } = decoderWithLog({ defaultEventType: "imu.sample" });
    expect(['{"x":1}', '{"event_type":null}', '{"event_type":""}'].map((m) => decoder.decode(m)?.eventType)).toEqual([
      "imu.sample",
      "imu.sample",
      "imu.sample",
    ]);
    expect(new JsonEventDecoder().decode("{}")?.eventType).toBe("sensor.event");
  });

  it("keeps data as given (null included) and {} when absent", () => {
    const { decoder } = decoderWithLog();
    expect(decoder.decode('{"data":null}')?.data).toBeNull();
    expect(decoder.decode('{"data":[1,2]}')?.data).toEqual([1, 2]);
    expect(decoder.decode('{"v":1}')?.data).toEqual({});
  });

  it("accepts string messages, keeping their UTF-8 bytes as raw", () => {
    const { decoder } = decoderWithLog();
    expect(decoder.decode('{"t":"€"}')?.raw).toEqual(utf8('{"t":"€"}'));
  });

  it("keeps a real U+FFFD in valid UTF-8", () => {
    const { decoder, invalid } = decoderWithLog();
    expect(decoder.decode(utf8('{"s":"\uFFFD"}'))?.metadata).toEqual({ s: "\uFFFD" });
    expect(invalid).toEqual([]);
  });

  it.each([
    ["invalid-utf8", new Uint8Array([0x7b, 0xff, 0x7d])],
    ["invalid-utf8", new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe2, 0x82, 0x22, 0x7d])],
    ["not-json", "{"],
    ["not-json", '{"temp": NaN}'],
    ["not-json", "Infinity"],
    ["not-json", "{'a':1}"],
    ["not-object", "[1,2]"],
    ["not-object", "42"],
    ["not-object", "null"],
    ["not-object", '"text"'],
    ["bad-event-type", '{"event_type":5}'],
    ["bad-event-type", '{"event_type":{"a":1}}'],
    ["bad-event-type", '{"event_type":true}'],
  ] as const)("drops %s messages, reports them and does not consume a number (%s)", (reason, message) => {
    const { decoder, invalid } = decoderWithLog();
    expect(decoder.decode(message)).toBeUndefined();
    expect(invalid).toEqual([{ reason, bytes: typeof message === "string" ? utf8(message) : message }]);
    expect(decoder.sequence.peek()).toBe(0);
    expect(decoder.decode("{}")?.sequenceNumber).toBe(1);
    expect(decoder.invalid).toBe(1);
  });

  it("skips blank messages silently", () => {
    const { decoder, invalid } = decoderWithLog();
    for (const blank of ["", "   ", "\t\r\n", new Uint8Array(0), utf8(" \n")]) expect(decoder.decode(blank)).toBeUndefined();
    expect(invalid).toEqual([]);
    expect(decoder.blank).toBe(5);
    expect(decoder.sequence.peek()).toBe(0);
  });

  it("advances its sequence only after the event was handed on", () => {
    const sequence = new SequenceCounter({ start: 10, step: 5 });
    const { decoder } = decoderWithLog({ sequence });
    const seenDuring: number[] = [];
    decoder.decodeTo("{}", (event) => seenDuring.push(event.sequenceNumber!, sequence.peek()));
    expect(seenDuring).toEqual([15, 10]);
    expect(sequence.peek()).toBe(15);
  });

  it("gives its group to an identity, a sequence and a ManualClock that have none", () => {
    const clock = new ManualClock();
    const sequence = new SequenceCounter();
    const decoder = new JsonEventDecoder({ group: "buttons", clock, sequence, identity: { id: "b" } });
    expect(decoder.identity.group).toBe("buttons");
    expect(sequence.group).toBe("buttons");
    expect(clock.group).toBe("buttons");
    expect(new JsonEventDecoder({ group: "g" }).identity).toEqual(sensorIdentity({ group: "g" }));
    expect(new JsonEventDecoder({ group: "g", identity: { group: "own" } }).identity.group).toBe("own");
    expect(new JsonEventDecoder({ group: "g", sequence: new SequenceCounter({ group: "s" }) }).sequence.group).toBe("s");
  });

  it("keeps a __proto__ key as metadata", () => {
    const event = new JsonEventDecoder().decode('{"__proto__":{"x":1},"a":2}')!;
    expect(Object.keys(event.metadata)).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(event.metadata)).toBe(Object.prototype);
  });

  it.each([
    [{ defaultEventType: "" }, RangeError, "defaultEventType"],
    [{ defaultEventType: 5 }, TypeError, "defaultEventType"],
    [{ sequence: { next: () => 1 } }, TypeError, "sequence"],
    [{ clock: {} }, TypeError, "clock"],
    [{ identity: { location: { x: "0", y: 0, z: 0 } } }, TypeError, "identity.location.x"],
    [{ onInvalid: 1 }, TypeError, "onInvalid"],
    [{ freeze: "yes" }, TypeError, "freeze"],
    [{ group: "" }, RangeError, "group"],
  ])("rejects %o", (options, errorClass, name) => {
    expect(() => new JsonEventDecoder(options as never)).toThrow(errorClass);
    expect(() => new JsonEventDecoder(options as never)).toThrow(name);
    if (!("clock" in options)) expect(() => decodeJsonEvents(options as never)).toThrow(name);
  });

  it("rejects messages that are neither bytes nor strings", () => {
    expect(() => new JsonEventDecoder().decode(5 as never)).toThrow(TypeError);
  });
});

describe("decodeJsonEvents", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  const event = (eventType: string, sequenceNumber: number, observedAt: number, metadata: Record<string, unknown> = {}, raw = "{}"): SensorEvent =>
    ({ eventType, data: {}, observedAt, identity: sensorIdentity(), sequenceNumber, raw: utf8(raw), metadata });

  it("decodes each message at the scheduler's time, numbering only emitted events", () => {
    const invalid: InvalidJsonEvent[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("-a-b-c-d|", { a: '{"event_type":"tap"}', b: "oops", c: "  ", d: '{"v":1}' });
      expectObservable(source.pipe(decodeJsonEvents({ onInvalid: (bad) => invalid.push(bad) }))).toBe("-x-----y|", {
        x: event("tap", 1, 1, {}, '{"event_type":"tap"}'),
        y: event("sensor.event", 2, 7, { v: 1 }, '{"v":1}'),
      });
    });
    expect(invalid).toEqual([{ reason: "not-json", bytes: utf8("oops") }]);
  });

  it("handles empty, never and error", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("|").pipe(decodeJsonEvents())).toBe("|");
      expectObservable(cold("-").pipe(decodeJsonEvents())).toBe("-");
      expectObservable(cold("-a-#", { a: "{}" }, new Error("lost")).pipe(decodeJsonEvents())).toBe("-x-#", { x: event("sensor.event", 1, 1) }, new Error("lost"));
    });
  });

  it("unsubscribes from the source on early unsubscribe", () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot("-a-a-a-|", { a: "{}" });
      expectObservable(source.pipe(decodeJsonEvents()), "^--!").toBe("-x-", { x: event("sensor.event", 1, 1) });
      expectSubscriptions(source.subscriptions).toBe("^--!");
    });
  });

  it("numbers each subscription from 1 unless given a shared sequence", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const own = cold("-a|", { a: "{}" }).pipe(decodeJsonEvents());
      expectObservable(own).toBe("-x|", { x: event("sensor.event", 1, 1) });
      expectObservable(own).toBe("-x|", { x: event("sensor.event", 1, 1) });
    });
    const sequence = new SequenceCounter();
    const shared = of("{}").pipe(decodeJsonEvents({ sequence }));
    const numbers: number[] = [];
    shared.subscribe((e) => numbers.push(e.sequenceNumber!));
    shared.subscribe((e) => numbers.push(e.sequenceNumber!));
    expect(numbers).toEqual([1, 2]);
  });

  it("lets a consumer see the counter advance only after the event", () => {
    const sequence = new SequenceCounter();
    const seen: number[] = [];
    of("{}", "{}")
      .pipe(decodeJsonEvents({ sequence }))
      .subscribe((e) => seen.push(e.sequenceNumber!, sequence.peek()));
    expect(seen).toEqual([1, 0, 2, 1]);
  });

  it("stops a synchronous source after unsubscribe", () => {
    let produced = 0;
    const source = new Observable<string>((subscriber) => {
      for (let i = 0; i < 100 && !subscriber.closed; i++) {
        produced++;
        subscriber.next("{}");
      }
      subscriber.complete();
    });
    source.pipe(decodeJsonEvents(), take(3)).subscribe();
    expect(produced).toBe(3);
  });

  it("carries a lego descriptor with live counters, and names itself", () => {
    const operator = decodeJsonEvents({ group: "buttons", name: "buttons.decoder" });
    expect(operator.lego).toEqual({ kind: "JsonEventDecoder", name: "buttons.decoder", group: "buttons" });
    of("{}", "x", "[1]", '{"event_type":1}', new Uint8Array([0xff]), "", '{"a":1}').pipe(operator).subscribe();
    expect(operator.lego.counters).toEqual({ events: 2, invalid: 4, blank: 1, invalidUtf8: 1, notJson: 1, notObject: 1, badEventType: 1 });
    expect(decodeJsonEvents().lego).toEqual({ kind: "JsonEventDecoder" });
  });

  it("gives events its group's identity and uses the scheduler's ManualClock", () => {
    const clock = new ManualClock(500);
    const events: SensorEvent[] = [];
    of("{}").pipe(decodeJsonEvents({ scheduler: clock, group: "uart", identity: { id: "u0" } })).subscribe((e) => events.push(e));
    expect(events[0]?.identity).toEqual(sensorIdentity({ id: "u0", group: "uart" }));
    expect(events[0]?.observedAt).toBe(500);
    expect(clock.group).toBe("uart");
  });

  it("errors the stream when onInvalid throws", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const operator = decodeJsonEvents({
        onInvalid: () => {
          throw new Error("callback failed");
        },
      });
      expectObservable(cold("-a-|", { a: "x" }).pipe(operator)).toBe("-#", undefined, new Error("callback failed"));
    });
  });

  it("has the operator type it documents", () => {
    expectTypeOf(decodeJsonEvents()).toEqualTypeOf<LegoOperator<JsonEventMessage, SensorEvent>>();
  });

  it("never throws and never holds more than the bound on random bytes (classes)", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 40 }), fc.integer({ min: 1, max: 24 }), (chunks, maxMessageBytes) => {
        const frames = new DelimitedMessageBuffer({ maxMessageBytes, onInvalid: () => undefined });
        const decoder = new JsonEventDecoder({ onInvalid: () => undefined });
        for (const chunk of chunks) {
          for (const message of frames.append(chunk)) decoder.decode(message);
          expect(frames.bufferSize).toBeLessThanOrEqual(maxMessageBytes);
        }
        frames.end();
        expect(decoder.decoded + decoder.invalid + decoder.blank).toBe(frames.messages);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on random bytes through delimited, and every event is well formed", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.uint8Array({ maxLength: 48 }), fc.json().map((j) => utf8(`${j}\n`)), fc.constant(utf8("\n"))),
          { maxLength: 40 },
        ),
        (chunks) => {
          const invalid: unknown[] = [];
          const events: SensorEvent[] = [];
          let failed: unknown;
          of(...chunks)
            .pipe(
              delimited({ maxMessageBytes: 32, onInvalid: (bad) => invalid.push(bad) }),
              decodeJsonEvents({ onInvalid: (bad) => invalid.push(bad) }),
            )
            .subscribe({ next: (e) => events.push(e), error: (e: unknown) => (failed = e) });
          expect(failed).toBeUndefined();
          events.forEach((e, i) => {
            expect(e.sequenceNumber).toBe(i + 1);
            expect(typeof e.eventType).toBe("string");
            expect(e.raw).toBeInstanceOf(Uint8Array);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
