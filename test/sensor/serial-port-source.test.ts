import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPortMock } from "serialport";
import { NEVER, Subject, of, throwError } from "rxjs";
import { describe, expect, it, vi } from "vitest";
import { BackoffPolicy, LegoError, ManualClock, RetryPolicy, isLegoError } from "../../src/index.js";
import {
  SerialOpenAttempts,
  fromSerialPort,
  serialOpenFailureReason,
  type SerialBinding,
  type SerialBindingPort,
  type SerialOpenOptions,
  type SerialPortEvent,
  type SerialPortSourceOptions,
} from "../../src/sensor/serial-port-source.js";

// ---------------------------------------------------------------------------
// A controllable binding over @serialport/binding-mock (serialport re-exports
// it as SerialPortMock.binding; its own typings do not resolve under NodeNext)
// ---------------------------------------------------------------------------

const MockBinding = SerialPortMock.binding;
type MockPortBinding = Awaited<ReturnType<typeof MockBinding.open>>;

const eio = (): Error => Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" });

/** A mock port whose reads can fail like a tty whose device went away. */
class FlakyPort implements SerialBindingPort {
  writeError: Error | undefined;
  private fail: (error: Error) => void = () => undefined;
  private readonly failed: Promise<never>;

  constructor(readonly inner: MockPortBinding) {
    this.failed = new Promise<never>((_resolve, reject) => {
      this.fail = reject;
    });
    this.failed.catch(() => undefined);
  }

