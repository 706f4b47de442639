import fc from "fast-check";
import { Observable, take } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  DelimitedMessageBuffer,
  delimited,
  type DelimitedChunk,
  type DelimitedMode,
  type InvalidMessage,
  type LegoOperator,
} from "../../src/index.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const bytesOf = (...values: number[]): Uint8Array => new Uint8Array(values);

type Event = { message: string | number[] } | { invalid: string; bytes: number[] };

/** Everything a buffer emits and reports, in order, for a given chunking. */
function run(options: ConstructorParameters<typeof DelimitedMessageBuffer>[0], chunks: readonly (Uint8Array | string)[]): Event[] {
  const events: Event[] = [];
  const buffer = new DelimitedMessageBuffer<DelimitedMode>({
    ...options,
    onInvalid: ({ reason, bytes }) => events.push({ invalid: reason, bytes: [...bytes] }),
  });
  for (const chunk of chunks) {
    buffer.feed(chunk, (message) => events.push({ message: typeof message === "string" ? message : [...message] }));
    expect(buffer.bufferSize).toBeLessThanOrEqual(buffer.maxMessageBytes + buffer.delimiter.length - 1);
  }
  buffer.end();
  expect(buffer.bufferSize).toBe(0);
  return events;
}

/** Cuts `bytes` at the given (sorted, deduplicated) offsets. */
function cut(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(bytes.slice(start, point));
    start = point;
  }
  pieces.push(bytes.slice(start));
  return pieces;
}

