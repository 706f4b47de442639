import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { README, generatedSections, regenerate } from "../scripts/readme.js";

describe("README", () => {
  it("has its generated parts up to date (run npm run docs)", () => {
    const text = readFileSync(README, "utf8");
    expect(regenerate(text)).toBe(text);
  });

  it("lists every implemented lego in its table", () => {
    const table = generatedSections()["lego-table"] ?? "";
    for (const name of ["RateMatchedSensor", "LocalDurableSpool", "SensorHealthWatchdog", "DelimitedMessageBuffer", "RetryLoop"]) {
      expect(table).toMatch(new RegExp(`^\\| ${name} \\|`, "m"));
    }
  });

  it("gives the two set-up commands", () => {
    const text = readFileSync(README, "utf8");
    expect(text).toContain("npm ci");
    expect(text).toContain("npm test");
  });
});
