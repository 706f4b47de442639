/**
 * The bytes an {@link EventLog} stores per record: a version byte, the
 * append time as a big-endian float64 (ms), then the codec's bytes. The
 * offset is the record's key, so it is not repeated here.
 *
 * ```text
 * | 0x01 | appendedAt (8 bytes, float64 BE) | payload … |
 * ```
 */

const ENVELOPE_VERSION = 1;
const HEADER_BYTES = 9;

/** A record's envelope fields, its payload a view into the stored bytes. */
export interface RecordEnvelope {
  readonly appendedAt: number;
  readonly payload: Uint8Array;
}

/** The 9 header bytes for `appendedAt`; a batch shares one header. */
export function recordEnvelopeHeader(appendedAt: number): Uint8Array {
  const header = new Uint8Array(HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setUint8(0, ENVELOPE_VERSION);
  view.setFloat64(1, appendedAt);
  return header;
}

/** Wraps `payload` with its append time (or with a header made by {@link recordEnvelopeHeader}). */
export function encodeRecordEnvelope(appendedAt: number | Uint8Array, payload: Uint8Array): Uint8Array {
  const header = typeof appendedAt === "number" ? recordEnvelopeHeader(appendedAt) : appendedAt;
  const bytes = new Uint8Array(HEADER_BYTES + payload.length);
  // Nine stores beat a native set() call for so few bytes.
  for (let i = 0; i < HEADER_BYTES; i++) bytes[i] = header[i] ?? 0;
  bytes.set(payload, HEADER_BYTES);
  return bytes;
}

/**
 * Envelopes for a batch of payloads sharing one append time, laid out in a
 * single buffer: one allocation per batch instead of one per record (the
 * database copies each record on write).
 */
export function encodeRecordEnvelopes(appendedAt: number, payloads: readonly Uint8Array[]): Uint8Array[] {
  const header = recordEnvelopeHeader(appendedAt);
  let total = 0;
  for (const payload of payloads) {
    if (!(payload instanceof Uint8Array)) throw new TypeError("payloads must be Uint8Arrays");
    total += HEADER_BYTES + payload.length;
  }
  const buffer = new Uint8Array(total);
  const records: Uint8Array[] = new Array<Uint8Array>(payloads.length);
  let at = 0;
  for (let i = 0; i < payloads.length; i++) {
    const payload = payloads[i] as Uint8Array;
    buffer.set(header, at);
    buffer.set(payload, at + HEADER_BYTES);
    const end = at + HEADER_BYTES + payload.length;
    records[i] = buffer.subarray(at, end);
    at = end;
  }
  return records;
}

/** Scratch space for reading the float64 without a DataView per record. */
const scratch = new DataView(new ArrayBuffer(8));

/**
 * The append time of an envelope (read without allocating); a TypeError
 * names what is wrong with bytes that are not an envelope.
 */
export function recordEnvelopeTime(bytes: Uint8Array): number {
  if (bytes.length < HEADER_BYTES) throw new TypeError(`record envelope is ${bytes.length} bytes, shorter than its 9-byte header`);
  const version = bytes[0] ?? 0;
  if (version !== ENVELOPE_VERSION) throw new TypeError(`record envelope version ${version} is not supported (expected 1)`);
  for (let i = 0; i < 8; i++) scratch.setUint8(i, bytes[i + 1] ?? 0);
  return scratch.getFloat64(0);
}

/** The payload of an envelope whose header {@link recordEnvelopeTime} accepted (a view, not a copy). */
export function recordEnvelopePayload(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(HEADER_BYTES);
}

/** Reads an envelope; a TypeError names what is wrong with bytes that are not one. */
export function decodeRecordEnvelope(bytes: Uint8Array): RecordEnvelope {
  return { appendedAt: recordEnvelopeTime(bytes), payload: recordEnvelopePayload(bytes) };
}
