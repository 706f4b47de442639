import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { filter, firstValueFrom, type Subscription } from "rxjs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BackoffPolicy, RetryPolicy, fromSerialPort, type SerialPortEvent } from "manyfold-rx";
import {
  simulatedSerialDevice,
  socatAvailable,
  type DeviceStep,
  type SimulatedSerialDevice,
  type SimulatedSerialDeviceOptions,
} from "manyfold-rx/testing";

const transports: ("mock" | "socat")[] = socatAvailable() ? ["mock", "socat"] : ["mock"];

const devices: SimulatedSerialDevice[] = [];
const subscriptions: Subscription[] = [];

afterEach(async () => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
  await Promise.all(devices.splice(0).map((device) => device.stop()));
});

function device(script: readonly DeviceStep[], options: SimulatedSerialDeviceOptions = {}): SimulatedSerialDevice {
  const made = simulatedSerialDevice(script, options);
  devices.push(made);
  return made;
}

/** A host reading the device through fromSerialPort, recording chunks and events. */
async function host(dev: SimulatedSerialDevice) {
  const port = fromSerialPort({ ...dev.portOptions, retry: RetryPolicy.forever(), backoff: BackoffPolicy.fixed(20) });
  const chunks: Buffer[] = [];
  const events: SerialPortEvent[] = [];
  subscriptions.push(port.events$.subscribe((event) => events.push(event)));
  const opened = firstValueFrom(port.events$.pipe(filter((event) => event.type === "open")));
  subscriptions.push(port.subscribe((chunk) => chunks.push(Buffer.from(chunk))));
  await opened;
  return {
    port,
    chunks,
    events,
    bytes: () => Buffer.concat(chunks),
    lines: () =>
      Buffer.concat(chunks)
        .toString()
        .split("\n")
        .filter((line) => line.length > 0),
  };
}

const sentBytes = (dev: SimulatedSerialDevice): Buffer => Buffer.concat(dev.sent.map((record) => record.bytes));

async function arrived(port: { bytes: () => Buffer }, expected: Buffer): Promise<void> {
  await vi.waitFor(
    () => {
      expect(port.bytes().byteLength).toBeGreaterThanOrEqual(expected.byteLength);
    },
    { timeout: 5000, interval: 10 },
  );
}

