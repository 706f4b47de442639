/**
 * Crash proof of the LevelDB DurableQueue with real SIGKILL (DESIGN.md §5
 * "Delivery is stated, then proved"). LevelDB is single-process, so one
 * worker process at a time holds the database; it is also the producer
 * (it enqueues its share of jobs while it works). The test kills it at a
 * random moment 50 times, then lets a last worker drain the queue, and
 * checks on disk:
 * - every job whose enqueue resolved (printed "enq") was completed;
 * - every job's effect happened exactly once (an IdempotencyStore run per
 *   job id, the effect written atomically with a done-mark);
 * - repeated attempts (at-least-once) are counted and reported.
 *
 * The child is bundled once with esbuild (tsx's own dependency) so that a
 * restart costs a node start, not a TypeScript compile: 50 kills fit well
 * under a minute.
 */
import { mkdir, rm } from "node:fs/promises";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Level } from "level";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keyspace, LevelDurableQueue } from "../../src/index.js";
import { tempLocation } from "./backends.js";
import { exited, onLines, repoRoot, stderrOf, type Child } from "./child-process.js";

const KILLS = 50;
const JOBS_PER_RUN = 12;
const randomInt = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1));

let bundle: string;
let dir: string;

function startWorker(location: string, runId: string, mode: "work" | "drain"): Child {
  return spawn(process.execPath, [bundle, location, runId, String(JOBS_PER_RUN), mode], { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] });
}

describe("LevelDurableQueue crash proof (real SIGKILL, LevelDB on disk)", () => {
  beforeAll(async () => {
    dir = await tempLocation("manyfold-queue-crash-");
    const out = join(repoRoot, "node_modules", ".cache", "manyfold-queue-crash");
    await mkdir(out, { recursive: true });
    bundle = join(out, "queue-worker.mjs");
    const esbuild = await import("esbuild");
    await esbuild.build({
      entryPoints: [join(repoRoot, "test/durable/fixtures/queue-worker.ts")],
      outfile: bundle,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      external: ["level", "classic-level", "memory-level", "serialport", "@serialport/*"],
      logLevel: "silent",
    });
  }, 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("after 50 kills every acknowledged job is completed, each effect exactly once", async () => {
    const location = join(dir, "queue");
    const started = performance.now();
    const enqueued = new Set<string>();
    const acked = new Map<string, number>();
    let kills = 0;
    // The next worker starts (and loads its code) while the current one runs.
    let next = startWorker(location, "r0", "work");
    for (let round = 0; round < KILLS; round++) {
      const child = next;
      next = startWorker(location, round + 1 < KILLS ? `r${round + 1}` : "drain", round + 1 < KILLS ? "work" : "drain");
      const stderr = stderrOf(child);
      const killAfter = randomInt(5, 120);
      onLines(child, (line) => {
        const [what, id] = line.split(" ");
        if (what === "ready") setTimeout(() => child.kill("SIGKILL"), killAfter);
        else if (what === "enq" && id !== undefined) enqueued.add(id);
        else if (what === "done" && id !== undefined) acked.set(id, (acked.get(id) ?? 0) + 1);
      });
      child.stdin.write("go\n");
      const deadline = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const { signal } = await exited(child);
      clearTimeout(deadline);
      expect(signal, `worker ended without SIGKILL: ${stderr()}`).toBe("SIGKILL");
      kills++;
    }

    const drain = next;
    const drainErr = stderrOf(drain);
    let drained: string | undefined;
    onLines(drain, (line) => {
      const [what, id] = line.split(" ");
      if (what === "drained") drained = id;
      else if (what === "done" && id !== undefined) acked.set(id, (acked.get(id) ?? 0) + 1);
    });
    drain.stdin.write("go\n");
    const drainDeadline = setTimeout(() => drain.kill("SIGKILL"), 30_000);
    const drainExit = await exited(drain);
    clearTimeout(drainDeadline);
    expect(drainExit.code, `drain failed: ${drainErr()}`).toBe(0);
    expect(drained).toBe("0");

    // Read what is on disk.
    const db = new Level<string, Uint8Array>(location, { keyEncoding: "utf8", valueEncoding: "view" });
    await db.open();
    const effects = new Keyspace(db, { name: "effects" });
    const runs = new Map<string, number>();
    const effectCount = new Map<string, number>();
    const done = new Set<string>();
    for await (const [key] of effects.entries()) {
      const [kind, rest] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
      const id = rest.split("#")[0]!;
      if (kind === "run") runs.set(id, (runs.get(id) ?? 0) + 1);
      else if (kind === "effect") effectCount.set(id, (effectCount.get(id) ?? 0) + 1);
      else if (kind === "done") done.add(id);
    }
    const queue = await LevelDurableQueue.open({ db, name: "jobs" });
    const depth = await queue.depth();
    await queue.close();
    await db.close();

    const lost = [...enqueued].filter((id) => !done.has(id));
    const effectDuplicates = [...effectCount.values()].filter((n) => n > 1).length;
    const attemptDuplicates = [...runs.values()].filter((n) => n > 1).length;
    const extraRuns = [...runs.values()].reduce((sum, n) => sum + n - 1, 0);
    const ackedTwice = [...acked.values()].filter((n) => n > 1).length;
    const seconds = (performance.now() - started) / 1000;
    console.info(
      [
        `queue crash proof: ${kills} SIGKILLs at random moments (5–120 ms after open) + 1 drain run, ${seconds.toFixed(1)} s`,
        `  jobs acknowledged to the producer (enqueue resolved): ${enqueued.size}`,
        `  jobs completed (done-mark on disk; includes jobs whose enqueue reached disk but was killed before it resolved): ${done.size}`,
        `  acknowledged jobs lost: ${lost.length}`,
        `  handler runs: ${[...runs.values()].reduce((a, b) => a + b, 0)}; jobs run more than once (duplicates of attempts): ${attemptDuplicates} (${extraRuns} extra runs)`,
        `  acks seen twice by the workers: ${ackedTwice}`,
        `  effects: ${[...effectCount.values()].reduce((a, b) => a + b, 0)}; jobs whose effect happened more than once: ${effectDuplicates}`,
        `  queue after drain: ${JSON.stringify(depth)}`,
      ].join("\n"),
    );
    expect(kills).toBe(KILLS);
    expect(enqueued.size).toBeGreaterThan(0);
    expect(lost).toEqual([]);
    expect(effectDuplicates).toBe(0);
    for (const id of done) expect(effectCount.get(id), `effect of ${id}`).toBe(1);
    expect(depth).toEqual({ ready: 0, delayed: 0, inFlight: 0, deadLettered: 0 });
  }, 180_000);
});
