/**
 * The framers that match serialport's other parsers, each against that
 * parser on the same input in the same run: lengthPrefixed vs
 * PacketLengthParser, idleGap vs InterByteTimeoutParser, fixedLength vs
 * ByteLengthParser, splitOn vs RegexParser, awaitReady vs ReadyParser.
 * Each operator runs in a pipeline (`from(chunks).pipe(op)`), each parser as
 * the Transform stream it is; both count what they emit and the counts must
 * agree. Ratio > 1 means ours is faster (goal >= 1.5x).
 *
 *   node --expose-gc --import tsx bench/framing-parity.bench.ts [section…]
 *
 * Sections: lengthPrefixed idleGap fixedLength splitOn awaitReady. With no
 * argument each section runs in its own child process, one after another,
 * and the goals are summed up at the end: our framers share RxJS's
 * subscriber code, so a section run after the others would pay for the
 * type feedback they left behind (serialport's parsers share little), and
 * an application normally runs one framer per port.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ByteLengthParser } from "@serialport/parser-byte-length";
import { InterByteTimeoutParser } from "@serialport/parser-inter-byte-timeout";
import { PacketLengthParser } from "@serialport/parser-packet-length";
import { ReadyParser } from "@serialport/parser-ready";
import { RegexParser } from "@serialport/parser-regex";
import { from, type OperatorFunction } from "rxjs";
import { awaitReady, crc32, fixedLength, idleGap, lengthPrefixed, splitOn, type FramingChunk } from "../src/index.js";
import { compare, section, type BenchCase } from "./harness.js";

const MB = 1 / 1_000_000;
const bytes = { unit: "MB/s", scale: MB };
let sink: unknown;

/** Cuts `all` into chunks of `size` bytes (each its own Buffer, as a port delivers them). */
function chunked(all: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < all.length; offset += size) chunks.push(Buffer.from(all.subarray(offset, Math.min(all.length, offset + size))));
  return chunks;
}

function total(chunks: readonly Buffer[]): number {
  return chunks.reduce((sum, chunk) => sum + chunk.length, 0);
}

function viaOperator<T>(name: string, chunks: readonly Buffer[], make: () => OperatorFunction<FramingChunk, T>, expected: number): BenchCase {
  const size = total(chunks);
  return {
    name,
    run: () =>
      new Promise<number>((resolve, reject) => {
        let count = 0;
        from(chunks)
          .pipe(make())
          .subscribe({
            next: (message) => {
              sink = message;
              count++;
            },
            error: reject,
            complete: () => {
              if (count === expected) resolve(size);
              else reject(new Error(`${name}: ${count} messages, expected ${expected}`));
            },
          });
      }),
  };
}

function viaStream(name: string, chunks: readonly Buffer[], make: () => NodeJS.ReadWriteStream, expected: number): BenchCase {
  const size = total(chunks);
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
          if (count === expected) resolve(size);
          else reject(new Error(`${name}: ${count} messages, expected ${expected}`));
        });
        for (const chunk of chunks) parser.write(chunk);
        parser.end();
      }),
  };
}

const goals: [string, number][] = [];
const SECTIONS = ["lengthPrefixed", "idleGap", "fixedLength", "splitOn", "awaitReady"];
const only = process.argv.slice(2);
const wanted = (name: string): boolean => only.includes(name);

if (only.length === 0) {
  // One child process per section; each prints its goals as "GOAL <name>\t<ratio>".
  const self = fileURLToPath(import.meta.url);
  const all: [string, number][] = [];
  for (const name of SECTIONS) {
    const child = spawnSync(process.execPath, [...process.execArgv, self, name], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    for (const line of child.stdout.split("\n")) {
      const goal = /^GOAL (.+)\t([\d.]+)$/.exec(line);
      if (goal !== null) all.push([goal[1] ?? "", Number(goal[2])]);
      else if (line !== "") console.log(line);
    }
    if (child.status !== 0) process.exitCode = 1;
  }
  section("goals (ratio of medians, > 1 = ours faster; goal >= 1.5x)");
  for (const [name, ratio] of all) console.log(`${name.padEnd(40)} ${ratio.toFixed(2)}x${ratio >= 1.5 ? "" : "  (below goal)"}`);
  process.exit();
}

// ---------------------------------------------------------------- lengthPrefixed
if (wanted("lengthPrefixed")) {
  const FRAMES = 50_000;
  const PAYLOAD = 30;
  const parts: Buffer[] = [];
  const withCrc: Buffer[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const payload = Buffer.alloc(PAYLOAD);
    for (let j = 0; j < PAYLOAD; j++) payload[j] = (i * 31 + j * 7) & 0xff;
    parts.push(Buffer.concat([Buffer.from([0xaa, PAYLOAD]), payload]));
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE(crc32(Buffer.concat([Buffer.from([PAYLOAD]), payload])));
    withCrc.push(Buffer.concat([Buffer.from([0xaa, PAYLOAD]), payload, crc]));
  }
  const chunks = chunked(Buffer.concat(parts), 64 * 1024);
  const crcChunks = chunked(Buffer.concat(withCrc), 64 * 1024);
  section(`lengthPrefixed vs PacketLengthParser (${FRAMES} frames of ${PAYLOAD + 2} bytes, ${(total(chunks) * MB).toFixed(1)} MB in 64 KiB chunks)`);
  goals.push([
    "lengthPrefixed vs PacketLengthParser",
    await compare(
      viaOperator("lengthPrefixed()", chunks, () => lengthPrefixed(), FRAMES),
      viaStream("@serialport/parser-packet-length", chunks, () => new PacketLengthParser(), FRAMES),
      bytes,
    ),
  ]);
  await compare(
    viaOperator("lengthPrefixed() + crc32 check", crcChunks, () => lengthPrefixed({ overhead: 6, checksum: { kind: "crc32" } }), FRAMES),
    viaStream("@serialport/parser-packet-length", chunks, () => new PacketLengthParser(), FRAMES),
    bytes,
  );
}

// ---------------------------------------------------------------- idleGap
if (wanted("idleGap")) {
  const MAX = 1024;
  const all = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < all.length; i++) all[i] = (i * 13) & 0xff;
  const chunks = chunked(all, 4 * 1024);
  const expected = Math.ceil(all.length / MAX);
  section(`idleGap vs InterByteTimeoutParser (${(all.length * MB).toFixed(1)} MB in 4 KiB chunks, no gaps: messages cut at ${MAX} bytes)`);
  goals.push([
    "idleGap vs InterByteTimeoutParser",
    await compare(
      viaOperator("idleGap()", chunks, () => idleGap({ interval: 50, maxBytes: MAX }), expected),
      viaStream("@serialport/parser-inter-byte-timeout", chunks, () => new InterByteTimeoutParser({ interval: 50, maxBufferSize: MAX }), expected),
      bytes,
    ),
  ]);
}

