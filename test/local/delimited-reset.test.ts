import { filter, firstValueFrom, Subject, type Subscription } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BackoffPolicy, DelimitedMessageBuffer, delimited, fromSerialPort, RetryPolicy, type InvalidMessage } from "../../src/index.js";
import { simulatedSerialDevice, type SimulatedSerialDevice } from "../../src/testing/index.js";

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString();

describe("DelimitedMessageBuffer.reset", () => {
  it("reports the message in progress as incomplete and starts afresh, never joining it to what follows", () => {
    const invalid: InvalidMessage[] = [];
    const buffer = new DelimitedMessageBuffer({ mode: "text", onInvalid: (bad) => invalid.push(bad) });
    expect(buffer.append("21.5\n21.")).toEqual(["21.5"]);
    buffer.reset();
    expect(buffer.bufferSize).toBe(0);
    expect(buffer.append("7\n")).toEqual(["7"]);
    expect(invalid.map((bad) => [bad.reason, text(bad.bytes)])).toEqual([["incomplete", "21."]]);
    expect(buffer.incomplete).toBe(1);
  });

  it("reports nothing when no message is in progress", () => {
    const invalid: InvalidMessage[] = [];
    const buffer = new DelimitedMessageBuffer({ onInvalid: (bad) => invalid.push(bad) });
    buffer.append("a\n");
    buffer.reset();
    expect(invalid).toEqual([]);
  });
});

describe("delimited({ reset$ })", () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it("resets on each reset$ value: the cut partial is incomplete, the next bytes start a new message", () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const invalid: string[] = [];
      const source = cold("a-b--c-|", { a: "x\nhal", b: "f", c: "one\n" });
      const reset = hot("  ----r----");
      const out = source.pipe(delimited({ mode: "text", reset$: reset, onInvalid: (bad) => invalid.push(text(bad.bytes)) }));
      expectObservable(out).toBe("a----c-|", { a: "x", c: "one" });
      expectSubscriptions(reset.subscriptions).toBe("^------!");
      testScheduler.flush();
      expect(invalid).toEqual(["half"]);
    });
  });

  it("counts the reset partial as incomplete on the descriptor, and errors with reset$", () => {
    const reset = new Subject<void>();
    const operator = delimited({ reset$: reset });
    const chunks = new Subject<string>();
    let error: unknown;
    chunks.pipe(operator).subscribe({ error: (e: unknown) => (error = e) });
    chunks.next("par");
    reset.next();
    expect(operator.lego.counters.incomplete).toBe(1);
    reset.error(new Error("boom"));
    expect((error as Error).message).toBe("boom");
  });

  it("rejects a reset$ that is not an Observable", () => {
    expect(() => delimited({ reset$: 5 as never })).toThrow(TypeError);
    expect(() => delimited({ reset$: 5 as never })).toThrow("reset$ must be an Observable");
  });
});

describe("delimited({ reset$ }) driven by fromSerialPort's reopen", () => {
  let device: SimulatedSerialDevice | undefined;
  let reading: Subscription | undefined;
  afterEach(async () => {
    reading?.unsubscribe();
    await device?.stop();
  });

  it("reports a line cut by an unplug as incomplete instead of joining it to the first bytes after the reconnect", async () => {
    device = simulatedSerialDevice(
      [{ line: "21.5" }, { bytes: new TextEncoder().encode("21.") }, { unplug: 100 }, { silence: 300 }, { line: "21.7" }],
      { transport: "mock" },
    );
    await device.start();
    const port = fromSerialPort({ ...device.portOptions, retry: RetryPolicy.forever(), backoff: BackoffPolicy.fixed(20) });
    const reopened = port.events$.pipe(filter((event) => event.type === "open"));
    const lines: string[] = [];
    const invalid: string[] = [];
    const opened = firstValueFrom(reopened);
    reading = port
      .pipe(delimited({ mode: "text", reset$: reopened, onInvalid: (bad) => invalid.push(`${bad.reason}:${text(bad.bytes)}`) }))
      .subscribe((line) => lines.push(line));
    await opened;
    await device.play();
    await vi.waitFor(() => expect(lines).toEqual(["21.5", "21.7"]), { timeout: 3000 });
    expect(invalid).toEqual(["incomplete:21."]);
  }, 10_000);
});
