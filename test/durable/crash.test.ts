/**
 * Crash safety with a real process kill (DESIGN.md §3 Durable): a child
 * records items and prints each offset as record() passes it on; the test
 * kills it with SIGKILL at a random moment, reopens the LevelDB location
 * and checks that every printed offset is stored with its value, that the
 * offsets are contiguous, and that a new append continues after the last.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { lastValueFrom, of, toArray } from "rxjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalDurableSpool, type Durability } from "../../src/index.js";
import { tempLocation } from "./backends.js";
import { exited, onLines, runFixture, stderrOf } from "./child-process.js";

interface Item {
  id: string;
  n: number;
  payload: string;
}

interface Round {
  durability: Durability;
  /** Kill once this many items were passed on (0: right after the spool opened)… */
  killAfterItems: number;
  /** …plus this many ms, so the kill lands anywhere in a write. */
  extraDelayMs: number;
}

interface RoundReport extends Round {
  printed: number;
  storedThisRound: number;
  lost: number;
  nextOffset: number;
}

const randomInt = (max: number): number => Math.floor(Math.random() * (max + 1));

/** Six kills at random points: early, mid-burst and late, alternating durability. */
const rounds: Round[] = [0, 40, 400, 2_500, 8_000, 20_000].map((base, i) => ({
  durability: i % 2 === 0 ? "sync" : "relaxed",
  killAfterItems: base === 0 ? 0 : base + randomInt(base),
  extraDelayMs: randomInt(15),
}));

async function runUntilKilled(location: string, round: Round, runId: string): Promise<{ start: number; printed: Map<number, string> }> {
  const child = runFixture("crash-writer.ts", [location, round.durability, runId]);
  const stderr = stderrOf(child);
  const printed = new Map<number, string>();
  let start = -1;
  let killing = false;
  const kill = (): void => {
    if (killing) return;
    killing = true;
    setTimeout(() => child.kill("SIGKILL"), round.extraDelayMs);
  };
  onLines(child, (line) => {
    const [first, second] = line.split(" ");
    if (first === "start") {
      start = Number(second);
      if (round.killAfterItems === 0) kill();
      return;
    }
    if (first !== undefined && second !== undefined) printed.set(Number(first), second);
    if (printed.size >= round.killAfterItems) kill();
  });
  // Bounded: a child that never reaches its kill point is killed anyway.
  const deadline = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const { signal } = await exited(child);
  clearTimeout(deadline);
  expect(signal, `writer ended without SIGKILL: ${stderr()}`).toBe("SIGKILL");
  expect(start, "the writer never opened its spool").toBeGreaterThanOrEqual(0);
  return { start, printed };
}

describe("LocalDurableSpool crash safety (real SIGKILL, LevelDB on disk)", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await tempLocation("manyfold-crash-");
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("loses no item that record() passed on, over several kills at random moments", async () => {
    const location = join(dir, "spool");
    const reports: RoundReport[] = [];
    let expectedStart = 0;
    let storedBefore = 0;
    for (const [index, round] of rounds.entries()) {
      const { start, printed } = await runUntilKilled(location, round, `r${index}`);
      // Offsets continue after the previous crash and the test's own append.
      expect(start).toBe(expectedStart);

      const spool = await LocalDurableSpool.open<Item>({ location, name: "crash" });
      const records = await lastValueFrom(spool.replay().pipe(toArray()));
      expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i));
      let lost = 0;
      for (const [offset, id] of printed) if (records[offset]?.value.id !== id) lost++;
      expect(lost).toBe(0);

      const [appended] = await lastValueFrom(of<Item>({ id: `check-${index}`, n: -1, payload: "" }).pipe(spool.append(), toArray()));
      expect(appended?.offset).toBe(records.length);
      await spool.close();

      reports.push({ ...round, printed: printed.size, storedThisRound: records.length - storedBefore, lost, nextOffset: records.length + 1 });
      storedBefore = records.length + 1;
      expectedStart = records.length + 1;
    }
    console.info(
      ["crash test: kills at random points (printed = items record() passed on before SIGKILL)"]
        .concat(
          reports.map(
            (r, i) =>
              `  kill ${i + 1}: ${r.durability.padEnd(7)} kill after ${String(r.killAfterItems).padStart(5)} items + ${String(r.extraDelayMs).padStart(2)} ms -> printed ${String(r.printed).padStart(6)}, stored ${String(r.storedThisRound).padStart(6)}, lost ${r.lost}`,
          ),
        )
        .join("\n"),
    );
    expect(reports).toHaveLength(rounds.length);
  }, 120_000);
});
