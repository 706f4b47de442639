import type { MessageHeaders } from "../../ports/transport.js";

/**
 * MQTT 3.1.1 has no headers or user properties, so an application message
 * id (and any headers) ride in the payload: a small binary envelope
 * `MF1 | u32 header length | header JSON | payload`. MQTT 5 carries them as
 * user properties instead and sends the payload untouched.
 */
const MAGIC = [0x4d, 0x46, 0x31]; // "MF1"
const HEAD = MAGIC.length + 4;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface Enveloped {
  readonly headers: MessageHeaders;
  readonly payload: Uint8Array;
}

export function wrapEnvelope(headers: MessageHeaders, payload: Uint8Array): Uint8Array {
  const head = encoder.encode(JSON.stringify(headers));
  const out = new Uint8Array(HEAD + head.length + payload.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, head.length);
  out.set(head, HEAD);
  out.set(payload, HEAD + head.length);
  return out;
}

/** The envelope's headers and payload, or `undefined` when `bytes` is not an envelope. */
export function unwrapEnvelope(bytes: Uint8Array): Enveloped | undefined {
  if (bytes.length < HEAD || bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1] || bytes[2] !== MAGIC[2]) return undefined;
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length);
  if (HEAD + length > bytes.length) return undefined;
  try {
    const parsed: unknown = JSON.parse(decoder.decode(bytes.subarray(HEAD, HEAD + length)));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
    const entries = Object.entries(parsed);
    if (!entries.every(([, value]) => typeof value === "string")) return undefined;
    // fromEntries, not assignment: a "__proto__" header stays a header.
    return { headers: Object.fromEntries(entries), payload: bytes.subarray(HEAD + length) };
  } catch {
    return undefined;
  }
}
