import { isUtf8 } from "node:buffer";
import type { LegoOperator } from "../../atom/lego-descriptor.js";
import {
  optional,
  optionalGroup,
  requireKnownOptions,
  requireNonEmptyString,
  requireObject,
  requireOneOf,
  requirePositiveInteger,
} from "../../atom/validate.js";
import { callbackOption, framerMeter, framingOperator, toBuffer, type FramingChunk, type InvalidFrame } from "./framer.js";

/** Why a {@link PatternFramer} dropped a message. */
export type PatternInvalidReason = "oversize" | "invalid-utf8" | "incomplete";

/** How a {@link PatternFramer} reads bytes as text: UTF-8 (checked), one character per byte, or two hex digits per byte. */
export type PatternEncoding = "utf8" | "latin1" | "ascii" | "hex";

/** Options of {@link PatternFramer}. */
export interface PatternFramerOptions {
  /**
   * What separates messages (serialport's `regex`): a RegExp (its flags are
   * kept, `g` added, `y` dropped) or its source as a string. A match of no
   * characters is ignored.
   */
  pattern: RegExp | string;
  /** How bytes become text. `ascii` keeps only the low 7 bits of each byte, as Node does. @default "utf8" */
  encoding?: PatternEncoding;
  /** Longest message kept, in bytes (of its encoding), not counting the separator. @default 65536 */
  maxMessageBytes?: number;
  /** Called with every dropped message (`oversize`, `invalid-utf8`, `incomplete`). @default undefined */
  onInvalid?: (invalid: InvalidFrame<PatternInvalidReason>) => void;
  /** Label linking the framer to the component that owns it. @default undefined */
  group?: string;
}

/** Options of the {@link splitOn} operator. */
export interface SplitOnOptions extends Omit<PatternFramerOptions, "pattern"> {
  /** Label shown in the pipeline view. @default undefined */
  name?: string;
}

const FRAMER_OPTIONS = ["pattern", "encoding", "maxMessageBytes", "onInvalid", "group"] as const;
const DEFAULT_MAX_MESSAGE_BYTES = 65_536;
/** A byte that is not UTF-8 is decoded as the lone surrogate U+DC00 + byte (never produced by valid UTF-8). */
const ESCAPED = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/** How many bytes at the end of `buf` begin a UTF-8 character that the next chunk completes (0–3). */
function incompleteTail(buf: Buffer): number {
  const n = buf.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const byte = buf[n - back] as number;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = byte >= 0xf0 && byte <= 0xf4 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc2 && byte < 0xe0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** Length of the valid UTF-8 character at `buf[i]`, or 0 when it is not one. */
function utf8CharLength(buf: Buffer, i: number): number {
  const b0 = buf[i] as number;
  if (b0 < 0x80) return 1;
  const need = b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
  if (need === 0 || i + need > buf.length) return 0;
  return isUtf8(buf.subarray(i, i + need)) ? need : 0;
}

/** Decodes UTF-8 with every invalid byte kept as an escape (U+DC00 + byte). */
function decodeEscaped(buf: Buffer): string {
  let out = "";
  let run = 0;
  for (let i = 0; i < buf.length; ) {
    const length = utf8CharLength(buf, i);
    if (length > 0) {
      i += length;
      continue;
    }
    out += buf.toString("utf8", run, i) + String.fromCharCode(0xdc00 + (buf[i] as number));
    i++;
    run = i;
  }
  return out + buf.toString("utf8", run);
}

/** The bytes a decoded message came from (escapes back to their byte). */
function encodeEscaped(text: string, encoding: PatternEncoding): Uint8Array {
  if (encoding !== "utf8" || !ESCAPED.test(text)) return new Uint8Array(Buffer.from(text, encoding));
  const parts: Buffer[] = [];
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xdc80 && code <= 0xdcff && !(i > 0 && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff)) {
      parts.push(Buffer.from(text.slice(run, i), "utf8"), Buffer.from([code - 0xdc00]));
      run = i + 1;
    }
  }
  parts.push(Buffer.from(text.slice(run), "utf8"));
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * Splits a byte stream into text messages separated by a regular expression
 * (the project's `PatternFramer` lego; serialport's `RegexParser`), as a
 * pure state machine. A separator split across chunks still splits, and a
 * message is emitted as soon as a separator ends it: when the next chunk
 * continues that separator (`/\n+/`, `/[\r\n]+/` or `/\r\n|\r/` seeing
 * `"\r"` then `"\n"`), the continuation is skipped, so no empty message
 * appears that the whole text would not give.
 * A UTF-8 character split across chunks decodes correctly; a message with
 * bytes that are not UTF-8 is reported (`invalid-utf8`) with its bytes, not
 * emitted with replacement characters.
 *
 * It holds at most `maxMessageBytes` of text: a longer message is reported
 * (`oversize`, its first `maxMessageBytes` bytes) as soon as it is certain
 * and dropped up to the next separator. A pattern whose earlier match
 * only a later chunk can complete (`/abcd|c/` seeing `"abc"`) splits on
 * what the text received so far allows.
 *
 * ## Example
 * ```ts
 * const fields = new PatternFramer({ pattern: /[,;]\s*|\r?\n/ });
 * fields.append("t=21, h=4");   // ["t=21"]
 * fields.append("0\r");         // []
 * fields.append("\n");          // ["h=40"]
 * ```
 * @see {@link splitOn} the operator.
 * @lego PatternFramer
 */