describe("DelimitedMessageBuffer", () => {
  it("splits messages, keeps empty ones and holds the unfinished rest", () => {
    const lines = new DelimitedMessageBuffer({ mode: "text" });
    expect(lines.append("a\n\nb")).toEqual(["a", ""]);
    expect(lines.bufferSize).toBe(1);
    expect(lines.append("c\n")).toEqual(["bc"]);
    expect(lines.bufferSize).toBe(0);
    expect(lines.messages).toBe(3);
  });

  it("emits Uint8Arrays in bytes mode, from bytes or strings", () => {
    const frames = new DelimitedMessageBuffer();
    const out = frames.append(bytesOf(1, 2, 10, 3));
    expect(out).toEqual([bytesOf(1, 2)]);
    expect(out[0]).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(out[0])).toBe(false);
    expect(frames.append("\n")).toEqual([bytesOf(3)]);
  });

  it("copies messages when asked, so changing the chunk does not change them", () => {
    const chunk = bytesOf(1, 2, 10);
    const copied = new DelimitedMessageBuffer({ copy: true }).append(chunk);
    const viewed = new DelimitedMessageBuffer().append(chunk);
    chunk[0] = 9;
    expect(copied[0]).toEqual(bytesOf(1, 2));
    expect(viewed[0]).toEqual(bytesOf(9, 2));
  });

  it("finds a multi-byte delimiter split across chunks", () => {
    const crlf = new DelimitedMessageBuffer({ delimiter: "\r\n", mode: "text" });
    expect(crlf.append("one\r")).toEqual([]);
    expect(crlf.append("\ntwo\r")).toEqual(["one"]);
    expect(crlf.append("\r\n")).toEqual(["two\r"]);
    const long = new DelimitedMessageBuffer({ delimiter: "<END>", mode: "text" });
    expect(["a<", "E", "N", "D>b<EN", "D", ">"].flatMap((c) => long.append(c))).toEqual(["a", "b"]);
  });

  it("splits at the leftmost delimiter when it overlaps itself", () => {
    const aa = new DelimitedMessageBuffer({ delimiter: "aa", mode: "text" });
    expect(["xa", "aay", "aaa", "a"].flatMap((c) => aa.append(c))).toEqual(["x", "ay", ""]);
    expect(aa.bufferSize).toBe(0);
  });

  it("decodes a UTF-8 character split across chunks", () => {
    const euro = utf8("€\n"); // e2 82 ac 0a
    const lines = new DelimitedMessageBuffer({ mode: "text" });
    expect(lines.append(euro.slice(0, 1))).toEqual([]);
    expect(lines.append(euro.slice(1, 2))).toEqual([]);
    expect(lines.append(euro.slice(2))).toEqual(["€"]);
  });

  it("reports invalid UTF-8 per message and goes on", () => {
    const events = run({ mode: "text" }, [bytesOf(0x61, 10, 0xff, 0xfe, 10, 0x62, 10)]);
    expect(events).toEqual([{ message: "a" }, { invalid: "invalid-utf8", bytes: [0xff, 0xfe] }, { message: "b" }]);
    const split = run({ mode: "text" }, [bytesOf(0xe2, 0x82), bytesOf(10, 0x63, 10)]);
    expect(split).toEqual([{ invalid: "invalid-utf8", bytes: [0xe2, 0x82] }, { message: "c" }]);
  });

  it("accepts a message of exactly maxMessageBytes and drops a longer one up to its delimiter", () => {
    const events = run({ mode: "text", maxMessageBytes: 3 }, ["abc\nabcd\nef\n"]);
    expect(events).toEqual([{ message: "abc" }, { invalid: "oversize", bytes: [...utf8("abc")] }, { message: "ef" }]);
  });

  it("drops an oversize message as soon as it is certain, reporting its first maxMessageBytes bytes", () => {
    const seen: InvalidMessage[] = [];
    const lines = new DelimitedMessageBuffer({ mode: "text", maxMessageBytes: 4, onInvalid: (bad) => seen.push(bad) });
    expect(lines.append("abcd")).toEqual([]);
    expect(lines.bufferSize).toBe(4);
    expect(lines.append("ef")).toEqual([]);
    expect(seen).toEqual([{ reason: "oversize", bytes: utf8("abcd") }]);
    expect(lines.bufferSize).toBe(0);
    expect(lines.append("ghij".repeat(100))).toEqual([]);
    expect(lines.bufferSize).toBe(0);
    expect(lines.append("k\nok\n")).toEqual(["ok"]);
    expect(lines.oversize).toBe(1);
  });

  it("keeps a possible delimiter start while discarding an oversize message", () => {
    const events = run({ mode: "text", delimiter: "\r\n", maxMessageBytes: 2 }, ["abcdef\r", "\nxy\r", "\n"]);
    expect(events).toEqual([{ invalid: "oversize", bytes: [...utf8("ab")] }, { message: "xy" }]);
  });

  it("waits for a multi-byte delimiter that could still end a full-length message", () => {
    const events = run({ mode: "text", delimiter: "\r\n", maxMessageBytes: 2 }, ["ab\r", "\n"]);
    expect(events).toEqual([{ message: "ab" }]);
  });

  it("reports a trailing partial message at the end: incomplete, or oversize when over the limit", () => {
    expect(run({ mode: "text" }, ["a\nbc"])).toEqual([{ message: "a" }, { invalid: "incomplete", bytes: [...utf8("bc")] }]);
    expect(run({ mode: "text", delimiter: "\r\n", maxMessageBytes: 2 }, ["abc"])).toEqual([
      { invalid: "oversize", bytes: [...utf8("ab")] },
    ]);
    expect(run({ mode: "text", maxMessageBytes: 2 }, ["abcdef"])).toEqual([{ invalid: "oversize", bytes: [...utf8("ab")] }]);
    expect(run({ mode: "text" }, ["a\n"])).toEqual([{ message: "a" }]);
  });

  it("clear() drops the message in progress without a report", () => {
    const seen: InvalidMessage[] = [];
    const lines = new DelimitedMessageBuffer({ mode: "text", onInvalid: (bad) => seen.push(bad) });
    lines.append("partial");
    lines.clear();
    expect(lines.bufferSize).toBe(0);
    expect(lines.append("x\n")).toEqual(["x"]);
    lines.end();
    expect(seen).toEqual([]);
  });

  it("yields the same messages and reports for any chunking (bytes mode, random bytes, small limits)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }).map((b) => b.map((x) => [10, 13, 97, 98, 0xe2, 0x82, 0xac, x][x % 8]!)),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.constantFrom<string | Uint8Array>("\n", "\r\n", "aa", "ab", bytesOf(0xe2, 0x82)),
        fc.integer({ min: 1, max: 12 }),
        (input, offsets, delimiter, maxMessageBytes) => {
          const options = { delimiter, maxMessageBytes };
          expect(run(options, cut(input, offsets))).toEqual(run(options, [input]));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("yields the same messages and reports for any chunking (text mode, characters split anywhere)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme", maxLength: 8 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.constantFrom("\n", "\r\n", "§§", "€"),
        fc.boolean(),
        (pieces, offsets, delimiter, trailing) => {
          const text = pieces.join(delimiter) + (trailing ? delimiter : "");
          const input = utf8(text);
          const options = { mode: "text" as const, delimiter };
          const whole = run(options, [input]);
          expect(run(options, cut(input, offsets))).toEqual(whole);
          // And the messages are the text's own pieces.
          const expected = text.split(delimiter);
          const rest = expected.pop() ?? "";
          expect(whole.filter((e) => "message" in e).map((e) => (e as { message: string }).message)).toEqual(
            expected,
          );
          expect(whole.some((e) => "invalid" in e)).toBe(rest !== "");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never throws and never holds more than maxMessageBytes plus the delimiter, whatever the bytes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 16 }),
        fc.constantFrom<DelimitedMode>("bytes", "text"),
        (chunks, maxMessageBytes, mode) => {
          expect(() => run({ mode, maxMessageBytes, delimiter: "\r\n" }, chunks)).not.toThrow();
        },
      ),
    );
  });

  it.each([
    [{ delimiter: "" }, RangeError, "delimiter"],
    [{ delimiter: new Uint8Array(0) }, RangeError, "delimiter"],
    [{ delimiter: 10 }, TypeError, "delimiter"],
    [{ mode: "lines" }, RangeError, "mode"],
    [{ mode: 1 }, TypeError, "mode"],
    [{ maxMessageBytes: 0 }, RangeError, "maxMessageBytes"],
    [{ maxMessageBytes: 1.5 }, RangeError, "maxMessageBytes"],
    [{ maxMessageBytes: "64" }, TypeError, "maxMessageBytes"],
    [{ copy: "yes" }, TypeError, "copy"],
    [{ onInvalid: "log" }, TypeError, "onInvalid"],
    [{ group: "" }, RangeError, "group"],
  ])("rejects %o", (options, errorClass, name) => {
    expect(() => new DelimitedMessageBuffer(options as never)).toThrow(errorClass);
    expect(() => new DelimitedMessageBuffer(options as never)).toThrow(name);
    expect(() => delimited(options as never)).toThrow(errorClass);
  });

  it("rejects chunks that are neither bytes nor strings", () => {
    expect(() => new DelimitedMessageBuffer().append(5 as never)).toThrow(TypeError);
  });

  it("defaults to newline, bytes and 64 KiB", () => {
    const buffer = new DelimitedMessageBuffer();
    expect([buffer.delimiter, buffer.mode, buffer.maxMessageBytes]).toEqual([bytesOf(10), "bytes", 65_536]);
  });
});

