/**
 * fromSerialPort against the real thing: serialport's real bindings on a
 * pseudo-terminal pair made by socat (the testing kit's simulatedSerialDevice
 * runs socat and plays the device's part). CI installs socat (.ci/run).
 */
import { filter, firstValueFrom } from "rxjs";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  BackoffPolicy,
  RetryPolicy,
  decodeJsonEvents,
  delimited,
  fromSerialPort,
  isLegoError,
  type SensorEvent,
  type SerialBinding,
  type SerialPortEvent,
} from "manyfold-rx";
import { simulatedSerialDevice, type SimulatedSerialDevice } from "manyfold-rx/testing";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function socatDevice(...args: Parameters<typeof simulatedSerialDevice>): SimulatedSerialDevice {
  const device = simulatedSerialDevice(args[0], { ...args[1], transport: "socat" });
  cleanup.push(() => device.stop());
  return device;
}

const reading = (i: number): string => JSON.stringify({ event_type: "reading", data: { i } });
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k);

describe("fromSerialPort over a socat pty pair", () => {
  it("reads JSON lines through delimited → decodeJsonEvents, reconnects after an unplug and loses nothing sent after it reconnected", async () => {
    const device = socatDevice([
      { lines: range(0, 20).map(reading), every: 5 },
      { garbage: 8 },
      { splitUtf8: JSON.stringify({ event_type: "note", data: { text: "déjà vu" } }) },
      { unplug: 300 }, // socat killed mid-stream; the link disappears, then socat starts again on it
      { lines: range(20, 80).map(reading), every: 5 },
    ]);
    await device.start();

    const port = fromSerialPort({ ...device.portOptions, retry: RetryPolicy.forever(), backoff: BackoffPolicy.fixed(25) });
    const events: SerialPortEvent[] = [];
    const watching = port.events$.subscribe((event) => events.push(event));
    cleanup.push(() => watching.unsubscribe());
    const invalid: string[] = [];
    const decoded: SensorEvent[] = [];
    const opened = firstValueFrom(port.events$.pipe(filter((event) => event.type === "open")));
    const subscription = port
      .pipe(delimited(), decodeJsonEvents({ onInvalid: ({ reason }) => invalid.push(reason) }))
      .subscribe((event) => decoded.push(event));
    cleanup.push(() => subscription.unsubscribe());
    await opened;

    await device.play();
    const last = reading(79);
    await vi.waitFor(
      () => {
        expect(decoded.at(-1)?.data).toEqual((JSON.parse(last) as { data: unknown }).data);
      },
      { timeout: 5000, interval: 10 },
    );

    // What the measurement is made of.
    const [unplug] = device.unplugs;
    const reopened = events.find((event) => event.type === "open" && event.reconnect);
    expect(unplug?.until).toBeDefined();
    expect(reopened).toBeDefined();
    const reopenedAt = reopened!.at;
    const readings = decoded.filter((event) => event.eventType === "reading").map((event) => (event.data as { i: number }).i);

    // Before the unplug: everything, in order, with the garbage reported and the split character intact.
    expect(readings.slice(0, 20)).toEqual(range(0, 20));
    expect(invalid).toEqual(["invalid-utf8"]);
    expect(decoded.find((event) => event.eventType === "note")?.data).toEqual({ text: "déjà vu" });

    // After: every line that reached the port once it was open again arrived, in order.
    const sentAfterReopen = device.sent
      .filter((record) => record.at >= reopenedAt)
      .flatMap((record) => record.lines)
      .map((line) => (JSON.parse(line) as { data: { i: number } }).data.i);
    expect(sentAfterReopen.length).toBeGreaterThan(40);
    expect(readings.slice(-sentAfterReopen.length)).toEqual(sentAfterReopen);
    expect(readings).toEqual([...readings].sort((a, b) => a - b)); // no duplicates, no reordering

    const timeToReconnect = reopenedAt - unplug!.until!;
    const outage = reopenedAt - unplug!.at;
    const lost = range(0, 80).filter((i) => !readings.includes(i));
    // Only lines written while no host had the port open (between re-plug and reopen) may be lost.
    const sentBeforeReopen = device.sent
      .filter((record) => record.at >= unplug!.until! && record.at < reopenedAt)
      .flatMap((record) => record.lines)
      .map((line) => (JSON.parse(line) as { data: { i: number } }).data.i);
    expect(lost.every((i) => sentBeforeReopen.includes(i))).toBe(true);
    expect(timeToReconnect).toBeLessThan(25 + 250); // one backoff step plus scheduling slack
    expect(port.lego.counters).toMatchObject({ opens: 2, reconnects: 1, disconnects: 1 });
    console.info(
      `socat reconnect: path back → port open again ${timeToReconnect} ms, outage ${outage} ms (unplug 300 ms), ` +
        `lines lost ${lost.length} (all written before the reopen), lines after reopen ${sentAfterReopen.length}/` +
        `${sentAfterReopen.length} arrived`,
    );
  });

  it("writes commands through the real port and reads the replies (duplex)", async () => {
    const device = socatDevice([], { respond: (command) => (command === "STATUS?" ? JSON.stringify({ event_type: "status", data: { ok: true } }) : undefined) });
    await device.start();
    const port = fromSerialPort({ ...device.portOptions, backoff: BackoffPolicy.fixed(25) });
    const decoded: SensorEvent[] = [];
    const opened = firstValueFrom(port.events$.pipe(filter((event) => event.type === "open")));
    const subscription = port.pipe(delimited(), decodeJsonEvents()).subscribe((event) => decoded.push(event));
    cleanup.push(() => subscription.unsubscribe());
    await opened;
    await port.write("STATUS?\n");
    await vi.waitFor(
      () => {
        expect(decoded.map((event) => event.eventType)).toEqual(["status"]);
      },
      { timeout: 5000, interval: 10 },
    );
    expect(device.received.map((command) => command.text)).toEqual(["STATUS?"]);
    expect(port.lego.counters.bytesOut).toBe(8);
  });

  it("closes the real port on unsubscribe, so the device end sees nobody listening", async () => {
    const device = socatDevice([]);
    await device.start();
    const port = fromSerialPort({ ...device.portOptions });
    const events: SerialPortEvent[] = [];
    port.events$.subscribe((event) => events.push(event));
    const opened = firstValueFrom(port.events$.pipe(filter((event) => event.type === "open")));
    const subscription = port.subscribe();
    await opened;
    expect(port.isOpen).toBe(true);
    subscription.unsubscribe();
    expect(port.isOpen).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: "closed", reason: "unsubscribed" });
    // The real binding locks the port (flock); a fresh source can open it again once it was closed.
    const again = fromSerialPort({ ...device.portOptions, retry: RetryPolicy.attempts(20), backoff: BackoffPolicy.fixed(10) });
    const reopened = firstValueFrom(again.events$.pipe(filter((event) => event.type === "open")));
    const second = again.subscribe();
    cleanup.push(() => second.unsubscribe());
    await reopened;
    expect(again.isOpen).toBe(true);
  });

  it("notices a hang-up that the real binding misses (a read started after it), through the presence check", async () => {
    const device = socatDevice([{ line: "wake the pending read" }]);
    await device.start();
    // The real binding, with reads held back on demand: the read loop's next read then starts after the hang-up,
    // which serialport's Linux binding answers by looping on end-of-file forever (serialport/bindings-cpp#162).
    const { SerialPort } = await import("serialport");
    const real = SerialPort.binding as unknown as SerialBinding;
    let gate: Promise<void> = Promise.resolve();
    let openGate = (): void => undefined;
    const binding: SerialBinding = {
      async open(options) {
        const port = await real.open(options);
        return {
          get isOpen() {
            return port.isOpen;
          },
          read: async (buffer, offset, length) => {
            await gate;
            return port.read(buffer, offset, length);
          },
          write: (buffer) => port.write(buffer),
          drain: () => port.drain(),
          close: () => port.close(),
        };
      },
    };
    const port = fromSerialPort({ path: device.path, baudRate: 9600, binding, presenceCheck: 100 });
    const events: SerialPortEvent[] = [];
    port.events$.subscribe((event) => events.push(event));
    const opened = firstValueFrom(port.events$.pipe(filter((event) => event.type === "open")));
    const chunks: Uint8Array[] = [];
    const subscription = port.subscribe((chunk) => chunks.push(chunk));
    cleanup.push(() => subscription.unsubscribe());
    await opened;
    gate = new Promise((resolve) => {
      openGate = resolve;
    });
    await device.play(); // the pending read returns this line; the next read waits at the gate
    await vi.waitFor(() => expect(chunks).toHaveLength(1), { timeout: 5000, interval: 5 });
    await device.stop(); // socat dies, the link disappears
    openGate(); // the held read now starts on a hung-up tty
    await vi.waitFor(() => expect(events.map((event) => event.type)).toContain("closed"), { timeout: 3000, interval: 10 });
    expect(events.find((event) => event.type === "closed")).toMatchObject({
      reason: "disconnected",
      error: expect.objectContaining({ code: "ENOENT" }) as unknown,
    });
  });

  it("reports a missing device with the real bindings as SERIAL_OPEN_FAILED (no such device) once retries are spent", async () => {
    const port = fromSerialPort({
      path: "/dev/manyfold-no-such-tty",
      baudRate: 9600,
      retry: RetryPolicy.attempts(3),
      backoff: BackoffPolicy.fixed(10),
    });
    const error = await firstValueFrom(port).catch((caught: unknown) => caught);
    expect(isLegoError(error, "SERIAL_OPEN_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(
      /^cannot open serial port \/dev\/manyfold-no-such-tty: no such device \(3 attempts; .*No such file or directory/,
    );
    expect(port.lego.counters.openFailures).toBe(3);
  });
});
