/**
 * Durable spooling: readings are recorded to a LevelDB spool before they go
 * on (group-committed fsyncs), an uploader replays them and checkpoints how
 * far it got, and after a restart it resumes from the checkpoint — nothing
 * re-sent twice, nothing lost.
 *
 * Run it: `node --import tsx examples/durable-spool.ts [DIR]`
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { from, lastValueFrom, take, toArray } from "rxjs";
import { LocalDurableSpool } from "manyfold-rx";

interface Reading {
  celsius: number;
}

export interface DurableReport {
  recorded: number[];
  firstUpload: number[];
  afterRestart: number[];
}

export async function main(location = mkdtempSync(join(tmpdir(), "manyfold-spool-")), log: (line: string) => void = console.log): Promise<DurableReport> {
  const open = (): Promise<LocalDurableSpool<Reading>> => LocalDurableSpool.open<Reading>({ location, name: "ambient", durability: "sync" });

  // 1. A sensor burst, each reading on disk before it is passed on.
  let spool = await open();
  const readings = [21.0, 21.2, 21.3, 21.1, 20.9, 21.4].map((celsius) => ({ celsius }));
  const recorded = await lastValueFrom(from(readings).pipe(spool.record(), toArray()));
  log(`recorded ${recorded.length} readings (offsets ${spool.firstOffset}–${spool.nextOffset - 1})`);

  // 2. The uploader sends four, checkpointing after each.
  const firstUpload = await lastValueFrom(spool.replay().pipe(take(4), toArray()));
  for (const record of firstUpload) await spool.checkpoints.commit("uploader", record.offset);
  log(`uploaded offsets ${firstUpload.map((r) => r.offset).join(", ")} then the process restarted`);
  await spool.close();

  // 3. After a restart the uploader resumes where it stopped.
  spool = await open();
  const resumeFrom = await spool.checkpoints.nextOffset("uploader");
  const afterRestart = await lastValueFrom(spool.replay({ from: resumeFrom }).pipe(toArray()));
  log(`resumed at offset ${resumeFrom}: uploaded ${afterRestart.map((r) => `${r.offset}=${r.value.celsius}°C`).join(", ")}`);
  await spool.close();

  return {
    recorded: recorded.map((r) => r.celsius),
    firstUpload: firstUpload.map((r) => r.offset),
    afterRestart: afterRestart.map((r) => r.offset),
  };
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) await main(process.argv[2]);
