import fc from "fast-check";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { FixedLengthFramer, fixedLength, type FramingChunk, type InvalidFrame, type LegoOperator } from "../../../src/index.js";
import { bytesOf, cut, standardOperatorCases } from "./operator-cases.js";

function run(length: number, chunks: readonly Uint8Array[]): { frames: number[][]; invalid: InvalidFrame[] } {
  const invalid: InvalidFrame[] = [];
  const framer = new FixedLengthFramer({ length, onInvalid: (bad) => invalid.push(bad) });
  const frames: number[][] = [];
  for (const chunk of chunks) {
    for (const frame of framer.append(chunk)) frames.push([...frame]);
    expect(framer.bufferSize).toBeLessThan(length);
  }
  framer.end();
  return { frames, invalid };
}

describe("FixedLengthFramer", () => {
  it("cuts frames of exactly length bytes across chunks", () => {
    const framer = new FixedLengthFramer({ length: 4 });
    expect(framer.append(bytesOf(1, 2, 3))).toEqual([]);
    expect(framer.bufferSize).toBe(3);
    expect(framer.append(bytesOf(4, 5, 6, 7, 8, 9))).toEqual([bytesOf(1, 2, 3, 4), bytesOf(5, 6, 7, 8)]);
    expect(framer.bufferSize).toBe(1);
    expect(framer.frames).toBe(2);
  });

  it("emits views of the chunk unless copy is set", () => {
    const chunk = bytesOf(1, 2, 3, 4);
    const [viewed] = new FixedLengthFramer({ length: 2 }).append(chunk);
    const [copied] = new FixedLengthFramer({ length: 2, copy: true }).append(chunk);
    chunk[0] = 9;
    expect(viewed).toEqual(bytesOf(9, 2));
    expect(copied).toEqual(bytesOf(1, 2));
    expect(Buffer.isBuffer(viewed)).toBe(false);
  });

  it("reports a trailing partial frame as incomplete, and clear() drops it silently", () => {
    expect(run(3, [bytesOf(1, 2, 3, 4, 5)])).toEqual({ frames: [[1, 2, 3]], invalid: [{ reason: "incomplete", bytes: bytesOf(4, 5) }] });
    const framer = new FixedLengthFramer({ length: 3, onInvalid: () => expect.unreachable() });
    framer.append(bytesOf(1));
    framer.clear();
    framer.end();
    expect(framer.incomplete).toBe(0);
  });

  it("matches ByteLengthParser's case: length 8 from a stream of chunks", () => {
    const frames = new FixedLengthFramer({ length: 8 });
    const out = ["I love robots", "Each and Every One"].flatMap((s) => frames.append(s));
    expect(out.map((f) => Buffer.from(f).toString())).toEqual(["I love r", "obotsEac", "h and Ev"]);
  });

  it("yields the same frames for any chunking", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(), { maxLength: 20 }), fc.integer({ min: 1, max: 17 }), (input, offsets, length) => {
        const whole = run(length, [input]);
        expect(run(length, cut(input, offsets))).toEqual(whole);
        expect(whole.frames.flat()).toEqual([...input.slice(0, input.length - (input.length % length))]);
        expect(whole.invalid.length).toBe(input.length % length === 0 ? 0 : 1);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    [{ length: 0 }, RangeError, "length"],
    [{ length: 2.5 }, RangeError, "length"],
    [{ length: "4" }, TypeError, "length"],
    [{ length: 4, copy: 1 }, TypeError, "copy"],
    [{ length: 4, onInvalid: 1 }, TypeError, "onInvalid"],
    [{ length: 4, maxBufferSize: 1 }, TypeError, "maxBufferSize"],
  ])("rejects %o", (options, errorClass, name) => {
    expect(() => new FixedLengthFramer(options as never)).toThrow(errorClass);
    expect(() => fixedLength(options as never)).toThrow(name);
  });
});

describe("fixedLength", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  standardOperatorCases({ make: () => fixedLength(2), one: { chunk: bytesOf(1, 2), frame: bytesOf(1, 2) } });

  it("emits each frame when its last byte arrives and reports the partial end", () => {
    const seen: InvalidFrame[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("--a------b-----|", { a: bytesOf(1, 2, 3), b: bytesOf(4, 5, 6, 7, 8, 9) });
      expectObservable(source.pipe(fixedLength({ length: 4, onInvalid: (bad) => seen.push(bad) }))).toBe("---------(xy)--|", {
        x: bytesOf(1, 2, 3, 4),
        y: bytesOf(5, 6, 7, 8),
      });
    });
    expect(seen).toEqual([{ reason: "incomplete", bytes: bytesOf(9) }]);
  });

  it("carries a lego descriptor with live counters", () => {
    const operator = fixedLength({ length: 2, name: "records", group: "uart" });
    expect(operator.lego).toEqual({ kind: "FixedLengthFramer", name: "records", group: "uart" });
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-a-|", { a: bytesOf(1, 2, 3) }).pipe(operator)).toBe("-x-|", { x: bytesOf(1, 2) });
    });
    expect(operator.lego.counters).toEqual({ messages: 1, invalid: 1, incomplete: 1 });
  });

  it("is typed as bytes or text in, Uint8Array out", () => {
    expectTypeOf(fixedLength(4)).toEqualTypeOf<LegoOperator<FramingChunk, Uint8Array>>();
    expectTypeOf(fixedLength({ length: 4, copy: true })).toEqualTypeOf<LegoOperator<FramingChunk, Uint8Array>>();
  });
});
