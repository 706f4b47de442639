/**
 * The README's example: a UART temperature/humidity sensor, framed,
 * decoded, de-noised, matched to a 5 Hz consumer and spooled to LevelDB.
 * `ambientReadings` is the pure part, marble-tested in
 * test/examples/sensor-pipeline.test.ts.
 *
 * Run it against a device: `node --import tsx examples/sensor-pipeline.ts /dev/ttyUSB0`
 */
import type { Observable } from "rxjs";
import { LocalDurableSpool, decodeJsonEvents, delimited, fromSerialPort, rateMatch, sensorEventCodec, thresholdFilter, type SensorEvent } from "manyfold-rx";

/** Bytes in, one de-noised reading per `demand` pulse out. */
export function ambientReadings(bytes$: Observable<Uint8Array | string>, demand: Observable<unknown> | number): Observable<SensorEvent> {
  return bytes$.pipe(
    delimited({ maxMessageBytes: 1024 }), // newline-framed, bounded
    decodeJsonEvents({ defaultEventType: "ambient.reading", group: "ambient" }), // garbage dropped, not thrown
    thresholdFilter<SensorEvent>({ threshold: 0.1, key: (event) => event.data }), // 0.1 deadband
    rateMatch<SensorEvent>({ mode: "latest", demand, group: "ambient" }), // newest reading per pulse
  );
}

export async function main(path: string): Promise<void> {
  const spool = await LocalDurableSpool.open<SensorEvent>({ location: "./data", name: "ambient", codec: sensorEventCodec() });
  ambientReadings(fromSerialPort({ path, baudRate: 9600 }), 200)
    .pipe(spool.record()) // on disk before it goes on
    .subscribe((event) => console.log(event.sequenceNumber, event.data));
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) await main(process.argv[2] ?? "/dev/ttyUSB0");
