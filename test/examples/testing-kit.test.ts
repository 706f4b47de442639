import { filter, firstValueFrom, take, toArray } from "rxjs";
import { afterEach, expect, it } from "vitest";
import { BackoffPolicy, RetryPolicy, delimited, fromSerialPort } from "manyfold-rx";
import { simulatedSerialDevice, type SimulatedSerialDevice } from "manyfold-rx/testing";

let device: SimulatedSerialDevice | undefined;
afterEach(async () => {
  await device?.stop();
});

it("reads every line the device sent, across an unplug", async () => {
  device = simulatedSerialDevice([
    { lines: ["21.5", "21.6"], every: 20 },
    { unplug: 300 }, // the path disappears, then returns
    { lines: ["21.7", "21.8"], every: 20 },
  ]);
  await device.start();
  const port = fromSerialPort({ ...device.portOptions, retry: RetryPolicy.forever(), backoff: BackoffPolicy.fixed(50) });
  // Play once the port is open, so no line goes out before anyone listens.
  const opened = firstValueFrom(port.events$.pipe(filter((event) => event.type === "open")));
  const received = firstValueFrom(port.pipe(delimited({ mode: "text" }), take(4), toArray()));
  await opened;
  await device.play();

  expect(await received).toEqual(device.sentLines);
  expect(port.lego.counters.reconnects).toBe(1);
}, 15_000);
