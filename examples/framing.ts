/**
 * Framing and decoding: NMEA-style sentences from a GPS-like UART arrive in
 * arbitrary chunks (one split inside a multi-byte character), with line
 * noise and one sentence that never ends. `delimited` reassembles lines
 * (CRLF, bounded by `maxMessageBytes`), `xorChecksum` verifies each
 * sentence's `*hh` checksum, and bad input is counted, never thrown.
 *
 * Run it: `node --import tsx examples/framing.ts`
 */
import { from, lastValueFrom, toArray } from "rxjs";
import { delimited, xorChecksum } from "manyfold-rx";

const encoder = new TextEncoder();

/** `$BODY*hh` with the XOR of BODY's bytes, as NMEA 0183 does. */
export function sentence(body: string): string {
  const sum = xorChecksum(encoder.encode(body));
  return `$${body}*${sum.toString(16).toUpperCase().padStart(2, "0")}`;
}

/** True when the sentence's checksum matches its body. */
export function checksumOk(line: string): boolean {
  const match = /^\$(.*)\*([0-9A-F]{2})$/.exec(line);
  return match !== null && xorChecksum(encoder.encode(match[1] ?? "")) === parseInt(match[2] ?? "", 16);
}

export interface FramingReport {
  good: string[];
  badChecksum: string[];
  invalid: { reason: string; bytes: number }[];
}

export async function main(log: (line: string) => void = console.log): Promise<FramingReport> {
  const wire =
    `${sentence("GPTXT,01,01,02,Zürich fix")}\r\n` +
    `${sentence("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M")}\r\n` +
    `$GPGGA,corrupted*00\r\n` +
    `${"#".repeat(300)}\r\n` +
    `${sentence("GPRMC,123519,A,4807.038,N,01131.000,E")}\r\n` +
    `$GPTXT,never ends`;
  const bytes = encoder.encode(wire);
  // Cut the byte stream into 7-byte chunks: lines and the "ü" straddle chunk boundaries.
  const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));

  const report: FramingReport = { good: [], badChecksum: [], invalid: [] };
  const lines = await lastValueFrom(
    from(chunks).pipe(
      delimited({
        delimiter: "\r\n",
        mode: "text",
        maxMessageBytes: 128,
        onInvalid: ({ reason, bytes: dropped }) => report.invalid.push({ reason, bytes: dropped.length }),
      }),
      toArray(),
    ),
  );
  for (const line of lines) (checksumOk(line) ? report.good : report.badChecksum).push(line);
  for (const line of report.good) log(`ok   ${line}`);
  for (const line of report.badChecksum) log(`bad  ${line}`);
  for (const { reason, bytes: n } of report.invalid) log(`drop ${reason} (${n} bytes)`);
  return report;
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) await main();