describe("delimited", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it("emits each message when its delimiter arrives", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("-a--b----c-|", { a: "ab\ncd", b: "\n\nef", c: "\n" });
      expectObservable(source.pipe(delimited({ mode: "text" }))).toBe("-x--(yz)-f-|", { x: "ab", y: "cd", z: "", f: "ef" });
    });
  });

  it("completes on empty, never emits on never, and reports a trailing partial at completion", () => {
    const seen: InvalidMessage[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("|").pipe(delimited())).toBe("|");
      expectObservable(cold("-").pipe(delimited())).toBe("-");
      expectObservable(cold("-a-|", { a: "x" }).pipe(delimited({ mode: "text", onInvalid: (bad) => seen.push(bad) }))).toBe("---|");
    });
    expect(seen).toEqual([{ reason: "incomplete", bytes: utf8("x") }]);
  });

  it("passes a source error on, dropping the partial message without a report", () => {
    const seen: InvalidMessage[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("-a-#", { a: "x\ny" }, new Error("port closed"));
      expectObservable(source.pipe(delimited({ mode: "text", onInvalid: (bad) => seen.push(bad) }))).toBe("-x-#", { x: "x" }, new Error("port closed"));
    });
    expect(seen).toEqual([]);
  });

  it("unsubscribes from the source on early unsubscribe", () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot("-a--b--c-|", { a: "1\n", b: "2\n", c: "3\n" });
      expectObservable(source.pipe(delimited({ mode: "text" })), "^----!").toBe("-x--y", { x: "1", y: "2" });
      expectSubscriptions(source.subscriptions).toBe("^----!");
    });
  });

  it("gives each subscription its own buffer", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const lines = cold("-a-b-|", { a: "x", b: "y\n" }).pipe(delimited({ mode: "text" }));
      expectObservable(lines).toBe("---x-|", { x: "xy" });
      expectObservable(lines).toBe("---x-|", { x: "xy" });
    });
  });

  it("stops a synchronous source after unsubscribe", () => {
    let produced = 0;
    const source = new Observable<string>((subscriber) => {
      for (let i = 0; i < 100 && !subscriber.closed; i++) {
        produced++;
        subscriber.next(`${i}\n`);
      }
      subscriber.complete();
    });
    const seen: string[] = [];
    source.pipe(delimited({ mode: "text" }), take(2)).subscribe((line) => seen.push(line));
    expect(seen).toEqual(["0", "1"]);
    expect(produced).toBe(2);
  });

  it("emits strings in text mode and Uint8Arrays otherwise (types)", () => {
    expectTypeOf(delimited({ mode: "text" })).toEqualTypeOf<LegoOperator<DelimitedChunk, string>>();
    expectTypeOf(delimited()).toEqualTypeOf<LegoOperator<DelimitedChunk, Uint8Array>>();
    expectTypeOf(new DelimitedMessageBuffer({ mode: "text" }).append("")).toEqualTypeOf<string[]>();
    expectTypeOf(new DelimitedMessageBuffer().append("")).toEqualTypeOf<Uint8Array[]>();
  });

  it("carries a lego descriptor with live counters", () => {
    const operator = delimited({ mode: "text", maxMessageBytes: 2, group: "uart", name: "uart.lines" });
    expect(operator.lego).toEqual({ kind: "DelimitedMessageBuffer", name: "uart.lines", group: "uart" });
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-a-b|", { a: "ok\ntoo long\n", b: bytesOf(0xff, 10, 0x61) }).pipe(operator)).toBe("-x--|", { x: "ok" });
    });
    expect(operator.lego.counters).toEqual({ messages: 1, invalid: 3, oversize: 1, invalidUtf8: 1, incomplete: 1 });
  });

  it("errors the stream when onInvalid throws", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const operator = delimited({
        maxMessageBytes: 1,
        onInvalid: () => {
          throw new Error("callback failed");
        },
      });
      expectObservable(cold("-a-|", { a: "long\n" }).pipe(operator)).toBe("-#", undefined, new Error("callback failed"));
    });
  });
});
