import fc from "fast-check";
import { ReadyParser } from "@serialport/parser-ready";
import { startWith } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { ReadyGate, awaitReady, type FramingChunk, type LegoOperator } from "../../../src/index.js";
import { bytesOf, cut, standardOperatorCases, utf8 } from "./operator-cases.js";

const text = (chunks: Uint8Array[]): string => Buffer.concat(chunks).toString();

describe("ReadyGate: ReadyParser's cases, ported", () => {
  it("emits data received after the ready data", () => {
    const gate = new ReadyGate({ sequence: Buffer.from("\n") });
    const out = ["which will you get?", "garbage\ngold", "just for you"].flatMap((s) => gate.append(utf8(s)));
    expect(text(out)).toBe("goldjust for you");
    expect(out).toHaveLength(2);
  });

  it("calls onReady before the data passes", () => {
    const order: string[] = [];
    const gate = new ReadyGate({ sequence: "!", onReady: () => order.push("ready") });
    for (const bytes of gate.append("!hi")) order.push(Buffer.from(bytes).toString());
    expect(order).toEqual(["ready", "hi"]);
  });

  it("has a ready property", () => {
    const gate = new ReadyGate({ sequence: Buffer.from("\n") });
    gate.append("not the new line");
    expect(gate.ready).toBe(false);
    gate.append("this is the \n");
    expect(gate.ready).toBe(true);
  });

  it("throws when called with a 0 length sequence (Buffer, string, array)", () => {
    expect(() => new ReadyGate({ sequence: Buffer.alloc(0) })).toThrow(RangeError);
    expect(() => new ReadyGate({ sequence: "" })).toThrow(RangeError);
    expect(() => awaitReady([])).toThrow(RangeError);
    expect(() => awaitReady({} as never)).toThrow(TypeError);
  });

  it("allows setting of the sequence with a string, a buffer or an array of bytes", () => {
    expect(new ReadyGate({ sequence: "string" }).sequence).toEqual(utf8("string"));
    expect(new ReadyGate({ sequence: Buffer.from([1]) }).sequence).toEqual(bytesOf(1));
    expect(new ReadyGate({ sequence: [1] }).sequence).toEqual(bytesOf(1));
  });

  it("allows receiving the sequence over small writes", () => {
    const gate = new ReadyGate({ sequence: Buffer.from("READY") });
    const out = ["bad data then REA", "D", "Y", "!!!!!!"].flatMap((s) => gate.append(s));
    expect(text(out)).toBe("!!!!!!");
  });
});

describe("ReadyGate", () => {
  it("finds a sequence that overlaps itself, which ReadyParser misses", () => {
    const gate = new ReadyGate({ sequence: "aab" });
    expect(text(gate.append("xaaab!"))).toBe("!");
    const parser = new ReadyParser({ delimiter: "aab" });
    const theirs: Buffer[] = [];
    parser.on("data", (chunk: Buffer) => theirs.push(chunk));
    parser.write(Buffer.from("xaaab!"));
    expect(theirs).toEqual([]);
  });

  it("passes the rest of the completing chunk as a plain Uint8Array, later chunks as they are, and counts what it skipped", () => {
    const gate = new ReadyGate({ sequence: "OK" });
    gate.append("boot…O");
    const [rest] = gate.append(Buffer.from("Kxy"));
    expect(rest).toEqual(utf8("xy"));
    expect(Buffer.isBuffer(rest)).toBe(false);
    const chunk = bytesOf(1, 2);
    expect(gate.append(chunk)[0]).toBe(chunk);
    expect(gate.append("é")).toEqual([utf8("é")]);
    expect(gate.append(new Uint8Array(0))).toEqual([]);
    expect(gate.skippedBytes).toBe(Buffer.byteLength("boot…OK"));
    expect(gate.bufferSize).toBe(0);
  });

  it("waits again after reset()", () => {
    const gate = new ReadyGate({ sequence: "!" });
    gate.append("!a");
    gate.reset();
    expect(gate.append("b")).toEqual([]);
    expect(text(gate.append("!c"))).toBe("c");
  });

  it("lets the same bytes through for any chunking, holding at most sequence.length − 1 while waiting", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }).map((b) => b.map((x) => [0x52, 0x44, 0x59, x][x % 4]!)),
        fc.array(fc.nat(), { maxLength: 15 }),
        fc.constantFrom("RDY", "RR", "R"),
        (input, offsets, sequence) => {
          const passed = (chunks: Uint8Array[]): number[] => {
            const gate = new ReadyGate({ sequence });
            const out: number[] = [];
            for (const chunk of chunks) {
              for (const bytes of gate.append(chunk)) out.push(...bytes);
              expect(gate.bufferSize).toBeLessThan(sequence.length);
            }
            return out;
          };
          const at = Buffer.from(input).indexOf(sequence);
          expect(passed(cut(input, offsets))).toEqual(at === -1 ? [] : [...input.subarray(at + sequence.length)]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects unknown options", () => {
    expect(() => awaitReady({ sequence: "!", delimiter: "!" } as never)).toThrow('"delimiter"');
    expect(() => awaitReady({ sequence: "!", onReady: 1 } as never)).toThrow(TypeError);
  });
});

describe("awaitReady", () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  // Ready from the start (the sequence comes first), so each chunk passes as it is.
  standardOperatorCases({ make: () => (source) => source.pipe(startWith("!"), awaitReady("!")), one: { chunk: "x", frame: utf8("x") } });

  it("passes nothing before the sequence, then the rest of its chunk and every chunk after", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold("--a----b---c--|", { a: "boot RE", b: "ADY\nx", c: bytesOf(1) });
      expectObservable(source.pipe(awaitReady({ sequence: "READY\n" }))).toBe("-------x---c--|", { x: utf8("x"), c: bytesOf(1) });
    });
  });

  it("carries a lego descriptor with live counters", () => {
    let ready = 0;
    const operator = awaitReady({ sequence: "OK", name: "modem", group: "gsm", onReady: () => ready++ });
    expect(operator.lego).toEqual({ kind: "ReadyGate", name: "modem", group: "gsm" });
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold("-a-b|", { a: "..OKx", b: "y" }).pipe(operator)).toBe("-x-y|", { x: utf8("x"), y: utf8("y") });
    });
    expect(operator.lego.counters).toEqual({ messages: 2, skippedBytes: 4, ready: 1 });
    expect(ready).toBe(1);
  });

  it("is typed as bytes or text in, Uint8Array out", () => {
    expectTypeOf(awaitReady("OK")).toEqualTypeOf<LegoOperator<FramingChunk, Uint8Array>>();
  });
});
