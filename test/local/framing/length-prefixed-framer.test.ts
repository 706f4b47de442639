import fc from "fast-check";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  LengthPrefixedFramer,
  crc32,
  lengthPrefixed,
  xorChecksum,
  type FramingChunk,
  type InvalidFrame,
  type LegoOperator,
  type LengthPrefixedFramerOptions,
} from "../../../src/index.js";
import { bytesOf, cut, standardOperatorCases } from "./operator-cases.js";

const concat = (...parts: (Uint8Array | string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));

type Event = { frame: number[] } | { invalid: string; bytes: number[] };

function run(options: LengthPrefixedFramerOptions, chunks: readonly Uint8Array[], end = true): Event[] {
  const events: Event[] = [];
  const framer = new LengthPrefixedFramer({ ...options, onInvalid: ({ reason, bytes }) => events.push({ invalid: reason, bytes: [...bytes] }) });
  for (const chunk of chunks) {
    framer.feed(chunk, (frame) => events.push({ frame: [...frame] }));
    expect(framer.bufferSize).toBeLessThanOrEqual(framer.maxFrameBytes);
  }
  if (end) framer.end();
  expect(framer.bufferSize).toBe(end ? 0 : framer.bufferSize);
  return events;
}

const framesOf = (events: Event[]): Buffer[] => events.flatMap((e) => ("frame" in e ? [Buffer.from(e.frame)] : []));

describe("LengthPrefixedFramer: PacketLengthParser's cases, ported", () => {
  it("transforms data to packets of correct length starting with delimiter", () => {
    const events = run({}, [concat("\xaa\x0dI love robots\xaa\x13Each "), concat("and Every One\n"), bytesOf(0xaa, 0x24), concat("even you!")], false);
    expect(framesOf(events)).toEqual([concat([0xaa, 0x0d], "I love robots"), concat([0xaa, 0x13], "Each and Every One\n")]);
  });

  it("when length is offset", () => {
    const events = run({ lengthOffset: 2, overhead: 3 }, [concat("\xaa\x01\x0dI love robots\xaa\x02\x13Each "), concat("and Every One\n"), bytesOf(0xaa, 0x03, 0x24), concat("even you!")], false);
    expect(framesOf(events)).toEqual([concat([0xaa, 0x01, 0x0d], "I love robots"), concat([0xaa, 0x02, 0x13], "Each and Every One\n")]);
  });

  it("when length is offset and multibyte", () => {
    const events = run({ lengthOffset: 2, overhead: 4, lengthBytes: 2 }, [concat("\xaa\x01\x0d\x00I love robots\xaa\x02\x13\x00Each "), concat("and Every One\n"), bytesOf(0xaa, 0x03, 0x24, 0x00), concat("even you!")], false);
    expect(framesOf(events)).toEqual([concat([0xaa, 0x01, 0x0d, 0x00], "I love robots"), concat([0xaa, 0x02, 0x13, 0x00], "Each and Every One\n")]);
  });

  it("at the end of the stream reports the partial packet as incomplete (serialport emits it)", () => {
    const events = run({ lengthOffset: 2, overhead: 4, lengthBytes: 2 }, [concat("\xaa\x01\x0d\x00I love robots\xaa\x02\x13\x00Each "), concat("and Every One\n"), bytesOf(0xaa, 0x03, 0x24, 0x00), concat("even you!")]);
    expect(events.at(-1)).toEqual({ invalid: "incomplete", bytes: [...concat([0xaa, 0x03, 0x24, 0x00], "even you!")] });
    expect(framesOf(events)).toHaveLength(2);
  });

  it("an invalid length is reported as oversize and the framer resynchronises (serialport emits the header as a packet)", () => {
    const events = run({ lengthOffset: 2, overhead: 4, lengthBytes: 2, maxLength: 0x0d }, [concat("\xaa\x01\x0d\x00I love robots\xaa\x02\x13\x00Each "), concat("and Every One\n"), bytesOf(0xaa, 0x03, 0x09, 0x00), concat("even you!")]);
    expect(events).toEqual([
      { frame: [...concat([0xaa, 0x01, 0x0d, 0x00], "I love robots")] },
      { invalid: "oversize", bytes: [0xaa, 0x02, 0x13, 0x00] },
      { frame: [...concat([0xaa, 0x03, 0x09, 0x00], "even you!")] },
    ]);
  });

  it("works if a multibyte length crosses a chunk boundary", () => {
    const events = run({ lengthOffset: 2, overhead: 4, lengthBytes: 2 }, [concat("\xaa\x01\x0d"), concat("\x00I love robots\xaa\x02\x13\x00Each "), concat("and Every One\n")]);
    expect(framesOf(events)).toEqual([concat([0xaa, 0x01, 0x0d, 0x00], "I love robots"), concat([0xaa, 0x02, 0x13, 0x00], "Each and Every One\n")]);
  });

  it("works with multiple delimiters (alternative start sequences)", () => {
    const events = run({ start: [[0xaa], [0xbb]], lengthOffset: 2, overhead: 4, lengthBytes: 2 }, [concat("\xbb\x01\x0d"), concat("\x00I love hobits\xaa\x02\x13\x00Each "), concat("and Every One\n")]);
    expect(framesOf(events)).toEqual([concat([0xbb, 0x01, 0x0d, 0x00], "I love hobits"), concat([0xaa, 0x02, 0x13, 0x00], "Each and Every One\n")]);
  });

  it("works with multibyte delimiters, one or several", () => {
    const chunks = [bytesOf(0xab, 0xab, 0xba, 0x0d), concat("I love hobits"), bytesOf(0xba, 0xdd, 0xad, 0x13), concat("Each and Every One\n")];
    const events = run({ start: [[0xab, 0xab, 0xba], [0xba, 0xdd, 0xad]], lengthOffset: 3, overhead: 4 }, chunks);
    expect(framesOf(events)).toEqual([concat([0xab, 0xab, 0xba, 0x0d], "I love hobits"), concat([0xba, 0xdd, 0xad, 0x13], "Each and Every One\n")]);
    expect(framesOf(run({ start: [0xab, 0xab, 0xba], lengthOffset: 3, overhead: 4 }, chunks))).toHaveLength(1);
  });
});