  get isOpen(): boolean {
    return this.inner.isOpen;
  }
  read(buffer: Buffer, offset: number, length: number): Promise<{ bytesRead: number }> {
    return Promise.race([this.inner.read(buffer, offset, length), this.failed]);
  }
  write(buffer: Buffer): Promise<void> {
    return this.writeError === undefined ? this.inner.write(buffer) : Promise.reject(this.writeError);
  }
  drain(): Promise<void> {
    return this.inner.drain();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  /** The device went away under a pending read. */
  die(error: Error = eio()): void {
    this.fail(error);
  }
  emit(data: string | Buffer): void {
    this.inner.emitData(data);
  }
}

let paths = 0;

/** A fresh mock device path, a binding that records opens, and a source on a ManualClock. */
function rig(options: Partial<SerialPortSourceOptions> = {}, create = true) {
  const path = `/dev/ttyUNIT${++paths}`;
  if (create) MockBinding.createPort(path, { echo: false, record: true });
  const ports: FlakyPort[] = [];
  const opens: SerialOpenOptions[] = [];
  let openError: Error | undefined;
  const binding: SerialBinding = {
    async open(openOptions) {
      opens.push(openOptions);
      if (openError !== undefined) {
        await Promise.resolve();
        throw openError;
      }
      const port = new FlakyPort(await MockBinding.open(openOptions));
      ports.push(port);
      return port;
    },
  };
  const clock = new ManualClock();
  const source = fromSerialPort({ path, baudRate: 9600, binding, scheduler: clock, ...options });
  const events: SerialPortEvent[] = [];
  source.events$.subscribe((event) => events.push(event));
  const chunks: Buffer[] = [];
  const outcome: { error: unknown; completed: boolean } = { error: undefined, completed: false };
  const subscribe = () =>
    source.subscribe({
      next: (chunk) => chunks.push(Buffer.from(chunk)),
      error: (error: unknown) => {
        outcome.error = error;
      },
      complete: () => {
        outcome.completed = true;
      },
    });
  return {
    path,
    ports,
    opens,
    clock,
    source,
    events,
    chunks,
    outcome,
    subscribe,
    failOpensWith(error: Error | undefined) {
      openError = error;
    },
    text: () => Buffer.concat(chunks).toString(),
    types: () => events.map((event) => event.type),
    last: () => ports[ports.length - 1]!,
  };
}

/** Lets promise callbacks and nextTicks (the mock binding's) run; no wall-clock wait. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await turn();
  }
  throw new Error(`gave up waiting for ${what}`);
}

const eventsOf = <K extends SerialPortEvent["type"]>(events: SerialPortEvent[], type: K) =>
  events.filter((event): event is Extract<SerialPortEvent, { type: K }> => event.type === type);

// ---------------------------------------------------------------------------

describe("fromSerialPort: descriptor and validation", () => {
  it("carries a SerialPortSource descriptor with zeroed counters and a derived name", () => {
    const source = fromSerialPort({ path: "/dev/x", baudRate: 9600, binding: MockBinding, group: "ambient" });
    expect(source.lego).toEqual({ kind: "SerialPortSource", name: "ambient.serial_port_source", group: "ambient" });
    expect(source.lego.counters).toEqual({
      opens: 0,
      reconnects: 0,
      openFailures: 0,
      disconnects: 0,
      bytesIn: 0,
      bytesOut: 0,
      writeFailures: 0,
      commandsDropped: 0,
    });
    expect(source.path).toBe("/dev/x");
    expect(source.isOpen).toBe(false);
  });

  it("keeps an explicit name", () => {
    expect(fromSerialPort({ path: "/dev/x", baudRate: 1, binding: MockBinding, name: "uart" }).lego).toEqual({
      kind: "SerialPortSource",
      name: "uart",
    });
  });

  const base = { path: "/dev/x", baudRate: 9600, binding: MockBinding };
  const cases: [string, Record<string, unknown>, ErrorConstructor, RegExp][] = [
    ["path missing", { path: undefined }, TypeError, /path must be a string/],
    ["path empty", { path: "" }, RangeError, /path must not be empty/],
    ["baudRate a string", { baudRate: "9600" }, TypeError, /baudRate must be a number/],
    ["baudRate zero", { baudRate: 0 }, RangeError, /baudRate must be a positive integer/],
    ["baudRate fractional", { baudRate: 96.5 }, RangeError, /baudRate must be a positive integer/],
    ["dataBits out of range", { dataBits: 9 }, RangeError, /dataBits must be one of 5 \| 6 \| 7 \| 8/],
    ["dataBits a string", { dataBits: "8" }, TypeError, /dataBits must be one of/],
    ["stopBits out of range", { stopBits: 3 }, RangeError, /stopBits must be one of/],
    ["parity unknown", { parity: "weird" }, RangeError, /parity must be one of none/],
    ["parity a number", { parity: 1 }, TypeError, /parity must be one of/],
    ["lock not boolean", { lock: "yes" }, TypeError, /lock must be a boolean/],
    ["rtscts not boolean", { rtscts: 1 }, TypeError, /rtscts must be a boolean/],
    ["binding without open", { binding: {} }, TypeError, /binding must be a serialport binding/],
    ["bindingOptions not an object", { bindingOptions: 5 }, TypeError, /bindingOptions must be an object/],
    ["commands not an Observable", { commands: [1] }, TypeError, /commands must be an Observable/],
    ["presenceCheck a string", { presenceCheck: "1s" }, TypeError, /presenceCheck must be a number of ms or false/],
    ["presenceCheck zero", { presenceCheck: 0 }, RangeError, /presenceCheck must be a finite number > 0/],
    ["presenceCheck true", { presenceCheck: true }, TypeError, /presenceCheck must be a number of ms or false/],
    ["readSize zero", { readSize: 0 }, RangeError, /readSize must be a positive integer/],
    ["maxPendingWrites negative", { maxPendingWrites: -1 }, RangeError, /maxPendingWrites must be a positive integer/],
    ["scheduler not a scheduler", { scheduler: {} }, TypeError, /scheduler must be a SchedulerLike/],
    ["retry not a policy", { retry: 3 }, TypeError, /retry must be a RetryPolicy/],
    ["retry with bad maxAttempts", { retry: { maxAttempts: 0, retryOn: () => true } }, RangeError, /retry.maxAttempts/],
    ["backoff not a policy", { backoff: "fast" }, TypeError, /backoff must be a BackoffPolicy/],
    ["group empty", { group: "" }, RangeError, /group must not be empty/],
    ["name empty", { name: "" }, RangeError, /name must not be empty/],
  ];
  it.each(cases)("rejects %s when called", (_what, patch, type, message) => {
    expect(() => fromSerialPort({ ...base, ...patch })).toThrow(type);
    expect(() => fromSerialPort({ ...base, ...patch })).toThrow(message);
  });

  it("rejects a missing options object", () => {
    expect(() => fromSerialPort(undefined as unknown as SerialPortSourceOptions)).toThrow(TypeError);
  });
});

describe("fromSerialPort: reading", () => {
  it("opens on subscribe with the line settings and emits byte chunks in order", async () => {
    const r = rig({ dataBits: 7, parity: "even", stopBits: 2, lock: false, bindingOptions: { vmin: 1, path: "ignored" } });
    const sub = r.subscribe();
    expect(r.types()).toEqual(["opening"]); // the first open starts at once
    await until(() => r.source.isOpen, "open");
    expect(r.opens).toEqual([{ vmin: 1, path: r.path, baudRate: 9600, dataBits: 7, parity: "even", stopBits: 2, lock: false }]);
    r.last().emit("ab");
    await until(() => r.chunks.length === 1, "first chunk");
    r.last().emit(Buffer.from([0x63, 0xff]));
    await until(() => r.chunks.length === 2, "second chunk");
    expect(r.chunks.map((c) => [...c])).toEqual([
      [0x61, 0x62],
      [0x63, 0xff],
    ]);
    expect(r.source.lego.counters.bytesIn).toBe(4);
    expect(r.source.lego.counters.opens).toBe(1);
    expect(r.events).toEqual([
      { type: "opening", at: 0, attempt: 1 },
      { type: "open", at: 0, attempt: 1, reconnect: false },
    ]);
    sub.unsubscribe();
  });

  it("emits copies, so a kept chunk does not change with later reads", async () => {
    const r = rig();
    const sub = r.subscribe();
    await until(() => r.source.isOpen, "open");
    r.last().emit("first");
    await until(() => r.chunks.length === 1, "chunk");
    const kept = r.chunks[0]!;
    r.last().emit("SECOND");
    await until(() => r.chunks.length === 2, "chunk 2");
    expect(kept.toString()).toBe("first");
    sub.unsubscribe();
  });

  it("splits reads at readSize", async () => {
    const r = rig({ readSize: 3 });
    const sub = r.subscribe();
    await until(() => r.source.isOpen, "open");
    r.last().emit("abcdefg");
    await until(() => r.text() === "abcdefg", "all bytes");
    expect(r.chunks.map(String)).toEqual(["abc", "def", "g"]);
    sub.unsubscribe();
  });

  it("shares one connection between subscribers and closes it after the last leaves", async () => {
    const r = rig();
    const other: string[] = [];
    const a = r.subscribe();
    const b = r.source.subscribe((chunk) => other.push(Buffer.from(chunk).toString()));
    await until(() => r.source.isOpen, "open");
    r.last().emit("hi");
    await until(() => other.length === 1 && r.chunks.length === 1, "both");
    expect(r.opens).toHaveLength(1);
    a.unsubscribe();
    expect(r.last().isOpen).toBe(true);
    b.unsubscribe();
    await until(() => !r.last().isOpen, "closed");
    expect(r.source.isOpen).toBe(false);
  });
});

describe("fromSerialPort: unsubscribe", () => {
  it("closes the port and reports closed (unsubscribed)", async () => {
    const r = rig();
    const sub = r.subscribe();
    await until(() => r.source.isOpen, "open");
    const port = r.last();
    sub.unsubscribe();
    await until(() => !port.isOpen, "port closed");
    expect(r.events.at(-1)).toEqual({ type: "closed", at: 0, reason: "unsubscribed" });
    expect(r.outcome).toEqual({ error: undefined, completed: false });
  });

  it("closes a port whose open was still in flight", async () => {
    const r = rig();
    const sub = r.subscribe();
    sub.unsubscribe();
    await until(() => r.ports.length === 1, "open resolved");
    await until(() => !r.last().isOpen, "closed after all");
    expect(r.types()).toEqual(["opening"]);
    expect(r.source.lego.counters.opens).toBe(0);
  });

  it("cancels a pending reopen", async () => {
    const r = rig({ backoff: BackoffPolicy.fixed(100) });
    const sub = r.subscribe();
    await until(() => r.source.isOpen, "open");
    r.last().die();
    await until(() => r.types().includes("reconnecting"), "reconnecting");
    expect(r.clock.pending).toBe(1);
    sub.unsubscribe();
    expect(r.clock.pending).toBe(0);
    r.clock.advance(1000);
    await turn();
    expect(r.opens).toHaveLength(1);
    expect(r.types().filter((t) => t === "opening")).toHaveLength(1);
  });

  it("opens again on resubscribe, after the previous close released the lock", async () => {
    const r = rig(); // lock: true by default, so an early reopen would fail as busy
    const first = r.subscribe();
    await until(() => r.source.isOpen, "open");
    first.unsubscribe();
    const second = r.subscribe();
    await until(() => r.source.isOpen, "reopened");
    expect(r.source.lego.counters.openFailures).toBe(0);
    expect(r.source.lego.counters.opens).toBe(2);
    r.last().emit("again");
    await until(() => r.text() === "again", "data");
    second.unsubscribe();
  });
});

describe("fromSerialPort: reconnect", () => {
  it("reopens after a lost connection with backoff on the scheduler and keeps reading", async () => {
    const r = rig({ backoff: BackoffPolicy.exponential({ initialDelay: 100, multiplier: 2 }), retry: RetryPolicy.attempts(5) });
    const sub = r.subscribe();
    await until(() => r.source.isOpen, "open");
    r.last().emit("before|");
    await until(() => r.text() === "before|", "before");
    r.failOpensWith(Object.assign(new Error("Error: No such file or directory, cannot open x"), { code: "ENOENT" }));
    r.last().die();
    await until(() => r.types().includes("reconnecting"), "reconnecting");
    expect(r.source.isOpen).toBe(false);
    expect(r.events.slice(2)).toEqual([
      { type: "closed", at: 0, reason: "disconnected", error: expect.objectContaining({ code: "EIO" }) as unknown },
      { type: "reconnecting", at: 0, attempt: 1, delay: 100 },
    ]);
    // The first reopen waits initialDelay (the lost connection counts), then the waits grow.
    r.clock.advance(99);
    expect(r.opens).toHaveLength(1);
    r.clock.advance(1);
    expect(r.opens).toHaveLength(2);
    await until(() => eventsOf(r.events, "reconnecting").length === 2, "second wait");
    r.clock.advance(200);
    await until(() => eventsOf(r.events, "reconnecting").length === 3, "third wait");
    expect(eventsOf(r.events, "reconnecting").map((e) => [e.attempt, e.delay, e.at])).toEqual([
      [1, 100, 0],
      [2, 200, 100],
      [3, 400, 300],
    ]);
    r.failOpensWith(undefined); // plugged back in
    r.clock.advance(400);
    await until(() => r.source.isOpen, "reopened");
    expect(r.events.at(-1)).toEqual({ type: "open", at: 700, attempt: 3, reconnect: true });
    r.last().emit("after");
    await until(() => r.text() === "before|after", "after");
    expect(r.source.lego.counters).toMatchObject({ opens: 2, reconnects: 1, disconnects: 1, openFailures: 2 });
    expect(r.outcome.error).toBeUndefined();
    sub.unsubscribe();
  });

  it("gives a full retry budget again after each successful open", async () => {
    const r = rig({ backoff: BackoffPolicy.fixed(10), retry: RetryPolicy.attempts(2) });
    const sub = r.subscribe();
    await until(() => r.source.isOpen, "open");
    for (let round = 0; round < 3; round++) {
      r.failOpensWith(eio());
      r.last().die();
      await until(() => eventsOf(r.events, "reconnecting").length === 2 * round + 1, "wait");
      r.clock.advance(10); // reopen 1 fails
      await until(() => eventsOf(r.events, "reconnecting").length === 2 * round + 2, "retry");
      r.failOpensWith(undefined);
      r.clock.advance(10); // reopen 2 succeeds: the budget is back
      await until(() => r.source.isOpen, "reopened");
    }
    expect(r.outcome.error).toBeUndefined();
    expect(r.source.lego.counters).toMatchObject({ reconnects: 3, openFailures: 3, disconnects: 3 });
    sub.unsubscribe();
  });

  it("treats an end of file (a read of 0 bytes) as a lost connection", async () => {
    const r = rig({ backoff: BackoffPolicy.fixed(5) });
    const sub = r.subscribe();
    await until(() => r.source.isOpen, "open");
    const port = r.last();
    // A binding that reports EOF: the next read returns 0 bytes.
    (port as unknown as { read: () => Promise<{ bytesRead: number }> }).read = () => Promise.resolve({ bytesRead: 0 });
    port.emit("x"); // wakes the pending read of the real mock, which then loops into the patched read
    await until(() => r.types().includes("closed"), "closed");
    const closed = eventsOf(r.events, "closed")[0]!;
    expect(closed.reason).toBe("disconnected");
    expect(String(closed.error)).toMatch(/end of file/);
    r.clock.advance(5);
    await until(() => r.source.isOpen, "reopened");
    sub.unsubscribe();
  });

  it("a disconnect does not re-emit bytes read before it", async () => {
    const r = rig({ backoff: BackoffPolicy.none() });
    const sub = r.subscribe();
    await until(() => r.source.isOpen, "open");
    r.last().emit("one");
    await until(() => r.text() === "one", "one");
    r.last().die();
    await until(() => r.types().includes("reconnecting"), "reconnecting");
    r.clock.advance(0);
    await until(() => r.source.isOpen, "reopened");
    r.last().emit("two");
    await until(() => r.text() === "onetwo", "two");
    expect(r.chunks.map(String)).toEqual(["one", "two"]);
    sub.unsubscribe();
  });
});

describe("fromSerialPort: presence check", () => {
  it("treats a path that vanished as a lost connection, even when no read notices", async () => {
    const dir = mkdtempSync(join(tmpdir(), "manyfold-presence-"));
    const path = join(dir, "ttyUSB0");
    writeFileSync(path, "");
    try {
      const r = rig({ path, presenceCheck: 50, backoff: BackoffPolicy.fixed(10) }, false);
      MockBinding.createPort(path, { echo: false, record: true });
      const sub = r.subscribe();
      await until(() => r.source.isOpen, "open");
      r.clock.advance(50); // still there
      await turn();
      await turn();
      expect(r.source.isOpen).toBe(true);
      rmSync(path); // the adapter was pulled; the mock's pending read never fails by itself
      r.clock.advance(50);
      // stat() runs on libuv's thread pool: real IO, so wait on the event with a bounded timeout.
      await vi.waitFor(
        () => {
          expect(r.types()).toContain("closed");
        },
        { timeout: 5000, interval: 5 },
      );
      expect(eventsOf(r.events, "closed")[0]).toMatchObject({
        reason: "disconnected",
        error: expect.objectContaining({ code: "ENOENT" }) as unknown,
      });
      expect(r.last().isOpen).toBe(false); // closed, which also ends a read stuck in the binding
      expect(r.clock.pending).toBe(1); // only the reopen wait: the check stopped with the port
      sub.unsubscribe();
      expect(r.clock.pending).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("notices a re-plug faster than its interval by the device node's identity, though the path never looked absent", async () => {
    const dir = mkdtempSync(join(tmpdir(), "manyfold-replug-"));
    const path = join(dir, "ttyUSB0");
    writeFileSync(path, "");
    try {
      const r = rig({ path, presenceCheck: 50, backoff: BackoffPolicy.fixed(10) }, false);
      MockBinding.createPort(path, { echo: false, record: true });
      const sub = r.subscribe();
      await until(() => r.source.isOpen, "open");
      await new Promise((resolve) => setTimeout(resolve, 20)); // the baseline stat settles
      r.clock.advance(50); // same node: stays open
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(r.types()).not.toContain("closed");
      // Pulled and plugged back between two checks: a new node on the same path.
      rmSync(path);
      writeFileSync(path, "");
      r.clock.advance(50);
      await vi.waitFor(
        () => {
          expect(r.types()).toContain("closed");
        },
        { timeout: 5000, interval: 5 },
      );
      expect(eventsOf(r.events, "closed")[0]).toMatchObject({ reason: "disconnected", error: expect.objectContaining({ code: "ENODEV" }) as unknown });
      r.clock.advance(10);
      await until(() => r.source.isOpen, "reopened");
      expect(r.source.lego.counters.reconnects).toBe(1);
      sub.unsubscribe();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("asks a binding that supplies deviceIdentity (on by default then), and reopens when the identity changes", async () => {
    let identity: string | undefined = "node-1";
    const r = rig({ backoff: BackoffPolicy.fixed(10) });
    const binding: SerialBinding = { open: (o) => MockBinding.open(o), deviceIdentity: () => Promise.resolve(identity) };
    const clock = new ManualClock();
    const source = fromSerialPort({ path: r.path, baudRate: 9600, binding, scheduler: clock, backoff: BackoffPolicy.fixed(10) });
    const events: SerialPortEvent[] = [];
    source.events$.subscribe((event) => events.push(event));
    const sub = source.subscribe();
    await until(() => source.isOpen, "open");
    await turn();
    clock.advance(1000); // the default check period with deviceIdentity
    await turn();
    await turn();
    expect(source.isOpen).toBe(true);
    identity = "node-2";
    clock.advance(1000);
    await until(() => events.some((event) => event.type === "reconnecting"), "reconnecting");
    expect(events.find((event) => event.type === "closed")).toMatchObject({ reason: "disconnected" });
    clock.advance(10);
    await until(() => source.isOpen, `reopened ${JSON.stringify(events.map((e) => e.type))}`);
    await turn();
    identity = undefined;
    clock.advance(1000); // gone now
    await until(() => events.filter((event) => event.type === "closed").length === 2, "closed again");
    sub.unsubscribe();
  });

  it("is off by default with an injected binding", async () => {
    const r = rig();
    const sub = r.subscribe();
    await until(() => r.source.isOpen, "open");
    expect(r.clock.pending).toBe(0); // nothing scheduled: /dev/ttyUNIT… does not exist, yet the port stays open
    r.clock.advance(5000);
    await turn();
    expect(r.source.isOpen).toBe(true);
    sub.unsubscribe();
  });
});

describe("fromSerialPort: open failures", () => {
  it("retries forever by default with capped backoff, so a long-running loop outlives a long absence", async () => {
    const r = rig({}, false);
    r.subscribe();
    for (let attempt = 2; attempt <= 40; attempt++) {
      await until(() => eventsOf(r.events, "reconnecting").length === attempt - 1, `retry ${attempt}`);
      r.clock.advance(2000);
    }
    expect(r.outcome.error).toBeUndefined();
    expect(Math.max(...eventsOf(r.events, "reconnecting").map((e) => e.delay))).toBe(2000);
    await until(() => eventsOf(r.events, "reconnecting").length === 40, "retry 41");
    MockBinding.createPort(r.path, { echo: false, record: true });
    r.clock.advance(2000);
    await until(() => r.source.isOpen, "open at last");
    expect(r.opens.length).toBeGreaterThanOrEqual(40);
  });

  it("errors with SERIAL_OPEN_FAILED (no such device) after the retry policy is spent", async () => {
    const r = rig({ retry: RetryPolicy.attempts(3), backoff: BackoffPolicy.fixed(50) }, false);
    r.subscribe();
    await until(() => eventsOf(r.events, "reconnecting").length === 1, "first retry");
    r.clock.advance(50);
    await until(() => eventsOf(r.events, "reconnecting").length === 2, "second retry");
    expect(r.outcome.error).toBeUndefined();
    r.clock.advance(50);
    await until(() => r.outcome.error !== undefined, "error");
    const error = r.outcome.error as LegoError;
    expect(isLegoError(error, "SERIAL_OPEN_FAILED")).toBe(true);
    expect(error.message).toContain(`cannot open serial port ${r.path}: no such device (3 attempts;`);
    expect(error.message).toContain("Port does not exist");
    expect((error.cause as Error).message).toMatch(/Port does not exist/);
    expect(r.opens).toHaveLength(3);
    expect(eventsOf(r.events, "reconnecting").map((e) => [e.attempt, e.delay])).toEqual([
      [2, 50],
      [3, 50],
    ]);
    expect(eventsOf(r.events, "error").map((e) => (e.operation === "open" ? [e.attempt, e.reason] : []))).toEqual([
      [1, "not-found"],
      [2, "not-found"],
      [3, "not-found"],
    ]);
    expect(r.source.lego.counters.openFailures).toBe(3);
    expect(r.clock.pending).toBe(0);
  });

  it("gives up at once on an error retryOn refuses, saying why (permission denied)", async () => {
    const r = rig({ retry: RetryPolicy.forever((e) => serialOpenFailureReason(e) !== "permission-denied") });
    r.failOpensWith(new Error("Error: Permission denied, cannot open /dev/ttyS0"));
    r.subscribe();
    await until(() => r.outcome.error !== undefined, "error");
    const error = r.outcome.error as LegoError;
    expect(error.code).toBe("SERIAL_OPEN_FAILED");
    expect(error.message).toMatch(/: permission denied \(1 attempt; Error: Permission denied/);
    expect(r.opens).toHaveLength(1);
  });

  it("with RetryPolicy.never() errors after one failed reopen of a lost connection", async () => {
    const r = rig({ retry: RetryPolicy.never(), backoff: BackoffPolicy.fixed(10) });
    r.subscribe();
    await until(() => r.source.isOpen, "open");
    r.failOpensWith(eio());
    r.last().die();
    await until(() => r.types().includes("reconnecting"), "reconnecting");
    r.clock.advance(10);
    await until(() => r.outcome.error !== undefined, "error");
    expect(isLegoError(r.outcome.error, "SERIAL_OPEN_FAILED")).toBe(true);
    expect((r.outcome.error as Error).message).toMatch(/the port could not be opened \(1 attempt; EIO/);
  });

  it("starts afresh when subscribed again after the error", async () => {
    const r = rig({ retry: RetryPolicy.never() }, false);
    r.subscribe();
    await until(() => r.outcome.error !== undefined, "error");
    MockBinding.createPort(r.path, { echo: false, record: true });
    r.outcome.error = undefined;
    const sub = r.subscribe();
    await until(() => r.source.isOpen, "open");
    expect(r.outcome.error).toBeUndefined();
    sub.unsubscribe();
  });
});

describe("fromSerialPort: writing", () => {
  it("writes strings as UTF-8 and bytes as they are, in call order, and counts bytesOut", async () => {
    const r = rig();
    const sub = r.subscribe();
    await until(() => r.source.isOpen, "open");
    await Promise.all([r.source.write("é\n"), r.source.write(new Uint8Array([1, 2])), r.source.write("z")]);
    expect([...r.last().inner.recording]).toEqual([0xc3, 0xa9, 0x0a, 1, 2, 0x7a]);
    expect(r.source.lego.counters.bytesOut).toBe(6);
    sub.unsubscribe();
  });

  it("rejects with SERIAL_CLOSED when not subscribed or not open yet", async () => {
    const r = rig();
    await expect(r.source.write("x")).rejects.toMatchObject({ code: "SERIAL_CLOSED" });
    const sub = r.subscribe();
    await expect(r.source.write("x")).rejects.toMatchObject({ code: "SERIAL_CLOSED" });
    sub.unsubscribe();
  });

  it("rejects a write whose port closed before its turn with SERIAL_CLOSED", async () => {
    const r = rig();
    const sub = r.subscribe();
    await until(() => r.source.isOpen, "open");
    const first = r.source.write("a");
    const second = r.source.write("b");
    sub.unsubscribe();
    await expect(first).rejects.toBeInstanceOf(LegoError);
    await expect(second).rejects.toMatchObject({ code: "SERIAL_CLOSED" });
  });

  it("rejects a failed write with SERIAL_WRITE_FAILED and treats it as a lost connection", async () => {
    const r = rig({ backoff: BackoffPolicy.fixed(10) });
    const sub = r.subscribe();
    await until(() => r.source.isOpen, "open");
    r.last().writeError = Object.assign(new Error("EIO: i/o error, write"), { code: "EIO" });
    const failure = r.source.write("x");
    await expect(failure).rejects.toMatchObject({ code: "SERIAL_WRITE_FAILED", message: expect.stringMatching(/EIO/) as unknown });
    expect(r.types()).toContain("closed");
    expect(r.source.lego.counters.writeFailures).toBe(1);
    r.clock.advance(10);
    await until(() => r.source.isOpen, "reopened");
    await r.source.write("y");
    expect(r.last().inner.recording.toString()).toBe("y");
    sub.unsubscribe();
  });

  it("rejects writes beyond maxPendingWrites with SERIAL_WRITE_FAILED", async () => {
    const r = rig({ maxPendingWrites: 2 });
    const sub = r.subscribe();
    await until(() => r.source.isOpen, "open");
    const accepted = [r.source.write("1"), r.source.write("2"), r.source.write("3")]; // 1 in flight + 2 waiting
    await expect(r.source.write("4")).rejects.toMatchObject({
      code: "SERIAL_WRITE_FAILED",
      message: expect.stringMatching(/maxPendingWrites/) as unknown,
    });
    await Promise.all(accepted);
    expect(r.last().inner.recording.toString()).toBe("123");
    sub.unsubscribe();
  });

  it("rejects data that is neither bytes nor a string", async () => {
    const r = rig();
    await expect(r.source.write(42 as unknown as string)).rejects.toBeInstanceOf(TypeError);
  });
});

describe("fromSerialPort: commands", () => {
  it("writes commands while subscribed; commands sent before the port opened wait for it", async () => {
    const commands = new Subject<string | Uint8Array>();
    const r = rig({ commands });
    const sub = r.subscribe();
    commands.next("INIT\n"); // the port is still opening
    await until(() => r.source.isOpen, "open");
    commands.next(new Uint8Array([0x41, 0x0a]));
    await until(() => r.source.lego.counters.bytesOut === 7, "written");
    expect(r.last().inner.recording.toString()).toBe("INIT\nA\n");
    sub.unsubscribe();
    expect(commands.observed).toBe(false);
  });

  it("replays nothing: a synchronous commands Observable is written once the port opens", async () => {
    const r = rig({ commands: of("A", "B") });
    const sub = r.subscribe();
    await until(() => r.source.lego.counters.bytesOut === 2, "written");
    expect(r.last().inner.recording.toString()).toBe("AB");
    sub.unsubscribe();
  });

  it("drops the oldest waiting command beyond maxPendingWrites, counted and reported", async () => {
    const r = rig({ commands: of("1", "2", "3"), maxPendingWrites: 2 });
    const sub = r.subscribe();
    await until(() => r.source.lego.counters.bytesOut === 2, "written");
    expect(r.last().inner.recording.toString()).toBe("23");
    expect(r.source.lego.counters.commandsDropped).toBe(1);
    const dropped = eventsOf(r.events, "error").filter((e) => e.operation === "command");
    expect(dropped).toHaveLength(1);
    expect(String(dropped[0]!.error)).toMatch(/command dropped/);
    sub.unsubscribe();
  });

  it("reports a command whose write failed and keeps going", async () => {
    const commands = new Subject<string>();
    const r = rig({ commands, backoff: BackoffPolicy.fixed(10) });
    const sub = r.subscribe();
    await until(() => r.source.isOpen, "open");
    r.last().writeError = eio();
    commands.next("X");
    await until(() => r.source.lego.counters.commandsDropped === 1, "dropped");
    expect(eventsOf(r.events, "error").some((e) => e.operation === "command")).toBe(true);
    expect(r.outcome.error).toBeUndefined();
    sub.unsubscribe();
  });

  it("errors the source when commands error", async () => {
    const r = rig({ commands: throwError(() => new Error("bad commands")) });
    r.subscribe();
    expect((r.outcome.error as Error).message).toBe("bad commands");
    await until(() => r.ports.length === 0 || !r.last().isOpen, "nothing left open");
  });

  it("unsubscribes from commands on unsubscribe", () => {
    const commands = new Subject<string>();
    const r = rig({ commands });
    const sub = r.subscribe();
    expect(commands.observed).toBe(true);
    sub.unsubscribe();
    expect(commands.observed).toBe(false);
    expect(fromSerialPort({ path: "/dev/y", baudRate: 1, binding: MockBinding, commands: NEVER }).lego.kind).toBe(
      "SerialPortSource",
    );
  });
});

describe("SerialOpenAttempts", () => {
  it("waits delayForAttempt(backoff, n) before attempt n of the first connection", () => {
    const attempts = new SerialOpenAttempts(RetryPolicy.attempts(4), BackoffPolicy.exponential({ initialDelay: 10 }));
    expect(attempts.attempt).toBe(1);
    expect([attempts.failed("e"), attempts.failed("e"), attempts.failed("e"), attempts.failed("e")]).toEqual([
      { retry: true, attempt: 2, delay: 10 },
      { retry: true, attempt: 3, delay: 20 },
      { retry: true, attempt: 4, delay: 40 },
      { retry: false, attempts: 4 },
    ]);
  });

  it("after a lost connection waits delayForAttempt(backoff, n + 1) before reopen n", () => {
    const attempts = new SerialOpenAttempts(RetryPolicy.attempts(3), BackoffPolicy.exponential({ initialDelay: 10 }));
    attempts.opened();
    expect(attempts.reconnecting).toBe(false);
    expect(attempts.lost()).toEqual({ retry: true, attempt: 1, delay: 10 });
    expect(attempts.reconnecting).toBe(true);
    expect([attempts.failed("e"), attempts.failed("e"), attempts.failed("e")]).toEqual([
      { retry: true, attempt: 2, delay: 20 },
      { retry: true, attempt: 3, delay: 40 },
      { retry: false, attempts: 3 },
    ]);
  });

  it("resets the count after an open", () => {
    const attempts = new SerialOpenAttempts(RetryPolicy.attempts(2), BackoffPolicy.fixed(5));
    attempts.failed("e");
    attempts.opened();
    expect(attempts.attempt).toBe(1);
    expect(attempts.failed("e")).toEqual({ retry: true, attempt: 2, delay: 5 });
  });

  it("gives up on an error retryOn refuses", () => {
    const attempts = new SerialOpenAttempts(RetryPolicy.forever((e) => e !== "fatal"), BackoffPolicy.none());
    expect(attempts.failed("transient")).toEqual({ retry: true, attempt: 2, delay: 0 });
    expect(attempts.failed("fatal")).toEqual({ retry: false, attempts: 2 });
  });
});

describe("serialOpenFailureReason", () => {
  it.each([
    [new Error("Error: No such file or directory, cannot open /dev/ttyUSB0"), "not-found"],
    [Object.assign(new Error("x"), { code: "ENOENT" }), "not-found"],
    [new Error("Port does not exist - please call MockBinding.createPort('/dev/x') first"), "not-found"],
    [new Error("Opening COM9: File not found"), "not-found"],
    [new Error("Error: Permission denied, cannot open /dev/ttyS0"), "permission-denied"],
    [new Error("Opening COM3: Access denied"), "permission-denied"],
    [Object.assign(new Error("x"), { code: "EACCES" }), "permission-denied"],
    [new Error("Error Resource temporarily unavailable Cannot lock port"), "busy"],
    [new Error("Port is locked cannot open"), "busy"],
    [new Error("something odd"), "other"],
    ["a string", "other"],
  ] as const)("classifies %s as %s", (error, reason) => {
    expect(serialOpenFailureReason(error)).toBe(reason);
  });
});
