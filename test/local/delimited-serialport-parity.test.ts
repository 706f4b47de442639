/**
 * serialport's own test cases for `DelimiterParser` and `ReadlineParser`
 * (node-serialport packages/parser-delimiter/lib/index.test.ts and
 * packages/parser-readline/lib/index.test.ts, v13), ported to `delimited` /
 * `DelimitedMessageBuffer`: the includeDelimiter, encoding and array
 * delimiter cases, and the others where DESIGN.md asks for no difference.
 * Where we differ on purpose (an empty message is emitted; a trailing
 * partial message is reported as `incomplete`, not emitted) the case says so.
 */
import fc from "fast-check";
import { from, lastValueFrom, toArray } from "rxjs";
import { DelimiterParser } from "@serialport/parser-delimiter";
import { ReadlineParser } from "@serialport/parser-readline";
import { describe, expect, expectTypeOf, it } from "vitest";
import { DelimitedMessageBuffer, delimited, type DelimitedEncoding, type InvalidMessage } from "../../src/index.js";

const buf = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

/** Feeds chunks through a fresh buffer, returns the messages and the reports. */
function feed<M extends "bytes" | "text">(
  options: ConstructorParameters<typeof DelimitedMessageBuffer<M>>[0],
  chunks: readonly (Uint8Array | string)[],
  end = false,
): { messages: (string | Uint8Array)[]; invalid: InvalidMessage[] } {
  const invalid: InvalidMessage[] = [];
  const buffer = new DelimitedMessageBuffer<M>({ ...options, onInvalid: (bad) => invalid.push(bad) });
  const messages = chunks.flatMap((chunk) => buffer.append(chunk));
  if (end) buffer.end();
  return { messages, invalid };
}

describe("DelimiterParser cases, ported", () => {
  it("transforms data to strings split on a delimiter", () => {
    const { messages } = feed({ delimiter: buf("\n") }, [buf("I love robots\nEach "), buf("and Every One\n"), buf("\n"), buf("even you!")]);
    // serialport's stream does not emit the empty message between "\n\n"; we do (DESIGN.md: empty messages are emitted).
    expect(messages).toEqual([buf("I love robots"), buf("Each and Every One"), buf("")]);
  });

  it("includes delimiter when includeDelimiter is true", () => {
    const { messages } = feed({ delimiter: buf("\n"), includeDelimiter: true }, [
      buf("I love robots\nEach "),
      buf("and Every One\n"),
      buf("\n"),
      buf("even you!"),
    ]);
    expect(messages).toEqual([buf("I love robots\n"), buf("Each and Every One\n"), buf("\n")]);
  });

  it("flushes remaining data when the stream ends — reported as incomplete here, not emitted", () => {
    const { messages, invalid } = feed({ delimiter: new Uint8Array([0]) }, [new Uint8Array([1])], true);
    expect(messages).toEqual([]);
    expect(invalid).toEqual([{ reason: "incomplete", bytes: new Uint8Array([1]) }]);
  });

  it("throws when called with a 0 length delimiter (Buffer, string, array)", () => {
    expect(() => new DelimitedMessageBuffer({ delimiter: Buffer.alloc(0) })).toThrow(RangeError);
    expect(() => new DelimitedMessageBuffer({ delimiter: "" })).toThrow(RangeError);
    expect(() => new DelimitedMessageBuffer({ delimiter: [] })).toThrow(RangeError);
    expect(() => delimited({ delimiter: [] })).toThrow("delimiter");
  });

  it("allows setting of the delimiter with a string, a buffer and an array of bytes", () => {
    expect(new DelimitedMessageBuffer({ delimiter: "string" }).delimiter).toEqual(buf("string"));
    expect(new DelimitedMessageBuffer({ delimiter: Buffer.from([1]) }).delimiter).toEqual(new Uint8Array([1]));
    expect(new DelimitedMessageBuffer({ delimiter: [1] }).delimiter).toEqual(new Uint8Array([1]));
  });

  it("emits data events every time it meets 00x 00x", () => {
    const { messages } = feed({ delimiter: [0, 0] }, [buf("This could be\0\0binary data\0\0sent from a Moteino\0\0")]);
    expect(messages).toEqual([buf("This could be"), buf("binary data"), buf("sent from a Moteino")]);
  });

  it("accepts single byte delimiter", () => {
    expect(feed({ delimiter: [0] }, [buf("This could be\0binary data\0sent from a Moteino\0")]).messages).toHaveLength(3);
  });

  it("works when buffer starts with delimiter (the leading empty message is emitted here)", () => {
    expect(feed({ delimiter: Buffer.from([0]) }, [buf("\0Hello\0World\0")]).messages).toEqual([buf(""), buf("Hello"), buf("World")]);
  });

  it("should only emit if delimiters are strictly in row", () => {
    expect(feed({ delimiter: [0, 1] }, [buf("\0Hello\u0001World\0\0\u0001")]).messages).toEqual([buf("\0Hello\u0001World\0")]);
  });

  it("continues looking for delimiters in the next buffers", () => {
    const { messages } = feed({ delimiter: [0, 0] }, [buf("This could be\0\0binary "), buf("data\0\0sent from a Moteino\0\0")]);
    expect(messages).toEqual([buf("This could be"), buf("binary data"), buf("sent from a Moteino")]);
  });

  it("works if a multibyte delimiter crosses a chunk boundary", () => {
    const { messages } = feed({ delimiter: Buffer.from([0, 1]) }, [
      new Uint8Array([1, 2, 3, 0]),
      new Uint8Array([1, 2, 3, 0]),
      new Uint8Array([1]),
    ]);
    expect(messages).toEqual([new Uint8Array([1, 2, 3]), new Uint8Array([2, 3])]);
  });

  it("includes a multi-byte delimiter that crosses a chunk boundary", () => {
    const { messages } = feed({ delimiter: [0, 1], includeDelimiter: true }, [new Uint8Array([1, 2, 3, 0]), new Uint8Array([1, 2, 3, 0]), new Uint8Array([1])]);
    expect(messages).toEqual([new Uint8Array([1, 2, 3, 0, 1]), new Uint8Array([2, 3, 0, 1])]);
  });
});

