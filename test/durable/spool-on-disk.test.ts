import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { lastValueFrom, of, toArray } from "rxjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalDurableSpool, isLegoError } from "../../src/index.js";
import { tempLocation } from "./backends.js";
import { exited, onLines, runFixture, stderrOf } from "./child-process.js";

describe("LocalDurableSpool at a LevelDB location", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await tempLocation("manyfold-spool-");
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates the directory (and missing parents), and reopens with offsets continuing", async () => {
    const location = join(dir, "nested", "spool");
    const spool = await LocalDurableSpool.open<number>({ location, name: "readings" });
    expect(spool.location).toBe(location);
    await lastValueFrom(of(1, 2).pipe(spool.record()));
    await spool.close();
    expect((await stat(join(location, "CURRENT"))).isFile()).toBe(true);
    const reopened = await LocalDurableSpool.open<number>({ location, name: "readings" });
    expect(reopened.nextOffset).toBe(2);
    expect((await lastValueFrom(reopened.replay().pipe(toArray()))).map((r) => r.value)).toEqual([1, 2]);
    await reopened.close();
  });

  it("refuses a location another process holds with SPOOL_LOCKED", async () => {
    const location = join(dir, "spool");
    const child = runFixture("hold-spool.ts", [location]);
    const stderr = stderrOf(child);
    try {
      await new Promise<void>((resolve, reject) => {
        onLines(child, (line) => {
          if (line === "open") resolve();
        });
        child.once("exit", () => reject(new Error(`holder exited early: ${stderr()}`)));
      });
      const error: unknown = await LocalDurableSpool.open({ location, name: "readings" }).catch((e: unknown) => e);
      expect(isLegoError(error, "SPOOL_LOCKED")).toBe(true);
      expect((error as Error).message).toMatch(/spool "readings" at .* is locked by another process/);
      expect(((error as Error).cause as { code?: string }).code).toBe("LEVEL_DATABASE_NOT_OPEN");
    } finally {
      child.stdin.end();
      await exited(child);
    }
    // Once the holder has gone, the location opens.
    const spool = await LocalDurableSpool.open({ location, name: "readings" });
    await spool.close();
  });

  it("refuses a second open of the same location in this process with SPOOL_LOCKED", async () => {
    const location = join(dir, "spool");
    const first = await LocalDurableSpool.open({ location, name: "a" });
    const error: unknown = await LocalDurableSpool.open({ location, name: "b" }).catch((e: unknown) => e);
    expect(isLegoError(error, "SPOOL_LOCKED")).toBe(true);
    await first.close();
  });

  it("reports a location that cannot be a database with SPOOL_OPEN_FAILED", async () => {
    const location = join(dir, "file");
    await writeFile(location, "not a directory");
    const error: unknown = await LocalDurableSpool.open({ location, name: "a" }).catch((e: unknown) => e);
    expect(isLegoError(error, "SPOOL_OPEN_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(/could not be opened/);
  });

  it("closes the database it opened, so the location can be opened again at once", async () => {
    const location = join(dir, "spool");
    await mkdir(location, { recursive: true });
    for (let i = 0; i < 3; i++) {
      const spool = await LocalDurableSpool.open<number>({ location, name: "readings", durability: "relaxed" });
      await lastValueFrom(of(i).pipe(spool.record()));
      await spool.close();
    }
    const spool = await LocalDurableSpool.open<number>({ location, name: "readings" });
    expect(spool.nextOffset).toBe(3);
    await spool.close();
  });
});
