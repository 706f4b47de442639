import { filter, firstValueFrom, type Subscription } from "rxjs";
import { afterEach, expect, it, vi } from "vitest";
import { BackoffPolicy, RetryPolicy, delimited, fromSerialPort, type SerialPortEvent } from "manyfold-rx";
import { simulatedSerialDevice, type SimulatedSerialDevice } from "manyfold-rx/testing";

let device: SimulatedSerialDevice | undefined;
let reading: Subscription | undefined;
afterEach(async () => {
  reading?.unsubscribe();
  await device?.stop();
});

it("reads every line the device sent while the port was open, across an unplug", async () => {
  device = simulatedSerialDevice([
    { lines: ["21.5", "21.6"], every: 20 },
    { unplug: 300 }, // the path disappears, then returns
    { silence: 400 }, // time to notice and reopen
    { lines: ["21.7", "21.8"], every: 20 },
  ]);
  await device.start();
  const port = fromSerialPort({
    ...device.portOptions,
    retry: RetryPolicy.forever(),
    backoff: BackoffPolicy.fixed(50),
    presenceCheck: 50, // notice a vanished path within 50 ms
  });
  const events: SerialPortEvent[] = [];
  const received: string[] = [];
  port.events$.subscribe((event) => events.push(event));
  const opened = firstValueFrom(port.events$.pipe(filter((event) => event.type === "open")));
  reading = port.pipe(delimited({ mode: "text" })).subscribe((line) => received.push(line));
  await opened; // lines written before anyone listens are lost, as on a real wire
  await device.play();

  const reopened = events.find((event) => event.type === "open" && event.reconnect);
  expect(reopened).toBeDefined();
  const unpluggedAt = device.unplugs[0]!.at;
  const sentWhileOpen = device.sent.filter((record) => record.at < unpluggedAt || record.at >= reopened!.at);
  // The last bytes may still be crossing the pty when play() resolves.
  await vi.waitFor(() => expect(received).toEqual(sentWhileOpen.flatMap((record) => record.lines)), { timeout: 2_000 });
  expect(received).toEqual(device.sentLines); // here the device waited long enough: nothing was lost
  expect(port.lego.counters.reconnects).toBe(1);
}, 15_000);