describe("ReadlineParser cases, ported (mode: text)", () => {
  it("transforms data to strings split on a delimiter; the partial end is reported, not emitted", () => {
    const { messages, invalid } = feed({ mode: "text" }, [buf("I love robots\nEach "), buf("and Every One\n"), buf("even you!")], true);
    expect(messages).toEqual(["I love robots", "Each and Every One"]);
    expect(invalid).toEqual([{ reason: "incomplete", bytes: buf("even you!") }]);
  });

  it.each<[string, string | Uint8Array | number[]]>([
    ["a string", "a"],
    ["a buffer", Buffer.from("a")],
    ["an array of bytes", [97]],
  ])("allows setting of the delimiter with %s", (_, delimiter) => {
    expect(feed({ mode: "text", delimiter }, [buf("how are youa")]).messages).toEqual(["how ", "re you"]);
  });

  it("allows setting of encoding", () => {
    expect(feed({ mode: "text", encoding: "hex" }, [buf("a\nb\n")]).messages).toEqual(["61", "62"]);
  });

  it("encoding should be reflected in a string delimiter", () => {
    expect(feed({ mode: "text", delimiter: "FF", encoding: "hex" }, [new Uint8Array([0, 255, 1, 255])]).messages).toEqual(["00", "01"]);
  });

  it("throws when called with a 0 length delimiter", () => {
    expect(() => delimited({ mode: "text", delimiter: Buffer.alloc(0) })).toThrow(RangeError);
    expect(() => delimited({ mode: "text", delimiter: "" })).toThrow(RangeError);
    expect(() => delimited({ mode: "text", delimiter: [] })).toThrow(RangeError);
  });

  it("emits empty messages, where serialport's stream does not (a deliberate difference)", () => {
    expect(feed({ mode: "text", delimiter: "a" }, [buf("aFa")]).messages).toEqual(["", "F"]);
  });
});