export class PatternFramer {
  /** The pattern as given (a string becomes a RegExp). */
  readonly pattern: RegExp;
  readonly encoding: PatternEncoding;
  readonly maxMessageBytes: number;
  group: string | undefined;
  /** Messages emitted so far. */
  frames = 0;
  /** Messages dropped, by reason. */
  readonly dropped: Record<PatternInvalidReason, number> = { oversize: 0, "invalid-utf8": 0, incomplete: 0 };
  private readonly regex: RegExp;
  /** The same pattern, anchored: tells whether new text continues the last separator. */
  private readonly sticky: RegExp;
  /** The pattern as a plain string when it is one (`/\r\n/`, `/;/`), searched with indexOf. */
  private readonly literal: string | undefined;
  /** The separator that ended the text so far, when it ended exactly at its end (it may go on). */
  private trailing = "";
  private readonly onInvalid: ((invalid: InvalidFrame<PatternInvalidReason>) => void) | undefined;
  /** Text after the last separator. */
  private rest = "";
  /** Whether `rest` may hold escaped (invalid) bytes. */
  private restEscaped = false;
  /** Bytes of a UTF-8 character the next chunk completes. */
  private carry: Buffer = Buffer.alloc(0);
  /** True while dropping the rest of an oversize message. */
  private discarding = false;

