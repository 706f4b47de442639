import fc from "fast-check";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { PatternFramer, splitOn, type FramingChunk, type InvalidFrame, type LegoOperator, type PatternFramerOptions } from "../../../src/index.js";
import { bytesOf, cut, standardOperatorCases, utf8 } from "./operator-cases.js";

type Event = { message: string } | { invalid: string; bytes: number[] };

function run(options: PatternFramerOptions, chunks: readonly (Uint8Array | string)[]): Event[] {
  const events: Event[] = [];
  const framer = new PatternFramer({ ...options, onInvalid: ({ reason, bytes }) => events.push({ invalid: reason, bytes: [...bytes] }) });
  const emit = (message: string): void => {
    events.push({ message });
  };
  for (const chunk of chunks) {
    framer.feed(chunk, emit);
    // Bounded: a message of maxMessageBytes plus a separator that may still grow, in UTF-16 units.
    expect(framer.bufferSize).toBeLessThanOrEqual(2 * framer.maxMessageBytes + 3);
  }
  framer.end(emit);
  expect(framer.bufferSize).toBe(0);
  return events;
}
const messagesOf = (events: Event[]): string[] => events.flatMap((e) => ("message" in e ? [e.message] : []));

describe("PatternFramer: RegexParser's cases, ported", () => {
  it("transforms data to strings split on either carriage return or new line", () => {
    const events = run({ pattern: /[\r\n]+/ }, [utf8("I love robots\r\nEach "), utf8("and Every One\r"), utf8("even you!"), utf8("\nThe angry red robot")]);
    expect(events).toEqual([
      { message: "I love robots" },
      { message: "Each and Every One" },
      { message: "even you!" },
      { invalid: "incomplete", bytes: [...utf8("The angry red robot")] },
    ]);
  });

  it("reports the remaining data at the end as incomplete (serialport emits it)", () => {
    expect(run({ pattern: /\n/ }, [bytesOf(1)])).toEqual([{ invalid: "incomplete", bytes: [1] }]);
  });

  it("takes the pattern as a string, and rejects an invalid one", () => {
    expect(messagesOf(run({ pattern: "a|b" }, ["bhow are youa"]))).toEqual(["", "how ", "re you"]);
    expect(() => new PatternFramer({ pattern: "\\" })).toThrow(RangeError);
    expect(() => splitOn(5 as never)).toThrow(TypeError);
  });

  it("allows setting of encoding", () => {
    expect(messagesOf(run({ pattern: /0d/, encoding: "hex" }, [utf8("a\rb\r")]))).toEqual(["61", "62"]);
  });

  it("works when the buffer starts with a match (the empty message is emitted here)", () => {
    expect(messagesOf(run({ pattern: /\r/ }, [utf8("\rHello\rWorld\r")]))).toEqual(["", "Hello", "World"]);
  });

  it("continues looking for matches in the next buffers", () => {
    expect(messagesOf(run({ pattern: /\r\n|\n/ }, [utf8("This could be\na poem "), utf8("or prose\r\nsent from a robot\r\n")]))).toEqual([
      "This could be",
      "a poem or prose",
      "sent from a robot",
    ]);
  });

  it("emits empty messages, where serialport's stream does not (a deliberate difference)", () => {
    expect(messagesOf(run({ pattern: /a|b/ }, [utf8("abaFab")]))).toEqual(["", "", "", "F", ""]);
  });
});