describe("delimited: serialport options", () => {
  it("decodes each message alone in base64", () => {
    expect(feed({ mode: "text", encoding: "base64" }, [new Uint8Array([0, 10, 1, 2, 10])]).messages).toEqual(["AA==", "AQI="]);
  });

  it("decodes latin1 and keeps the delimiter in text mode", () => {
    const latin1 = new Uint8Array([0xe9, 0x74, 0xe9, 0x0d, 0x0a, 0xff, 0x0d, 0x0a]);
    expect(feed({ mode: "text", encoding: "latin1", delimiter: "\r\n", includeDelimiter: true }, [latin1]).messages).toEqual(["été\r\n", "ÿ\r\n"]);
    // Not UTF-8, yet nothing is invalid in latin1.
    expect(feed({ mode: "text", encoding: "latin1" }, [new Uint8Array([0xff, 0x0a])]).invalid).toEqual([]);
  });

  it("encodes string chunks with the encoding", () => {
    expect(feed({ encoding: "hex", delimiter: "ff" }, ["0102ff03ff"]).messages).toEqual([new Uint8Array([1, 2]), new Uint8Array([3])]);
  });

  it("reports invalid UTF-8 without the delimiter when it is kept", () => {
    const { messages, invalid } = feed({ mode: "text", includeDelimiter: true }, [new Uint8Array([0xff, 0x0a, 0x61]), new Uint8Array([0xfe]), new Uint8Array([0x0a])]);
    expect(messages).toEqual([]);
    expect(invalid).toEqual([
      { reason: "invalid-utf8", bytes: new Uint8Array([0xff]) },
      { reason: "invalid-utf8", bytes: new Uint8Array([0x61, 0xfe]) },
    ]);
  });

  it("does not count a kept delimiter toward maxMessageBytes", () => {
    const { messages, invalid } = feed({ mode: "text", includeDelimiter: true, delimiter: "\r\n", maxMessageBytes: 2 }, ["ab\r\nabc\r\n"]);
    expect(messages).toEqual(["ab\r\n"]);
    expect(invalid).toEqual([{ reason: "oversize", bytes: buf("ab") }]);
  });

  it("copies messages with their delimiter when asked", () => {
    const chunk = new Uint8Array([1, 10, 2]);
    const [message] = feed({ includeDelimiter: true, copy: true }, [chunk]).messages;
    chunk[0] = 9;
    expect(message).toEqual(new Uint8Array([1, 10]));
  });

  it("agrees with DelimiterParser on includeDelimiter for any chunking (non-empty messages)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 120 }).map((b) => b.map((x) => [0, 1, 13, 10, 97, x][x % 6]!)),
        fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 10 }),
        fc.constantFrom<number[]>([0], [0, 1], [13, 10], [1, 1]),
        async (input, sizes, delimiter) => {
          const chunks: Uint8Array[] = [];
          for (let at = 0, i = 0; at < input.length; at += sizes[i++ % sizes.length]!) chunks.push(input.slice(at, at + sizes[i % sizes.length]!));
          const ours = (await lastValueFrom(from(chunks).pipe(delimited({ delimiter, includeDelimiter: true, maxMessageBytes: 1000 }), toArray()))).map((m) => [...m]);
          const parser = new DelimiterParser({ delimiter, includeDelimiter: true });
          const theirs: number[][] = [];
          parser.on("data", (message: Buffer) => theirs.push([...message]));
          for (const chunk of chunks) parser.write(Buffer.from(chunk));
          // serialport skips empty messages (with includeDelimiter none is empty) and flushes the partial end.
          expect(ours).toEqual(theirs);
        },
      ),
      { numRuns: 200 },
    );
  });

  // Not base64: serialport's stream decoder carries base64 groups across messages; we encode each message alone.
  it("agrees with ReadlineParser on encodings (latin1, hex) for whole messages", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => b.filter((x) => x !== 10)), { maxLength: 8 }), fc.constantFrom<DelimitedEncoding>("latin1", "hex"), (messages, encoding) => {
        const nonEmpty = messages.filter((m) => m.length > 0);
        const input = Buffer.concat(nonEmpty.flatMap((m) => [Buffer.from(m), Buffer.from([10])]));
        const parser = new ReadlineParser({ encoding });
        const theirs: string[] = [];
        parser.on("data", (line: string) => theirs.push(line));
        parser.write(input);
        expect(feed({ mode: "text", encoding }, [input]).messages).toEqual(theirs);
      }),
    );
  });

  it.each([
    [{ includeDelimiter: "yes" }, TypeError, "includeDelimiter"],
    [{ encoding: "utf16" }, RangeError, "encoding"],
    [{ encoding: 8 }, TypeError, "encoding"],
    [{ delimiter: [256] }, RangeError, "delimiter[0]"],
    [{ delimiter: [1, "2"] }, TypeError, "delimiter[1]"],
    [{ delimiter: [1.5] }, RangeError, "delimiter[0]"],
  ])("rejects %o naming the option", (options, errorClass, name) => {
    expect(() => delimited(options as never)).toThrow(errorClass);
    expect(() => delimited(options as never)).toThrow(name);
  });

  it("rejects an option it does not know with a TypeError naming it (no silent ignore)", () => {
    expect(() => delimited({ maxBufferSize: 10 } as never)).toThrow(TypeError);
    expect(() => delimited({ maxBufferSize: 10 } as never)).toThrow('"maxBufferSize"');
    expect(() => new DelimitedMessageBuffer({ name: "x" } as never)).toThrow('"name"');
    expect(() => delimited({ name: "lines", group: "uart", includeDelimiter: true, encoding: "latin1" })).not.toThrow();
  });

  it("types the new options", () => {
    expectTypeOf<NonNullable<Parameters<typeof delimited>[0]>>().toExtend<{ includeDelimiter?: boolean; encoding?: DelimitedEncoding }>();
    expectTypeOf(delimited({ delimiter: [13, 10], mode: "text", encoding: "latin1" })).toEqualTypeOf<ReturnType<typeof delimited<"text">>>();
  });
});