/** A frame: [0x55 0xaa][type][len BE 2][payload][crc32 BE of type..payload]. */
function crcFrame(type: number, payload: Uint8Array): Buffer {
  const body = concat([type, payload.length >> 8, payload.length & 0xff], payload);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return concat([0x55, 0xaa], body, crc);
}
const CRC_OPTIONS: LengthPrefixedFramerOptions = { start: [0x55, 0xaa], lengthOffset: 3, lengthBytes: 2, endian: "be", overhead: 9, maxLength: 64, checksum: { kind: "crc32" } };

/** A frame: [0xaa][len][payload][xor of len and payload]. */
function xorFrame(payload: Uint8Array): Buffer {
  const body = concat([payload.length], payload);
  return concat([0xaa], body, [xorChecksum(body)]);
}
const XOR_OPTIONS: LengthPrefixedFramerOptions = { overhead: 3, maxLength: 32, checksum: { kind: "xor" } };

describe("LengthPrefixedFramer", () => {
  it("reads a big-endian length and checks a CRC-32", () => {
    const good = crcFrame(1, bytesOf(1, 2, 3));
    const bad = Buffer.from(good);
    bad[6] = 9;
    expect(run(CRC_OPTIONS, [concat(good, bad, good)])).toEqual([{ frame: [...good] }, { invalid: "bad-checksum", bytes: [...bad] }, { frame: [...good] }]);
  });

  it("checks an xor checksum and resynchronises on a start byte inside a bad frame", () => {
    const inner = xorFrame(bytesOf(7));
    // A corrupt frame whose payload holds a whole good frame.
    const outer = concat([0xaa, inner.length + 1], inner, [0x00, 0x00]);
    expect(run(XOR_OPTIONS, [outer])).toEqual([{ invalid: "bad-checksum", bytes: [...outer] }, { frame: [...inner] }]);
  });

  it("skips and counts garbage before a start sequence, keeping a split start", () => {
    const framer = new LengthPrefixedFramer(CRC_OPTIONS);
    const frame = crcFrame(2, bytesOf(9));
    expect(framer.append(concat([1, 2, 3, 0x55]))).toEqual([]);
    expect(framer.bufferSize).toBe(1);
    expect(framer.append(frame.subarray(1))).toEqual([new Uint8Array(frame)]);
    expect(framer.skippedBytes).toBe(3);
  });

  it("reports a length too small for its header and checksum as bad-length", () => {
    // overhead 0: the length counts the whole frame, so 2 cannot hold [aa][len][xor].
    expect(run({ overhead: 0, checksum: { kind: "xor" } }, [bytesOf(0xaa, 0x02, 0xaa, 0x03, 0x03)])).toEqual([
      { invalid: "bad-length", bytes: [0xaa, 0x02] },
      { frame: [0xaa, 0x03, 0x03] },
    ]);
  });

  it("works without start bytes, resynchronising byte by byte", () => {
    const events = run({ start: [], lengthOffset: 0, overhead: 2, maxLength: 8, checksum: { kind: "xor", from: 0 } }, [bytesOf(2, 5, 6, 1, 0xff, 1, 7, 6)]);
    // [2 5 6 1]: xor(2,5,6) = 1 ✓; then [0xff] is oversize; [1 7 6]: xor(1,7) = 6 ✓.
    expect(events).toEqual([{ frame: [2, 5, 6, 1] }, { invalid: "oversize", bytes: [0xff] }, { frame: [1, 7, 6] }]);
  });

  it("emits views of the chunk unless copy is set, and plain Uint8Arrays", () => {
    const chunk = new Uint8Array(xorFrame(bytesOf(1)));
    const [viewed] = new LengthPrefixedFramer(XOR_OPTIONS).append(chunk);
    const [copied] = new LengthPrefixedFramer({ ...XOR_OPTIONS, copy: true }).append(chunk);
    chunk[2] = 0x42;
    expect(viewed?.[2]).toBe(0x42);
    expect(copied?.[2]).toBe(1);
    expect(Buffer.isBuffer(viewed)).toBe(false);
    expect(Buffer.isBuffer(copied)).toBe(false);
  });

  const frameArb = fc.oneof(
    fc.uint8Array({ maxLength: 40 }).map((payload) => ({ good: true, bytes: crcFrame(3, payload.subarray(0, 64)) })),
    fc.uint8Array({ minLength: 1, maxLength: 20 }).map((bytes) => ({ good: false, bytes: Buffer.from(bytes.map((b) => (b === 0x55 ? 0x54 : b))) })),
  );

  it("finds every good frame whatever the garbage between them and the chunking", () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 25 }), (parts, offsets) => {
        const input = concat(...parts.map((p) => p.bytes));
        const whole = run(CRC_OPTIONS, [input]);
        expect(run(CRC_OPTIONS, cut(input, offsets))).toEqual(whole);
        // Garbage never holds 0x55, so no bad frame can swallow a good one: every good frame comes out.
        expect(framesOf(whole)).toEqual(parts.filter((p) => p.good).map((p) => p.bytes));
      }),
      { numRuns: 300 },
    );
  });

  it("never throws and never holds more than maxLength + overhead, whatever the bytes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }).map((b) => b.map((x) => [0xaa, 0xbb, 3, x][x % 4]!)), { maxLength: 20 }),
        fc.constantFrom<LengthPrefixedFramerOptions>(XOR_OPTIONS, { start: [[0xaa], [0xbb]], maxLength: 5 }, { start: [0xaa, 0xbb], lengthOffset: 2, lengthBytes: 3, endian: "be", maxLength: 20, overhead: 1 }),
        (chunks, options) => {
          const events = run(options, chunks);
          const all = run(options, [concat(...chunks)]);
          expect(events).toEqual(all);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    [{ lengthBytes: 5 }, RangeError, "lengthBytes"],
    [{ lengthBytes: 0 }, RangeError, "lengthBytes"],
    [{ lengthOffset: 0 }, RangeError, "lengthOffset"],
    [{ endian: "big" }, RangeError, "endian"],
    [{ overhead: -1 }, RangeError, "overhead"],
    [{ maxLength: 256 }, RangeError, "maxLength"],
    [{ maxLength: "9" }, TypeError, "maxLength"],
    [{ start: [0x100] }, RangeError, "start[0]"],
    [{ start: [[1], [1, 2]], lengthOffset: 2 }, RangeError, "start"],
    [{ checksum: { kind: "crc16" } }, RangeError, "checksum.kind"],
    [{ checksum: { kind: "xor", at: 3 } }, TypeError, "at"],
    [{ delimiter: [0xaa] }, TypeError, "delimiter"],
    [{ packetOverhead: 2 }, TypeError, "packetOverhead"],
  ])("rejects %o", (options, errorClass, name) => {
    expect(() => new LengthPrefixedFramer(options as never)).toThrow(errorClass);
    expect(() => lengthPrefixed(options as never)).toThrow(name);
  });

  it("defaults to serialport's packet: [0xaa][len], overhead 2, length up to 255, little-endian", () => {
    const framer = new LengthPrefixedFramer();
    expect([framer.starts, framer.lengthOffset, framer.lengthBytes, framer.endian, framer.overhead, framer.maxLength]).toEqual([[bytesOf(0xaa)], 1, 1, "le", 2, 255]);
  });
});