  constructor(options: PatternFramerOptions) {
    requireKnownOptions("PatternFramer", requireObject("options", options), FRAMER_OPTIONS);
    this.pattern = patternOption(options.pattern);
    this.regex = new RegExp(this.pattern.source, this.pattern.flags.replace(/[gy]/g, "") + "g");
    this.sticky = new RegExp(this.pattern.source, this.pattern.flags.replace(/[gy]/g, "") + "y");
    this.literal = this.pattern.flags.includes("i") ? undefined : literalOf(this.pattern.source);
    this.encoding = requireOneOf("encoding", options.encoding ?? "utf8", ["utf8", "latin1", "ascii", "hex"] as const);
    this.maxMessageBytes = requirePositiveInteger("maxMessageBytes", options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    this.onInvalid = callbackOption("onInvalid", options.onInvalid);
    this.group = optionalGroup(options.group);
  }

  /** UTF-16 units (and carried bytes) held for the message in progress and a separator that may still grow; 0 while discarding. */
  get bufferSize(): number {
    return this.discarding ? 0 : this.rest.length + this.carry.length;
  }

  /** Adds a chunk and returns the messages it completed. */
  append(chunk: FramingChunk): string[] {
    const messages: string[] = [];
    this.feed(chunk, (message) => messages.push(message));
    return messages;
  }

  /** Adds a chunk and hands each completed message to `emit` as soon as it is found. */
  feed(chunk: FramingChunk, emit: (message: string) => void): void {
    let buf = toBuffer(chunk);
    let text: string;
    let escaped = false;
    if (this.encoding !== "utf8") text = buf.toString(this.encoding);
    else {
      if (this.carry.length > 0) buf = Buffer.concat([this.carry, buf]);
      const tail = incompleteTail(buf);
      const body = tail === 0 ? buf : buf.subarray(0, buf.length - tail);
      this.carry = tail === 0 ? EMPTY : Buffer.from(buf.subarray(buf.length - tail));
      if (isUtf8(body)) text = body.toString("utf8");
      else {
        text = decodeEscaped(body);
        escaped = true;
      }
    }
    this.split(this.rest + text, this.restEscaped || escaped, false, emit);
  }

  /** Ends the stream: a separator at the very end counts now; a trailing partial message is reported (`incomplete`, or `oversize`). */
  end(emit: (message: string) => void = () => undefined): void {
    let data = this.rest;
    let escaped = this.restEscaped;
    if (this.carry.length > 0) {
      data += decodeEscaped(this.carry);
      escaped = true;
      this.carry = EMPTY;
    }
    this.split(data, escaped, true, emit);
    if (!this.discarding && this.rest.length > 0) {
      const bytes = encodeEscaped(this.rest, this.encoding);
      if (bytes.length > this.maxMessageBytes) this.report("oversize", bytes.subarray(0, this.maxMessageBytes));
      else this.report("incomplete", bytes);
    }
    this.clear();
  }

  /** Drops the message in progress without reporting it. */
  clear(): void {
    this.rest = "";
    this.restEscaped = false;
    this.carry = EMPTY;
    this.discarding = false;
    this.trailing = "";
  }

  private split(data: string, escaped: boolean, final: boolean, emit: (message: string) => void): void {
    const regex = this.regex;
    let pos = 0;
    if (this.trailing !== "") {
      // The last chunk ended with a separator: if this text continues it (a longer match), skip the continuation.
      const sticky = this.sticky;
      sticky.lastIndex = 0;
      const probe = sticky.exec(this.trailing + data.slice(0, this.maxMessageBytes));
      if (probe !== null && probe[0].length > this.trailing.length) pos = probe[0].length - this.trailing.length;
      this.trailing = pos === data.length && pos > 0 ? (probe?.[0] ?? "").slice(-this.maxMessageBytes) : "";
      if (this.trailing !== "") {
        this.rest = "";
        this.restEscaped = false;
        return;
      }
    }
    const literal = this.literal;
    if (literal !== undefined) {
      // A literal separator cannot grow, so no trailing bookkeeping: indexOf is several times faster than exec.
      const length = literal.length;
      for (let at = data.indexOf(literal, pos); at !== -1; at = data.indexOf(literal, pos)) {
        const message = data.slice(pos, at);
        pos = at + length;
        if (this.discarding) this.discarding = false;
        else this.deliver(message, escaped, emit);
      }
    } else {
      regex.lastIndex = pos;
      for (let match = regex.exec(data); match !== null; match = regex.exec(data)) {
        const length = match[0].length;
        if (length === 0) {
          regex.lastIndex++;
          continue;
        }
        const message = data.slice(pos, match.index);
        pos = match.index + length;
        // A separator at the very end may go on in the next chunk.
        if (pos === data.length && !final) this.trailing = match[0].slice(-this.maxMessageBytes);
        if (this.discarding) {
          this.discarding = false;
          continue;
        }
        this.deliver(message, escaped, emit);
      }
    }
    let rest = pos === 0 ? data : data.slice(pos);
    if (!this.discarding && this.byteLength(rest, escaped) > this.maxMessageBytes) {
      this.report("oversize", encodeEscaped(rest, this.encoding).subarray(0, this.maxMessageBytes));
      this.discarding = true;
    }
    // While discarding, keep only where the next separator may begin.
    if (this.discarding && rest.length > this.maxMessageBytes) rest = rest.slice(rest.length - this.maxMessageBytes);
    this.rest = rest;
    this.restEscaped = escaped && ESCAPED.test(rest);
  }

  private deliver(message: string, escaped: boolean, emit: (message: string) => void): void {
    if (this.byteLength(message, escaped) > this.maxMessageBytes) {
      this.report("oversize", encodeEscaped(message, this.encoding).subarray(0, this.maxMessageBytes));
    } else if (escaped && ESCAPED.test(message)) {
      this.report("invalid-utf8", encodeEscaped(message, this.encoding));
    } else {
      this.frames++;
      emit(message);
    }
  }

  /** Bytes of `text` in its encoding (cheap bounds first: a UTF-16 unit is 1 to 3 UTF-8 bytes; an escaped byte is 1). */
  private byteLength(text: string, escaped: boolean): number {
    if (this.encoding === "hex") return Math.ceil(text.length / 2);
    if (this.encoding !== "utf8" || text.length > this.maxMessageBytes || text.length * 3 <= this.maxMessageBytes) return text.length;
    return escaped && ESCAPED.test(text) ? encodeEscaped(text, "utf8").length : Buffer.byteLength(text, "utf8");
  }

  private report(reason: PatternInvalidReason, bytes: Uint8Array): void {
    this.dropped[reason]++;
    this.onInvalid?.(Object.freeze({ reason, bytes }));
  }
}

const EMPTY = Buffer.alloc(0);

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { n: "\n", r: "\r", t: "\t", f: "\f", v: "\v" };

/** The string a pattern source matches when it is a plain literal (characters and simple escapes only), else undefined. */
function literalOf(source: string): string | undefined {
  let out = "";
  for (let i = 0; i < source.length; i++) {
    const c = source.charAt(i);
    if (".*+?()[]{}|^$".includes(c)) return undefined;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = source.charAt(++i);
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) out += simple;
    else if (next === "x" && /^[0-9a-fA-F]{2}$/.test(source.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(source.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (next !== "" && !/[0-9A-Za-z]/.test(next)) out += next;
    else return undefined;
  }
  return out === "" ? undefined : out;
}

function patternOption(value: unknown): RegExp {
  if (value instanceof RegExp) return value;
  if (typeof value !== "string") throw new TypeError("pattern must be a RegExp or a string");
  if (value === "") throw new RangeError("pattern must not be empty");
  try {
    return new RegExp(value);
  } catch (error) {
    throw new RangeError(`pattern is not a valid regular expression: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Splits a byte stream into text messages wherever `pattern` matches — the
 * `PatternFramer` lego as an operator (serialport's `RegexParser`). A
 * separator split across chunks still splits, and one the next chunk
 * continues is not split twice; empty messages are emitted; a trailing partial
 * message at completion, an oversize message and (in UTF-8) a message that
 * is not UTF-8 are reported through `onInvalid`, not emitted. A source error
 * is passed on.
 *
 * ```text
 * source:  --a-------b----|    a = "x,y;", b = "z\n"
 *          splitOn(/[,;\n]/)
 * result:  --(xy)----z----|
 * ```
 *
 * ## Example
 * ```ts
 * port.pipe(splitOn(/\r?\n|\$/, { maxMessageBytes: 128 })).subscribe((field) => handle(field));
 * ```
 * Counters on `lego`: `messages`, `invalid`, `oversize`, `invalidUtf8`, `incomplete`.
 * @see {@link PatternFramer} the state machine (one per subscription).
 * @see {@link delimited} which is faster for a fixed delimiter.
 * @lego PatternFramer
 */
export function splitOn(pattern: RegExp | string, options: SplitOnOptions = {}): LegoOperator<FramingChunk, string> {
  requireKnownOptions("splitOn", requireObject("options", options), [...FRAMER_OPTIONS.filter((o) => o !== "pattern"), "name"]);
  const { name: nameOption, onInvalid, ...framerOptions } = options;
  const name = optional("name", nameOption, requireNonEmptyString);
  const prototype = new PatternFramer({ ...framerOptions, pattern });
  const reasons = ["oversize", "invalid-utf8", "incomplete"] as const;
  const { meter, counted } = framerMeter("PatternFramer", { name, group: prototype.group }, reasons, callbackOption("onInvalid", onInvalid));
  return framingOperator(meter, () => new PatternFramer({ ...framerOptions, pattern, onInvalid: counted }));
}
