import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ManualClock } from "manyfold-rx";
import { socatAvailable } from "manyfold-rx/testing";
import { main as heartPeripheral } from "../../examples/heart-peripheral.js";
import { main as polledSensor } from "../../examples/polled-sensor.js";
import { main as serialUartSensor } from "../../examples/serial-uart-sensor.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Runs an example as a user would (`node --import tsx examples/<name>.ts`) and returns its stdout lines. */
async function runExample(name: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", `examples/${name}.ts`], {
    cwd: root,
    timeout: 30_000,
  });
  return stdout.trimEnd().split("\n");
}

const polledOutput = [
  "health: stale — sensor input is stale",
  "health: ok",
  "#1 21.1 °C",
  "#2 21.2 °C",
  "#3 21.3 °C",
  "#4 21.4 °C",
  "skipped a poll: NACK from 0x48",
  "health: error (errors: 1) — NACK from 0x48",
  "health: ok (errors: 1)",
  "#5 21.5 °C",
  "#6 21.6 °C",
  "reads=9 retries=2 skipped=1 emitted=6",
];

const heartOutput = [
  "#1 thermostat.reading from thermostat-1 (hvac): 18.0 °C, setpoint 20, heating",
  "#2 thermostat.reading from thermostat-1 (hvac): 18.5 °C, setpoint 20, heating",
  "#3 thermostat.reading from thermostat-1 (hvac): 19.0 °C, setpoint 20, heating",
  "#4 thermostat.reading from thermostat-1 (hvac): 18.5 °C, setpoint 18",
  "#5 thermostat.reading from thermostat-1 (hvac): 18.0 °C, setpoint 18",
  "#6 thermostat.reading from thermostat-1 (hvac): 18.0 °C, setpoint 18",
  "received=6 emitted=6 inputs=1; thermostat: run, setpoint 18, stop, close",
];

describe("examples/polled-sensor", () => {
  it("retries the busy read, skips the failed poll (counted by sensorHealth), numbers the samples consecutively", async () => {
    const lines: string[] = [];
    const samples = await polledSensor({ every: 10, log: (line) => lines.push(line) });
    expect(lines).toEqual(polledOutput);
    expect(samples.map((s) => [s.sequenceNumber, s.value, s.quality])).toEqual([
      [1, 21.1, "good"],
      [2, 21.2, "good"],
      [3, 21.3, "good"],
      [4, 21.4, "good"],
      [5, 21.5, "good"],
      [6, 21.6, "good"],
    ]);
    for (const s of samples) expect(s.sourceTimestamp).toBe(s.ingestTimestamp);
  });

  it("runs as a program", async () => {
    expect(await runExample("polled-sensor")).toEqual(polledOutput);
  });
});

describe("examples/heart-peripheral", () => {
  it("keeps the reading emitted inside run(), forwards the setpoint, stops and closes the thermostat", async () => {
    const clock = new ManualClock();
    const lines: string[] = [];
    const running = heartPeripheral({ every: 100, scheduler: clock, log: (line) => lines.push(line) });
    clock.advance(500);
    const { events, lifecycle } = await running;
    expect(lines).toEqual(heartOutput);
    expect(events.map((e) => [e.sequenceNumber, e.observedAt, e.data.celsius])).toEqual([
      [1, 0, 18],
      [2, 100, 18.5],
      [3, 200, 19],
      [4, 300, 18.5],
      [5, 400, 18],
      [6, 500, 18],
    ]);
    expect(events[0]?.identity).toEqual({
      id: "thermostat-1",
      tags: [{ name: "temperature", variant: "celsius", metadata: {} }],
      location: { x: 2, y: 0, z: 1 },
      group: "hvac",
    });
    expect(lifecycle).toEqual(["run", "setpoint 18", "stop", "close"]);
  });

  it("runs as a program", async () => {
    expect(await runExample("heart-peripheral")).toEqual(heartOutput);
  });
});

const serialOutput = [
  "#1 21.5 °C",
  "#2 21.6 °C",
  "dropped a line (invalid-utf8, 6 bytes)",
  'dropped a reading: "sensor reboot"',
  "#3 21.8 °C",
  "#4 21.9 °C",
  "#5 22.0 °C",
  "device received: START",
];

const transports: ("mock" | "socat")[] = socatAvailable() ? ["mock", "socat"] : ["mock"];

describe.each(transports)("examples/serial-uart-sensor over %s", (transport) => {
  it("reads the five readings, drops the bad lines, reassembles the split one, and sends START", async () => {
    const lines: string[] = [];
    const { samples, received } = await serialUartSensor({ transport, every: 5, log: (line) => lines.push(line) });
    expect(lines).toEqual(serialOutput);
    expect(samples.map((s) => [s.sequenceNumber, s.value])).toEqual([
      [1, 21.5],
      [2, 21.6],
      [3, 21.8],
      [4, 21.9],
      [5, 22],
    ]);
    expect(received).toEqual(["START"]);
  });
});

describe("examples/serial-uart-sensor as a program", () => {
  it("runs (over socat when installed)", async () => {
    expect(await runExample("serial-uart-sensor")).toEqual(serialOutput);
  });
});
