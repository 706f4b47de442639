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

/** Wraps `payload` with its append time. */
export function encodeRecordEnvelope(appendedAt: number, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, ENVELOPE_VERSION);
  view.setFloat64(1, appendedAt);
  bytes.set(payload, HEADER_BYTES);
  return bytes;
}

/** Reads an envelope; a TypeError names what is wrong with bytes that are not one. */
export function decodeRecordEnvelope(bytes: Uint8Array): RecordEnvelope {
  if (bytes.length < HEADER_BYTES) throw new TypeError(`record envelope is ${bytes.length} bytes, shorter than its 9-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== ENVELOPE_VERSION) throw new TypeError(`record envelope version ${version} is not supported (expected 1)`);
  return { appendedAt: view.getFloat64(1), payload: bytes.subarray(HEADER_BYTES) };
}