describe("PatternFramer", () => {
  it("emits at once, and skips the continuation of a separator the next chunk goes on with", () => {
    const framer = new PatternFramer({ pattern: /\r\n|\r|\n+/ });
    expect(framer.append("a\r")).toEqual(["a"]);
    expect(framer.append("\nb\n")).toEqual(["b"]);
    expect(framer.append("\n")).toEqual([]);
    expect(framer.append("\nc\r\r")).toEqual(["c", ""]);
  });

  it("decodes a UTF-8 character split across chunks and reports invalid UTF-8 with its bytes", () => {
    const euro = utf8("€;");
    expect(run({ pattern: /;/ }, [euro.subarray(0, 1), euro.subarray(1, 2), euro.subarray(2)])).toEqual([{ message: "€" }]);
    expect(run({ pattern: /;/ }, [bytesOf(0x61, 0xff, 0x3b, 0x62, 0x3b, 0xe2, 0x82)])).toEqual([
      { invalid: "invalid-utf8", bytes: [0x61, 0xff] },
      { message: "b" },
      { invalid: "incomplete", bytes: [0xe2, 0x82] },
    ]);
  });

  it("keeps a real U+DCxx-looking pair apart from escaped bytes", () => {
    // U+1F600 is the surrogate pair D83D DE00; no byte escape looks like it.
    expect(messagesOf(run({ pattern: /;/ }, [utf8("😀;"), bytesOf(0xff, 0x3b), utf8("x;")]))).toEqual(["😀", "x"]);
  });

  it("drops an oversize message as soon as it is certain and goes on", () => {
    expect(run({ pattern: /;/, maxMessageBytes: 3 }, ["abc;abcd", "efgh;ok;"])).toEqual([
      { message: "abc" },
      { invalid: "oversize", bytes: [...utf8("abc")] },
      { message: "ok" },
    ]);
    // A full-length message followed by a separator that may still grow is not oversize.
    expect(run({ pattern: /\n+/, maxMessageBytes: 2 }, ["ab\n", "\ncd\n"])).toEqual([{ message: "ab" }, { message: "cd" }]);
    // Counted in bytes: "€€" is 6 bytes.
    expect(run({ pattern: /;/, maxMessageBytes: 5 }, ["€€;€;"])).toEqual([{ invalid: "oversize", bytes: [...utf8("€€").subarray(0, 5)] }, { message: "€" }]);
  });

  it("ignores matches of no characters", () => {
    expect(messagesOf(run({ pattern: /,*/ }, ["a,b,,c,"]))).toEqual(["a", "b", "c"]);
  });

  it("yields the same messages for any chunking (text pieces with separators, UTF-8 split anywhere)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme", maxLength: 6 }).map((s) => s.replace(/[\r\n;,]/g, "")), { maxLength: 10 }),
        fc.array(fc.constantFrom("\n", "\r\n", ";", ",,"), { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 25 }),
        fc.constantFrom(/\r?\n|;|,+/, /[\r\n;,]+/),
        (pieces, separators, offsets, pattern) => {
          const text = pieces.map((piece, i) => piece + separators[i % separators.length]!).join("");
          const input = utf8(text);
          const whole = run({ pattern }, [input]);
          expect(run({ pattern }, cut(input, offsets))).toEqual(whole);
          expect(messagesOf(whole)).toEqual(text.split(new RegExp(pattern.source)).slice(0, -1).filter((_, i, all) => pattern.source.startsWith("[") ? true : all.length >= 0));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never throws and stays bounded whatever the bytes, and any chunking agrees", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 150 }).map((b) => b.map((x) => [0x0a, 0x3b, 0x61, 0xe2, 0x82, 0xac, 0xff, x][x % 8]!)),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.integer({ min: 1, max: 10 }),
        (input, offsets, maxMessageBytes) => {
          const options = { pattern: /\n+|;/, maxMessageBytes };
          expect(run(options, cut(input, offsets))).toEqual(run(options, [input]));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("searches a literal pattern with indexOf and agrees with the same pattern through the regex engine", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 150 }).map((b) => b.map((x) => [0x0d, 0x0a, 0x3b, 0x61, 0xe2, 0x82, 0xff, x][x % 8]!)),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.integer({ min: 1, max: 10 }),
        fc.constantFrom<[RegExp, RegExp]>([/\r\n/, /[\r][\n]/], [/;/, /[;]/], [/\x3b\n/, /[;][\n]/], [/\x61;/, /[a][;]/]),
        (input, offsets, maxMessageBytes, [literal, regex]) => {
          const chunks = cut(input, offsets);
          expect(run({ pattern: literal, maxMessageBytes }, chunks)).toEqual(run({ pattern: regex, maxMessageBytes }, chunks));
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    [{ pattern: /;/, encoding: "base64" }, RangeError, "encoding"],
    [{ pattern: /;/, maxMessageBytes: 0 }, RangeError, "maxMessageBytes"],
    [{ pattern: /;/, regex: /;/ }, TypeError, "regex"],
    [{ pattern: "" }, RangeError, "pattern"],
  ])("rejects %o", (options, errorClass, name) => {
    expect(() => new PatternFramer(options as never)).toThrow(errorClass);
    expect(() => new PatternFramer(options as never)).toThrow(name);
  });
});

describe("splitOn", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  standardOperatorCases({ make: () => splitOn(/;/), one: { chunk: "x;", frame: "x" } });

  it("splits when the separator arrives and reports the partial end", () => {
    const seen: InvalidFrame[] = [];
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("--a-------b----|", { a: "x,y;", b: "z\nw" });
      expectObservable(source.pipe(splitOn(/[,;\n]/, { onInvalid: (bad) => seen.push(bad) }))).toBe("--(xy)----z----|", { x: "x", y: "y", z: "z" });
    });
    expect(seen).toEqual([{ reason: "incomplete", bytes: utf8("w") }]);
  });

  it("carries a lego descriptor with live counters", () => {
    const operator = splitOn(/;/, { maxMessageBytes: 2, name: "fields", group: "gps" });
    expect(operator.lego).toEqual({ kind: "PatternFramer", name: "fields", group: "gps" });
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-a-|", { a: bytesOf(0x6f, 0x6b, 0x3b, 0x61, 0x62, 0x63, 0x3b, 0xff, 0x3b, 0x61) }).pipe(operator)).toBe("-x-|", { x: "ok" });
    });
    expect(operator.lego.counters).toEqual({ messages: 1, invalid: 3, oversize: 1, invalidUtf8: 1, incomplete: 1 });
  });

  it("is typed as bytes or text in, string out", () => {
    expectTypeOf(splitOn(/\n/)).toEqualTypeOf<LegoOperator<FramingChunk, string>>();
  });
});
