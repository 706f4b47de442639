/**
 * A serial UART sensor: a thermometer that prints one JSON line per reading
 * on a serial port, read with `fromSerialPort`, cut into lines with
 * `delimited` and turned into numbered `SensorSample`s with
 * `reactiveSensorSource`. The host sends `START` when the port opens.
 *
 * The device is `simulatedSerialDevice` from `manyfold-rx/testing`: a real
 * pseudo-terminal pair made with `socat` when it is installed (the host
 * opens it through serialport's real bindings), else serialport's mock
 * binding. It also sends a line of invalid UTF-8, a line that is not JSON,
 * and a line cut in the middle of "°": the first two are dropped and
 * reported, the third is reassembled — bad data never ends the stream.
 *
 * Run it: `node --import tsx examples/serial-uart-sensor.ts`
 */
import { pathToFileURL } from "node:url";
import { filter, firstValueFrom, take, tap, toArray } from "rxjs";
import { delimited, fromSerialPort, reactiveSensorSource, type SensorSample } from "manyfold-rx";
import { simulatedSerialDevice, type DeviceStep } from "manyfold-rx/testing";

export interface SerialUartExampleOptions {
  /** How the simulated device is attached. @default "auto" (socat when installed) */
  transport?: "auto" | "socat" | "mock";
  /** Pause between the device's lines, ms. @default 20 */
  every?: number;
  /** Where the example prints. @default console.log */
  log?: (line: string) => void;
}

/** What the device prints: five readings and three kinds of trouble. */
const script: readonly DeviceStep[] = [
  { line: '{"celsius":21.5}' },
  { line: '{"celsius":21.6}' },
  { garbage: 6 },
  { line: "sensor reboot" },
  { splitUtf8: '{"celsius":21.8,"unit":"°C"}' },
  { lines: ['{"celsius":21.9}', '{"celsius":22.0}'] },
];
const READINGS = 5;

/** The temperature in a JSON line, or NaN (which `reactiveSensorSource` drops and reports). */
function celsiusOf(line: string): number {
  try {
    const parsed: unknown = JSON.parse(line);
    const celsius = (parsed as { celsius?: unknown } | null)?.celsius;
    return typeof celsius === "number" ? celsius : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Reads the simulated UART thermometer until its five readings arrived; returns them. */
export async function main(options: SerialUartExampleOptions = {}): Promise<{ samples: SensorSample<number>[]; received: string[] }> {
  const log = options.log ?? console.log;
  const device = simulatedSerialDevice(script, { transport: options.transport ?? "auto", every: options.every ?? 20 });
  await device.start();
  try {
    const port = fromSerialPort({ ...device.portOptions, name: "uart0", group: "thermo" });
    const lines$ = port.pipe(
      delimited({
        mode: "text",
        onInvalid: ({ reason, bytes }) => {
          log(`dropped a line (${reason}, ${bytes.length} bytes)`);
        },
      }),
    );
    const celsius$ = reactiveSensorSource(lines$, {
      map: celsiusOf,
      wrapSample: true,
      identity: { id: "uart-thermometer", tags: [{ name: "temperature", variant: "celsius" }] },
      group: "thermo",
      onInvalid: ({ item }) => {
        log(`dropped a reading: ${JSON.stringify(item)}`);
      },
    });

    const opened = firstValueFrom(port.events$.pipe(filter((event) => event.type === "open")));
    const collected = firstValueFrom(
      celsius$.pipe(
        take(READINGS),
        tap((sample) => {
          log(`#${sample.sequenceNumber} ${sample.value.toFixed(1)} °C`);
        }),
        toArray(),
      ),
    );
    await opened;
    await port.write("START\n");
    await device.play();
    const samples = await collected;
    const received = device.received.map((command) => command.text);
    log(`device received: ${received.join(", ")}`);
    return { samples, received };
  } finally {
    await device.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