describe.each(transports)("simulatedSerialDevice over %s", (transport) => {
  it("writes lines at a rate and reports what it sent", async () => {
    const dev = device([{ lines: ["a", "b", "c"], every: 30 }, { line: "d" }], { transport });
    expect(dev.transport).toBe(transport);
    await dev.start();
    const h = await host(dev);
    await dev.play();
    await arrived(h, sentBytes(dev));
    expect(h.lines()).toEqual(["a", "b", "c", "d"]);
    expect(dev.sentLines).toEqual(["a", "b", "c", "d"]);
    expect(dev.sent.map((record) => [record.kind, record.step, record.bytes.toString()])).toEqual([
      ["line", 0, "a\n"],
      ["line", 0, "b\n"],
      ["line", 0, "c\n"],
      ["line", 1, "d\n"],
    ]);
    const gaps = dev.sent.slice(1).map((record, i) => record.at - dev.sent[i]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(29); // `every` between lines (timer granularity ~1 ms)
    expect(gaps[1]).toBeGreaterThanOrEqual(29);
    await expect(dev.done).resolves.toBeUndefined();
  });

  it("delivers garbage, raw bytes, a split UTF-8 character and a burst byte for byte", async () => {
    const dev = device(
      [
        { garbage: 6 },
        { bytes: new Uint8Array([0x00, 0x7f]) },
        { splitUtf8: "température=21°", gap: 80 },
        { burst: ["x=1", "y=2", "z=3"] },
      ],
      { transport },
    );
    await dev.start();
    const h = await host(dev);
    await dev.play();
    const expected = sentBytes(dev);
    await arrived(h, expected);
    expect(h.bytes().equals(expected)).toBe(true);
    // Garbage can never decode as UTF-8 and ends with the line ending.
    const garbage = dev.sent[0]!.bytes;
    expect(garbage).toHaveLength(7);
    expect(() => new TextDecoder("utf-8", { fatal: true }).decode(garbage.subarray(0, 6))).toThrow(TypeError);
    // The split line went out in two writes cut inside "é" (0xC3 0xA9), and arrived in two chunks.
    const halves = dev.sent.filter((record) => record.kind === "split");
    expect(halves.map((record) => [...record.bytes.subarray(-1)])).toEqual([[0xc3], [0x0a]]);
    expect(halves.map((record) => record.lines)).toEqual([[], ["température=21°"]]);
    expect(h.chunks.some((chunk) => chunk.at(-1) === 0xc3)).toBe(true);
    expect(dev.sent.at(-1)).toMatchObject({ kind: "burst", lines: ["x=1", "y=2", "z=3"] });
    expect(dev.sentLines).toEqual(["température=21°", "x=1", "y=2", "z=3"]);
  });

  it("answers commands written to it (duplex) and records them", async () => {
    const dev = device([], {
      transport,
      respond: (command) => (command === "PING" ? "PONG" : command === "MULTI" ? ["one", new Uint8Array([0x21])] : undefined),
    });
    await dev.start();
    const h = await host(dev);
    await h.port.write("PING\nIGNORED\n");
    await h.port.write("MUL");
    await h.port.write("TI\n");
    await vi.waitFor(
      () => {
        expect(h.bytes().toString()).toBe("PONG\none\n!");
      },
      { timeout: 5000, interval: 10 },
    );
    expect(dev.received.map((command) => command.text)).toEqual(["PING", "IGNORED", "MULTI"]);
    expect(dev.received[0]!.bytes.toString()).toBe("PING");
    expect(dev.sent.map((record) => [record.kind, record.step, record.lines])).toEqual([
      ["reply", -1, ["PONG"]],
      ["reply", -1, ["one"]],
      ["reply", -1, []],
    ]);
  });

  it("unplugs (the path disappears, the host loses its port) and plugs back in", async () => {
    const dev = device([{ line: "before" }, { unplug: 250 }, { silence: 200 }, { line: "after" }], { transport });
    await dev.start();
    const h = await host(dev);
    const play = dev.play();
    await vi.waitFor(
      () => {
        expect(dev.unplugs).toHaveLength(1);
      },
      { timeout: 5000, interval: 5 },
    );
    if (transport === "socat") expect(existsSync(dev.path)).toBe(false);
    await vi.waitFor(
      () => {
        expect(h.events.some((event) => event.type === "closed" && event.reason === "disconnected")).toBe(true);
      },
      { timeout: 5000, interval: 5 },
    );
    await play;
    await arrived(h, Buffer.from("before\nafter\n"));
    expect(h.lines()).toEqual(["before", "after"]);
    const [unplug] = dev.unplugs;
    expect(unplug!.until! - unplug!.at).toBeGreaterThanOrEqual(249);
    const reasons = h.events.flatMap((event) => (event.type === "error" && event.operation === "open" ? [event.reason] : []));
    expect(reasons.length).toBeGreaterThan(0); // the host tried while the path was gone…
    expect(new Set(reasons)).toEqual(new Set(["not-found"]));
    expect(h.port.lego.counters.reconnects).toBe(1); // …and came back
  });

  it("gives the same result as the other transport for the testing-kit script, presence check on (the kit's promise)", async () => {
    const dev = device(
      [{ lines: ["21.5", "21.6"], every: 20 }, { unplug: 300 }, { silence: 400 }, { lines: ["21.7", "21.8"], every: 20 }],
      { transport },
    );
    await dev.start();
    const port = fromSerialPort({ ...dev.portOptions, retry: RetryPolicy.forever(), backoff: BackoffPolicy.fixed(50), presenceCheck: 50 });
    const events: SerialPortEvent[] = [];
    const chunks: Buffer[] = [];
    subscriptions.push(port.events$.subscribe((event) => events.push(event)));
    const opened = firstValueFrom(port.events$.pipe(filter((event) => event.type === "open")));
    subscriptions.push(port.subscribe((chunk) => chunks.push(Buffer.from(chunk))));
    await opened;
    await dev.play();
    const lines = (): string[] => Buffer.concat(chunks).toString().split("\n").filter((line) => line.length > 0);
    await vi.waitFor(
      () => {
        expect(lines()).toEqual(["21.5", "21.6", "21.7", "21.8"]);
      },
      { timeout: 3000, interval: 10 },
    );
    // Exactly one lost connection (the unplug): the presence check never mistakes the simulated path for a missing one.
    expect(events.filter((event) => event.type === "closed")).toHaveLength(1);
    expect(port.lego.counters.reconnects).toBe(1);
  });

  it("stays silent for the given time", async () => {
    const dev = device([{ line: "1" }, { silence: 150 }, { line: "2" }], { transport });
    await dev.start();
    await dev.play();
    expect(dev.sent[1]!.at - dev.sent[0]!.at).toBeGreaterThanOrEqual(149);
  });

  it("stop() interrupts the script, ends `done`, and makes the path disappear", async () => {
    const dev = device([{ line: "1" }, { silence: 60_000 }, { line: "never" }], { transport, loop: true });
    await dev.start();
    const h = await host(dev);
    const play = dev.play();
    await vi.waitFor(
      () => {
        expect(dev.sent).toHaveLength(1);
      },
      { timeout: 5000, interval: 5 },
    );
    await dev.stop();
    await expect(play).resolves.toBeUndefined();
    expect(dev.sentLines).toEqual(["1"]);
    await vi.waitFor(
      () => {
        expect(h.port.isOpen).toBe(false);
      },
      { timeout: 5000, interval: 5 },
    );
    if (transport === "socat") {
      expect(existsSync(dev.path)).toBe(false);
      expect(existsSync(dirname(dev.path))).toBe(false);
    }
    await expect(dev.start()).rejects.toThrow(/stopped/);
  });

  it("loops the script until stopped", async () => {
    const dev = device([{ line: "tick" }], { transport, loop: true, every: 20 });
    await dev.start();
    const play = dev.play();
    await vi.waitFor(
      () => {
        expect(dev.sent.length).toBeGreaterThanOrEqual(3);
      },
      { timeout: 5000, interval: 5 },
    );
    await dev.stop();
    await play;
    expect(new Set(dev.sentLines)).toEqual(new Set(["tick"]));
  });
});

describe("simulatedSerialDevice", () => {
  it("picks socat when it is installed, else the mock", () => {
    const dev = device([]);
    expect(dev.transport).toBe(socatAvailable() ? "socat" : "mock");
  });

  it("with the mock, gives a binding and refuses opens while unplugged, like a missing device", async () => {
    const dev = device([], { transport: "mock" });
    expect(dev.binding).toBeDefined();
    expect(dev.portOptions).toEqual({ path: dev.path, baudRate: 9600, binding: dev.binding });
    await expect(dev.binding!.open({ path: dev.path, baudRate: 9600 })).rejects.toMatchObject({ code: "ENOENT" });
    await dev.start();
    const port = await dev.binding!.open({ path: dev.path, baudRate: 9600 });
    expect(port.isOpen).toBe(true);
    await port.close();
  });

  it("with socat, gives no binding: the host uses serialport's real one", () => {
    const dev = device([], { transport: socatAvailable() ? "socat" : "mock" });
    if (dev.transport === "socat") {
      expect(dev.binding).toBeUndefined();
      expect(dev.portOptions).toEqual({ path: dev.path, baudRate: 9600, binding: undefined });
    } else {
      expect(dev.binding).toBeDefined();
    }
  });

  it("makes the same garbage for the same seed, and other garbage for another", async () => {
    const play = async (seed: number) => {
      const dev = device([{ garbage: 32, terminated: false }], { transport: "mock", seed });
      await dev.play();
      return Buffer.from(dev.sent[0]!.bytes);
    };
    const [a, b, c] = [await play(7), await play(7), await play(8)];
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    expect(a).toHaveLength(32);
    expect([...a].every((byte) => byte === 0xc0 || byte === 0xc1 || byte >= 0xf5)).toBe(true);
  });

  const bad: [string, unknown, ErrorConstructor, RegExp][] = [
    ["a non-array script", "line", TypeError, /script must be an array/],
    ["an unknown step", [{ shout: "x" }], TypeError, /script\[0\] must be one of line, lines/],
    ["a non-string line", [{ line: 1 }], TypeError, /script\[0\]\.line must be a string/],
    ["lines not an array", [{ lines: "a" }], TypeError, /script\[0\]\.lines must be an array/],
    ["a negative every", [{ lines: ["a"], every: -1 }], RangeError, /script\[0\]\.every/],
    ["bytes not bytes", [{ bytes: [1] }], TypeError, /script\[0\]\.bytes must be a Uint8Array/],
    ["zero garbage", [{ garbage: 0 }], RangeError, /script\[0\]\.garbage must be a positive integer/],
    ["splitUtf8 without a multi-byte character", [{ splitUtf8: "ascii" }], RangeError, /multi-byte/],
    ["a negative unplug", [{ unplug: -5 }], RangeError, /script\[0\]\.unplug/],
    ["a NaN silence", [{ silence: Number.NaN }], RangeError, /script\[0\]\.silence/],
    ["a burst of numbers", [{ line: "ok" }, { burst: [1] }], TypeError, /script\[1\]\.burst\[0\]/],
  ];
  it.each(bad)("rejects %s", (_what, script, type, message) => {
    expect(() => simulatedSerialDevice(script as DeviceStep[])).toThrow(type);
    expect(() => simulatedSerialDevice(script as DeviceStep[])).toThrow(message);
  });

  const badOptions: [string, Record<string, unknown>, ErrorConstructor, RegExp][] = [
    ["an unknown transport", { transport: "usb" }, RangeError, /transport must be one of auto \| socat \| mock/],
    ["a negative every", { every: -1 }, RangeError, /every/],
    ["respond not a function", { respond: "PONG" }, TypeError, /respond must be a function/],
    ["an empty commandDelimiter", { commandDelimiter: "" }, RangeError, /commandDelimiter must not be empty/],
    ["a fractional baudRate", { baudRate: 1.5 }, RangeError, /baudRate must be a positive integer/],
    ["a non-boolean loop", { loop: 1 }, TypeError, /loop must be a boolean/],
    ["a negative seed", { seed: -1 }, RangeError, /seed must be a non-negative integer/],
    ["a bad scheduler", { scheduler: {} }, TypeError, /scheduler must be a SchedulerLike/],
  ];
  it.each(badOptions)("rejects %s option", (_what, options, type, message) => {
    expect(() => simulatedSerialDevice([], options as SimulatedSerialDeviceOptions)).toThrow(type);
    expect(() => simulatedSerialDevice([], options as SimulatedSerialDeviceOptions)).toThrow(message);
  });
});
