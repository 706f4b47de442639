/**
 * Framing and decoding: `delimited` against @serialport's parsers and a raw
 * `Buffer.indexOf` scan (the practical limit), and `decodeJsonEvents`
 * against a bare `JSON.parse` loop. Input: ~64 MiB of 40-byte JSON lines in
 * 64 KiB chunks.
 *
 *   node --expose-gc --import tsx bench/framing.bench.ts
 */
import { DelimiterParser } from "@serialport/parser-delimiter";
import { ReadlineParser } from "@serialport/parser-readline";
import { from, map } from "rxjs";
import { DelimitedMessageBuffer, JsonEventDecoder, decodeJsonEvents, delimited } from "../src/index.js";
import { compare, section, type BenchCase } from "./harness.js";

const TOTAL_BYTES = 64 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const LINE_BYTES = 40;
const MB = 1 / 1_000_000;

/** 40-byte JSON lines (39 bytes + "\n"), cut into fixed-size chunks that split lines anywhere. */
function makeChunks(): Buffer[] {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < TOTAL_BYTES; i++) {
    const line = `{"t":${(i * 7) % 100_000},"v":${(i % 997) / 10},"id":"s${i % 13}"}`.padEnd(LINE_BYTES - 1, " ") + "\n";
    lines.push(line);
    size += line.length;
  }
  const all = Buffer.from(lines.join(""), "utf8");
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < all.length; offset += CHUNK_BYTES) {
    chunks.push(Buffer.from(all.subarray(offset, Math.min(all.length, offset + CHUNK_BYTES))));
  }
  return chunks;
}

const chunks = makeChunks();
const totalBytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
const expectedMessages = Math.floor(totalBytes / LINE_BYTES);
let sink: unknown;

function check(name: string, count: number): number {
  if (count !== expectedMessages) throw new Error(`${name}: ${count} messages, expected ${expectedMessages}`);
  return totalBytes;
}

function viaOperator(name: string, mode: "bytes" | "text"): BenchCase {
  return {
    name,
    run: () => {
      let count = 0;
      from(chunks)
        .pipe(delimited({ mode }))
        .subscribe((message) => {
          sink = message;
          count++;
        });
      return check(name, count);
    },
  };
}