// ---------------------------------------------------------------- fixedLength
if (wanted("fixedLength")) {
  const LENGTH = 40;
  const all = Buffer.alloc(8 * 1024 * 1024 - ((8 * 1024 * 1024) % LENGTH));
  for (let i = 0; i < all.length; i++) all[i] = (i * 7) & 0xff;
  const chunks = chunked(all, 64 * 1024);
  const expected = all.length / LENGTH;
  section(`fixedLength vs ByteLengthParser (${(all.length * MB).toFixed(1)} MB in 64 KiB chunks, ${LENGTH}-byte frames)`);
  goals.push([
    "fixedLength vs ByteLengthParser",
    await compare(
      viaOperator("fixedLength()", chunks, () => fixedLength(LENGTH), expected),
      viaStream("@serialport/parser-byte-length", chunks, () => new ByteLengthParser({ length: LENGTH }), expected),
      bytes,
    ),
  ]);
  await compare(
    viaOperator("fixedLength({ copy: true })", chunks, () => fixedLength({ length: LENGTH, copy: true }), expected),
    viaStream("@serialport/parser-byte-length", chunks, () => new ByteLengthParser({ length: LENGTH }), expected),
    bytes,
  );
}

// ---------------------------------------------------------------- splitOn
if (wanted("splitOn")) {
  const LINE = 40;
  const lines: string[] = [];
  for (let i = 0, size = 0; size < 16 * 1024 * 1024; i++) {
    const line = `$GPGGA,${i % 100_000},${(i % 997) / 10},N`.padEnd(LINE - 2, " ") + "\r\n";
    lines.push(line);
    size += line.length;
  }
  const chunks = chunked(Buffer.from(lines.join(""), "utf8"), 64 * 1024);
  section(`splitOn vs RegexParser (${(total(chunks) * MB).toFixed(1)} MB of ${LINE}-byte lines in 64 KiB chunks)`);
  for (const pattern of [/\r\n/, /[\r\n]+/]) {
    goals.push([
      `splitOn(${String(pattern)}) vs RegexParser`,
      await compare(
        viaOperator(`splitOn(${String(pattern)})`, chunks, () => splitOn(pattern), lines.length),
        viaStream("@serialport/parser-regex", chunks, () => new RegexParser({ regex: pattern }), lines.length),
        bytes,
      ),
    ]);
  }
}

// ---------------------------------------------------------------- awaitReady
if (wanted("awaitReady")) {
  const banner = Buffer.from("boot rom v1.2\r\nchecking flash… ok\r\nREADY\r\n");
  const body = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = 0x20 + (i % 90);
  const chunks = chunked(Buffer.concat([banner, body]), 1024);
  // The chunk with the sequence passes its rest; every later chunk passes whole.
  const expected = chunks.length - Math.floor((banner.length - 1) / 1024);
  section(`awaitReady vs ReadyParser (banner, then ${(body.length * MB).toFixed(1)} MB in 1 KiB chunks)`);
  goals.push([
    "awaitReady vs ReadyParser",
    await compare(
      viaOperator("awaitReady()", chunks, () => awaitReady("READY\r\n"), expected),
      viaStream("@serialport/parser-ready", chunks, () => new ReadyParser({ delimiter: "READY\r\n" }), expected),
      bytes,
    ),
  ]);
}

for (const [name, ratio] of goals) console.log(`GOAL ${name}\t${ratio}`);
if (sink === undefined) throw new Error("no message reached the consumer");
