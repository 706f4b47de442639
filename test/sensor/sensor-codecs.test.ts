import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bytesCodec,
  healthStatus,
  healthStatusCodec,
  jsonCodec,
  numberCodec,
  sensorEvent,
  sensorEventCodec,
  sensorSample,
  sensorSampleCodec,
  stringCodec,
  type SensorEventInit,
  type SensorIdentityInit,
} from "../../src/index.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const seq = fc.nat({ max: Number.MAX_SAFE_INTEGER });

const sampleInit = <T>(value: fc.Arbitrary<T>) =>
  fc.record(
    {
      value,
      sourceTimestamp: finite,
      ingestTimestamp: finite,
      sequenceNumber: seq,
      quality: fc.constantFrom("good", "uncertain", "bad", ""),
      status: fc.string(),
    },
    { requiredKeys: ["value", "sourceTimestamp", "ingestTimestamp", "sequenceNumber"] },
  );

/** JSON-ish values with bytes anywhere and keys that look like the codec's tags. */
const { data } = fc.letrec((tie) => ({
  data: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    finite,
    fc.string(),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie("data"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom("$bytes", "$object", "__proto__"), fc.string()), tie("data"), { maxKeys: 4 }),
  ),
}));

const metadata = fc.dictionary(fc.string(), data, { maxKeys: 4 });
const identity: fc.Arbitrary<SensorIdentityInit> = fc.record(
  {
    id: fc.string({ minLength: 1 }),
    group: fc.string({ minLength: 1 }),
    tags: fc.array(fc.record({ name: fc.string({ minLength: 1 }), variant: fc.string(), metadata }), { maxLength: 3 }),
    location: fc.record({ x: finite, y: finite, z: finite, timestamp: finite }, { requiredKeys: ["x", "y", "z"] }),
  },
  { requiredKeys: [] },
);
const eventInit: fc.Arbitrary<SensorEventInit> = fc.record(
  {
    eventType: fc.string({ minLength: 1 }),
    data,
    observedAt: finite,
    identity,
    sequenceNumber: seq,
    raw: fc.uint8Array({ maxLength: 16 }),
    metadata,
  },
  { requiredKeys: ["eventType", "observedAt"] },
);

