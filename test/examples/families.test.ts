import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { main as durableSpool } from "../../examples/durable-spool.js";
import { checksumOk, main as framing, sentence } from "../../examples/framing.js";
import { main as localRuntime } from "../../examples/local-runtime.js";

/** One example per family (local runtime, framing/decoding, durable), run as modules and as programs. */

const root = fileURLToPath(new URL("../../", import.meta.url));

async function runExample(name: string, ...args: string[]): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", `examples/${name}.ts`, ...args], {
    cwd: root,
    timeout: 30_000,
  });
  return stdout.trimEnd().split("\n");
}

describe("examples/local-runtime", () => {
  const expected = [
    "t=250ms draw tilt 6°",
    "t=500ms draw tilt 10°",
    "t=750ms draw tilt 6°",
    "t=1000ms draw tilt -2°",
    "t=0ms sensor silent",
    "t=10ms sensor alive",
    "t=1100ms sensor silent",
    "sensor opened 2 times",
  ];

  it("matches 100 Hz to 4 Hz, redraws on change, retries the glitch, notices the silence", () => {
    const lines: string[] = [];
    const report = localRuntime((line) => lines.push(line));
    expect(lines).toEqual(expected);
    expect(report.opens).toBe(2);
    expect(report.frames.map((f) => f.at)).toEqual([250, 500, 750, 1000]);
  });

  it("runs as a program", async () => {
    expect(await runExample("local-runtime")).toEqual(expected);
  });
});

describe("examples/framing", () => {
  it("computes NMEA checksums that verify", () => {
    expect(sentence("GPGGA,1")).toMatch(/^\$GPGGA,1\*[0-9A-F]{2}$/);
    expect(checksumOk(sentence("GPGGA,1"))).toBe(true);
    expect(checksumOk("$GPGGA,1*00")).toBe(false);
  });

  it("reassembles split lines (and a split ü), rejects the bad checksum, drops oversize and incomplete input", async () => {
    const report = await framing(() => undefined);
    expect(report.good.map((line) => line.slice(0, 6))).toEqual(["$GPTXT", "$GPGGA", "$GPRMC"]);
    expect(report.good[0]).toContain("Zürich");
    expect(report.badChecksum).toEqual(["$GPGGA,corrupted*00"]);
    expect(report.invalid).toEqual([
      { reason: "oversize", bytes: 128 },
      { reason: "incomplete", bytes: 17 },
    ]);
  });

  it("runs as a program", async () => {
    const lines = await runExample("framing");
    expect(lines.filter((l) => l.startsWith("ok "))).toHaveLength(3);
    expect(lines).toContain("drop oversize (128 bytes)");
  });
});

describe("examples/durable-spool", () => {
  it("records, uploads with checkpoints, and resumes after a restart without repeats", async () => {
    const dir = mkdtempSync(join(tmpdir(), "manyfold-example-spool-"));
    try {
      const report = await durableSpool(dir, () => undefined);
      expect(report.recorded).toEqual([21.0, 21.2, 21.3, 21.1, 20.9, 21.4]);
      expect(report.firstUpload).toEqual([0, 1, 2, 3]);
      expect(report.afterRestart).toEqual([4, 5]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs as a program", async () => {
    const dir = mkdtempSync(join(tmpdir(), "manyfold-example-spool-"));
    try {
      expect(await runExample("durable-spool", dir)).toEqual([
        "recorded 6 readings (offsets 0–5)",
        "uploaded offsets 0, 1, 2, 3 then the process restarted",
        "resumed at offset 4: uploaded 4=20.9°C, 5=21.4°C",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