function viaStream(name: string, make: () => NodeJS.ReadWriteStream): BenchCase {
  return {
    name,
    run: () =>
      new Promise<number>((resolve, reject) => {
        let count = 0;
        const parser = make();
        parser.on("data", (message: unknown) => {
          sink = message;
          count++;
        });
        parser.on("error", reject);
        parser.on("end", () => {
          try {
            resolve(check(name, count));
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        for (const chunk of chunks) parser.write(chunk);
        parser.end();
      }),
  };
}

/** A hand-written framer: indexOf per message, each message a view (zero-copy) or a copy. */
function rawScan(name: string, copy: boolean): BenchCase {
  return {
    name,
    run: () => {
      let count = 0;
      let pending: Buffer = Buffer.alloc(0);
      for (const chunk of chunks) {
        let pos = 0;
        for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, pos)) {
          if (pos === 0 && pending.length > 0) sink = Buffer.concat([pending, chunk.subarray(0, end)]);
          else sink = copy ? Uint8Array.prototype.slice.call(chunk, pos, end) : chunk.subarray(pos, end);
          count++;
          pos = end + 1;
        }
        pending = Buffer.from(chunk.subarray(pos));
      }
      return check(name, count);
    },
  };
}

function viaClass(name: string): BenchCase {
  return {
    name,
    run: () => {
      let count = 0;
      const buffer = new DelimitedMessageBuffer();
      for (const chunk of chunks) {
        buffer.feed(chunk, (message) => {
          sink = message;
          count++;
        });
      }
      return check(name, count);
    },
  };
}

const bytes = { unit: "MB/s", scale: MB };

section(`delimited, bytes mode (${(totalBytes * MB).toFixed(0)} MB of ${LINE_BYTES}-byte lines, 64 KiB chunks)`);
const vsDelimiter = await compare(
  viaOperator("delimited() bytes", "bytes"),
  viaStream("@serialport/parser-delimiter", () => new DelimiterParser({ delimiter: "\n" })),
  bytes,
);
await compare(viaOperator("delimited() bytes", "bytes"), rawScan("indexOf framer, copies", true), bytes);
await compare(viaOperator("delimited() bytes", "bytes"), rawScan("indexOf framer, zero-copy", false), bytes);
await compare(viaClass("DelimitedMessageBuffer.feed bytes"), rawScan("indexOf framer, zero-copy", false), bytes);

section("delimited, text mode");
const vsReadline = await compare(
  viaOperator("delimited() text", "text"),
  viaStream("@serialport/parser-readline", () => new ReadlineParser({ delimiter: "\n" })),
  bytes,
);

section("decodeJsonEvents (same messages: 40-byte JSON objects)");
const byteMessages = new DelimitedMessageBuffer().append(Buffer.concat(chunks));
const textMessages = byteMessages.map((message) => Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString("utf8"));
const messageBytes = byteMessages.length * LINE_BYTES;
const perMessage = { unit: "messages/s" };

function decodeVia(name: string, messages: readonly (Uint8Array | string)[]): BenchCase {
  return {
    name,
    run: () => {
      let count = 0;
      from(messages)
        .pipe(decodeJsonEvents())
        .subscribe((event) => {
          sink = event;
          count++;
        });
      if (count !== messages.length) throw new Error(`${name}: ${count} events`);
      return count;
    },
  };
}

function bareParse(name: string, messages: readonly (Uint8Array | string)[]): BenchCase {
  return {
    name,
    run: () => {
      for (const message of messages) {
        sink = JSON.parse(
          typeof message === "string" ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString("utf8"),
        ) as unknown;
      }
      return messages.length;
    },
  };
}

function parseText(message: Uint8Array | string): unknown {
  return JSON.parse(typeof message === "string" ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString("utf8"));
}

function parseInPipeline(name: string, messages: readonly (Uint8Array | string)[]): BenchCase {
  return {
    name,
    run: () => {
      from(messages)
        .pipe(map(parseText))
        .subscribe((value) => {
          sink = value;
        });
      return messages.length;
    },
  };
}

function decoderClass(name: string, messages: readonly (Uint8Array | string)[]): BenchCase {
  return {
    name,
    run: () => {
      const decoder = new JsonEventDecoder();
      const emit = (event: unknown): void => {
        sink = event;
      };
      for (const message of messages) decoder.decodeTo(message, emit);
      return messages.length;
    },
  };
}

const vsParseBytes = await compare(decodeVia("decodeJsonEvents() bytes", byteMessages), bareParse("JSON.parse loop (bytes)", byteMessages), perMessage);
await compare(decoderClass("JsonEventDecoder.decodeTo bytes", byteMessages), bareParse("JSON.parse loop (bytes)", byteMessages), perMessage);
await compare(decodeVia("decodeJsonEvents() bytes", byteMessages), parseInPipeline("from(…).pipe(map(JSON.parse))", byteMessages), perMessage);
const vsParseText = await compare(decodeVia("decodeJsonEvents() text", textMessages), bareParse("JSON.parse loop (strings)", textMessages), perMessage);
console.log(`(${byteMessages.length} messages, ${(messageBytes * MB).toFixed(0)} MB)`);

section("memory: 64 MiB without a delimiter, then garbage with rare delimiters");
{
  const maxMessageBytes = 65_536;
  const buffer = new DelimitedMessageBuffer({ maxMessageBytes, onInvalid: () => undefined });
  const noDelimiter = Buffer.alloc(CHUNK_BYTES, 0x41);
  const garbage = Buffer.alloc(CHUNK_BYTES);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2_654_435_761) >>> 24;
  let largest = 0;
  const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);
  gc();
  const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  for (let i = 0; i < TOTAL_BYTES / CHUNK_BYTES; i++) {
    buffer.feed(i % 2 === 0 ? noDelimiter : garbage, (message) => {
      sink = message;
    });
    largest = Math.max(largest, buffer.bufferSize);
  }
  gc();
  const heapAfter = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  console.log(
    `largest bufferSize ${largest} bytes (maxMessageBytes ${maxMessageBytes}), oversize drops ${buffer.oversize}, heap + buffers grew ${((heapAfter - heapBefore) * MB).toFixed(1)} MB`,
  );
  if (largest > maxMessageBytes) throw new Error("delimited held more than maxMessageBytes");
}

section("goals");
console.log(`bytes vs parser-delimiter ${vsDelimiter.toFixed(2)}x (goal >= 1.5x)`);
console.log(`text vs parser-readline   ${vsReadline.toFixed(2)}x (goal >= 1.5x)`);
console.log(`decodeJsonEvents vs JSON.parse: bytes ${vsParseBytes.toFixed(2)}x, text ${vsParseText.toFixed(2)}x (goal >= 0.67x, i.e. within 1.5x)`);
if (sink === undefined) throw new Error("no message reached the consumer");