describe("sensorSampleCodec", () => {
  it("is named after its value codec", () => {
    expect(sensorSampleCodec(numberCodec()).id).toBe("SensorSample[number]");
    expect(sensorSampleCodec(jsonCodec()).version).toBe(1);
  });

  it.each([
    ["number", numberCodec(), finite],
    ["json", jsonCodec(), fc.jsonValue()],
    ["string", stringCodec(), fc.string({ unit: "grapheme" })],
    ["bytes", bytesCodec(), fc.uint8Array()],
  ] as const)("round-trips arbitrary valid samples (%s values)", (_name, valueCodec, values) => {
    const codec = sensorSampleCodec<unknown>(valueCodec);
    fc.assert(
      fc.property(sampleInit<unknown>(values), (init) => {
        const sample = sensorSample(init);
        const encoded = codec.encode(sample);
        expect(codec.decode(encoded)).toEqual(sample);
        expect(codec.encode(codec.decode(encoded))).toEqual(encoded);
      }),
    );
  });

  it("round-trips string quality and status labels", () => {
    const codec = sensorSampleCodec(numberCodec());
    const sample = { value: 21.5, sourceTimestamp: 1, ingestTimestamp: 2, sequenceNumber: 3, quality: "good", status: "ok" };
    const encoded = codec.encode(sample);
    expect(text(encoded)).toBe(`{"ingest_timestamp":2,"quality":"good","sequence_number":3,"source_timestamp":1,"status":"ok","value":"${btoa("21.5")}"}`);
    expect(codec.decode(encoded)).toEqual(sample);
  });

  it("writes compact JSON with sorted snake_case keys and the value as base64", () => {
    const codec = sensorSampleCodec(numberCodec());
    const encoded = codec.encode(sensorSample({ value: 21.5, sourceTimestamp: 1, ingestTimestamp: 2, sequenceNumber: 3, status: "ok" }));
    expect(text(encoded)).toBe(`{"ingest_timestamp":2,"sequence_number":3,"source_timestamp":1,"status":"ok","value":"${btoa("21.5")}"}`);
  });

  it("decodes strictly, naming the wrong field", () => {
    const codec = sensorSampleCodec(numberCodec());
    const good = { ingest_timestamp: 2, sequence_number: 3, source_timestamp: 1, value: btoa("1") };
    const bad = (patch: Record<string, unknown>) => () => codec.decode(utf8(JSON.stringify({ ...good, ...patch })));
    expect(bad({ source_timestamp: true })).toThrow("SensorSample[number].source_timestamp must be a number, got true");
    expect(bad({ sequence_number: -1 })).toThrow(/sequence_number must be a non-negative integer/);
    expect(bad({ sequence_number: 1.5 })).toThrow(RangeError);
    expect(bad({ quality: null })).toThrow(/quality must be a string, got null/);
    expect(bad({ quality: 0.9 })).toThrow(/quality must be a string/);
    expect(bad({ status: 1 })).toThrow(/status must be a string/);
    expect(bad({ value: "not base64!" })).toThrow(/value is not valid base64/);
    expect(bad({ value: "MQ" })).toThrow(/value is not valid base64/);
    expect(bad({ value: btoa("abc") })).toThrow(/SensorSample\[number\]\.value: number: "abc" is not a finite number/);
    expect(bad({ extra: 1 })).toThrow(/extra is not a field/);
    expect(() => codec.decode(utf8('{"ingest_timestamp":2,"sequence_number":3,"value":"MQ=="}'))).toThrow(/source_timestamp is missing/);
    expect(() => codec.decode(utf8('{"ingest_timestamp":NaN,"sequence_number":3,"source_timestamp":1,"value":"MQ=="}'))).toThrow(
      /ingest_timestamp must be a finite number/,
    );
    expect(() => codec.decode(utf8("[1]"))).toThrow(/must be a JSON object, got array/);
    expect(() => codec.decode(new Uint8Array([0x80]))).toThrow(/not valid UTF-8/);
  });

  it("refuses to encode an invalid sample or value", () => {
    const codec = sensorSampleCodec(numberCodec());
    expect(() => codec.encode({ value: 1, sourceTimestamp: NaN, ingestTimestamp: 0, sequenceNumber: 0 })).toThrow(/sourceTimestamp/);
    expect(() => codec.encode({ value: "x" as never, sourceTimestamp: 0, ingestTimestamp: 0, sequenceNumber: 0 })).toThrow(
      /value: value must be a number/,
    );
  });

  it("rejects something that is not a codec", () => {
    expect(() => sensorSampleCodec(null as never)).toThrow(TypeError);
    expect(() => sensorSampleCodec({ id: "x" } as never)).toThrow(/valueCodec/);
  });
});

