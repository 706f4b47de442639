import { describe, expect, it } from "vitest";
import { allLegos, type Lego } from "../../src/index.js";

/**
 * The catalog is read by engineers choosing a component, so its prose must be
 * specific to each lego: these tests reject empty fields, placeholders and
 * text pasted across entries.
 */

const legos = allLegos();

const PROSE_FIELDS = ["contract", "failureSemantics", "compositionRules"] as const satisfies readonly (keyof Lego)[];

function duplicatesOf(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) repeated.add(value);
    seen.add(value);
  }
  return [...repeated];
}

describe("catalog texts", () => {
  it("gives every lego a substantial contract, failure semantics and composition rules", () => {
    for (const lego of legos) {
      for (const field of PROSE_FIELDS) expect(lego[field].length, `${lego.name}.${field}`).toBeGreaterThanOrEqual(40);
      expect(lego.state.length, `${lego.name}.state`).toBeGreaterThan(0);
      expect(lego.inputs.length, `${lego.name}.inputs`).toBeGreaterThan(0);
      expect(lego.outputs.length, `${lego.name}.outputs`).toBeGreaterThan(0);
    }
  });

  it.each(PROSE_FIELDS)("never repeats a %s across legos", (field) => {
    expect(duplicatesOf(legos.map((lego) => lego[field]))).toEqual([]);
  });

  it("never repeats a sentence of contract or failure semantics across legos", () => {
    const sentences = legos.flatMap((lego) =>
      [lego.contract, lego.failureSemantics].flatMap((text) =>
        text
          .split(/(?<=[.;:])\s+/)
          .map((sentence) => sentence.trim())
          .filter((sentence) => sentence.length >= 50),
      ),
    );
    expect(duplicatesOf(sentences)).toEqual([]);
  });

  it("contains no placeholder text", () => {
    const placeholder = /\b(TODO|TBD|FIXME|lorem|ipsum|placeholder|XXX)\b/i;
    for (const lego of legos) {
      const texts = [lego.contract, lego.state, lego.failureSemantics, lego.compositionRules, ...lego.inputs, ...lego.outputs, ...lego.operationalKnobs];
      for (const text of texts) expect(text, lego.name).not.toMatch(placeholder);
    }
  });

  it("has no empty entries in list fields", () => {
    for (const lego of legos) {
      for (const item of [...lego.inputs, ...lego.outputs, ...lego.operationalKnobs]) expect(item.trim(), lego.name).not.toBe("");
    }
  });

  it("says what the accuracy-critical legos promise", () => {
    const text = (name: string): string => {
      const lego = legos.find((l) => l.name === name);
      return `${lego?.contract ?? ""} ${lego?.failureSemantics ?? ""}`;
    };
    expect(text("Lease")).toMatch(/clock drift/);
    expect(text("Lease")).toMatch(/fencing token/i);
    expect(text("DurableQueue")).toMatch(/crash/);
    expect(text("DurableQueue")).toMatch(/at-least-once/);
    expect(text("ExactlyOnceEffect")).toMatch(/never exactly once/);
    expect(text("LocalDurableSpool")).toMatch(/SPOOL_WRITE_FAILED/);
    expect(text("SequenceCounter")).toMatch(/only after/);
    expect(text("XorChecksum")).toMatch(/not .*CRC|neither a CRC/);
  });
});