describe("lengthPrefixed", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  standardOperatorCases({ make: () => lengthPrefixed(), one: { chunk: bytesOf(0xaa, 1, 7), frame: bytesOf(0xaa, 1, 7) } });

  it("emits a frame when its last byte arrives and reports the partial end", () => {
    const seen: InvalidFrame[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("--a-----b--|", { a: bytesOf(0x00, 0xaa, 0x02, 0x10), b: bytesOf(0x20, 0xaa, 0x01, 0x30).subarray(0, 3) });
      expectObservable(source.pipe(lengthPrefixed({ onInvalid: (bad) => seen.push(bad) }))).toBe("--------x--|", { x: bytesOf(0xaa, 0x02, 0x10, 0x20) });
    });
    expect(seen).toEqual([{ reason: "incomplete", bytes: bytesOf(0xaa, 0x01) }]);
  });

  it("carries a lego descriptor with live counters", () => {
    const operator = lengthPrefixed({ ...XOR_OPTIONS, name: "imu.frames", group: "imu" });
    expect(operator.lego).toEqual({ kind: "LengthPrefixedFramer", name: "imu.frames", group: "imu" });
    const good = xorFrame(bytesOf(1, 2));
    const bad = concat(xorFrame(bytesOf(3)).subarray(0, 3), [0]);
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-a-|", { a: concat([1, 2], good, bad, [0xaa, 40]) }).pipe(operator)).toBe("-x-|", { x: new Uint8Array(good) });
    });
    expect(operator.lego.counters).toEqual({ messages: 1, invalid: 2, oversize: 1, badLength: 0, badChecksum: 1, incomplete: 0, skippedBytes: 2 + 1 + 3 + 1 + 1 });
    // [1 2], the bad frame's 0xaa then its 3 other bytes, the oversize 0xaa, then 40.
  });

  it("errors the stream when onInvalid throws", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const operator = lengthPrefixed({
        maxLength: 1,
        onInvalid: () => {
          throw new Error("callback failed");
        },
      });
      expectObservable(cold("-a-|", { a: bytesOf(0xaa, 9) }).pipe(operator)).toBe("-#", undefined, new Error("callback failed"));
    });
  });

  it("is typed as bytes or text in, Uint8Array out", () => {
    expectTypeOf(lengthPrefixed(CRC_OPTIONS)).toEqualTypeOf<LegoOperator<FramingChunk, Uint8Array>>();
  });
});