describe("sensorEventCodec", () => {
  const codec = sensorEventCodec();

  it("round-trips arbitrary events, bytes anywhere in data included", () => {
    fc.assert(
      fc.property(eventInit, (init) => {
        const event = sensorEvent(init);
        const encoded = codec.encode(event);
        expect(codec.decode(encoded)).toEqual(event);
        expect(codec.encode(codec.decode(encoded))).toEqual(encoded);
      }),
      { numRuns: 300 },
    );
  });

  it("encodes equal events to equal bytes whatever their key order", () => {
    const a = sensorEvent({ eventType: "x", observedAt: 1, data: { b: 1, a: [2, { d: 1, c: 2 }] }, metadata: { z: 1, y: 2 } });
    const b = sensorEvent({ eventType: "x", observedAt: 1, data: { a: [2, { c: 2, d: 1 }], b: 1 }, metadata: { y: 2, z: 1 } });
    expect(codec.encode(a)).toEqual(codec.encode(b));
    expect(text(codec.encode(a))).toBe(
      '{"data":{"a":[2,{"c":2,"d":1}],"b":1},"event_type":"x","identity":{"location":{"x":0,"y":0,"z":0},"tags":[]},"metadata":{"y":2,"z":1},"observed_at":1}',
    );
  });

  it("writes bytes as tagged base64 and escapes look-alike objects", () => {
    const event = sensorEvent({
      eventType: "x",
      observedAt: 0,
      data: { blob: new Uint8Array([1, 2, 3]), tricky: { $bytes: "AQID" } },
      raw: new Uint8Array([255]),
    });
    const wire = JSON.parse(text(codec.encode(event))) as Record<string, unknown>;
    expect(wire.data).toEqual({ blob: { $bytes: "AQID" }, tricky: { $object: { $bytes: "AQID" } } });
    expect(wire.raw).toBe("/w==");
    expect(codec.decode(codec.encode(event))).toEqual(event);
  });

  it("decodes strictly, naming the wrong field", () => {
    const good = {
      data: {},
      event_type: "x",
      identity: { location: { x: 0, y: 0, z: 0 }, tags: [] },
      metadata: {},
      observed_at: 1,
    };
    const bad = (patch: Record<string, unknown>) => () => codec.decode(utf8(JSON.stringify({ ...good, ...patch })));
    expect(bad({ event_type: 1 })).toThrow("SensorEvent.event_type must be a string");
    expect(bad({ event_type: "" })).toThrow(RangeError);
    expect(bad({ observed_at: "1" })).toThrow(/observed_at must be a number/);
    expect(bad({ sequence_number: false })).toThrow(/sequence_number/);
    expect(bad({ raw: "%%%" })).toThrow(/SensorEvent\.raw is not valid base64/);
    expect(bad({ raw: 5 })).toThrow(/raw must be a base64 string/);
    expect(bad({ data: { a: { $bytes: "!" } } })).toThrow(/SensorEvent\.data\.a\.\$bytes is not valid base64/);
    expect(bad({ data: { $object: 1 } })).toThrow(/data\.\$object must be an object/);
    expect(bad({ metadata: [] })).toThrow(/metadata must be a JSON object/);
    expect(bad({ identity: { location: { x: 0, y: true, z: 0 }, tags: [] } })).toThrow("SensorEvent.identity.location.y must be a number");
    expect(bad({ identity: { location: { x: 0, y: 0 }, tags: [] } })).toThrow("SensorEvent.identity.location.z is missing");
    expect(bad({ identity: { location: { x: 0, y: 0, z: 0 }, tags: [{ name: "a", variant: "" }] } })).toThrow(
      "SensorEvent.identity.tags[0].metadata is missing",
    );
    expect(bad({ identity: { location: { x: 0, y: 0, z: 0 }, tags: {} } })).toThrow(/tags must be an array/);
    expect(bad({ identity: { location: { x: 0, y: 0, z: 0 }, tags: [], colour: "red" } })).toThrow(/identity\.colour is not a field/);
    const { data: _data, ...noData } = good;
    expect(() => codec.decode(utf8(JSON.stringify(noData)))).toThrow("SensorEvent.data is missing");
    expect(() => codec.decode(utf8('{"observed_at": Infinity}'))).toThrow(/observed_at must be a finite number/);
  });
});

describe("healthStatusCodec", () => {
  const codec = healthStatusCodec();

  it("round-trips arbitrary statuses", () => {
    fc.assert(
      fc.property(
        fc.record({ status: fc.constantFrom("ok", "stale", "error"), observedAt: finite, message: fc.string(), stale: fc.boolean(), errorCount: seq }),
        (init) => {
          const status = healthStatus(init);
          expect(codec.decode(codec.encode(status))).toEqual(status);
        },
      ),
    );
  });

  it("writes sorted snake_case keys and decodes strictly", () => {
    const status = healthStatus({ status: "error", observedAt: 5, message: "boom", errorCount: 2 });
    expect(text(codec.encode(status))).toBe('{"error_count":2,"message":"boom","observed_at":5,"stale":false,"status":"error"}');
    const good = { error_count: 0, message: "", observed_at: 0, stale: true, status: "stale" };
    const bad = (patch: Record<string, unknown>) => () => codec.decode(utf8(JSON.stringify({ ...good, ...patch })));
    expect(bad({ status: "fine" })).toThrow(/HealthStatus\.status must be one of ok \| stale \| error/);
    expect(bad({ stale: 1 })).toThrow("HealthStatus.stale must be a boolean");
    expect(bad({ error_count: 0.5 })).toThrow(/error_count/);
    expect(bad({ message: null })).toThrow(/HealthStatus\.message must be a string/);
    expect(codec.id).toBe("HealthStatus");
  });
});
