import { describe, expect, it } from "vitest";
import { lastValueFrom, toArray } from "rxjs";
import { EventLog, ManualClock } from "../../src/index.js";
import { eventLogConformance } from "../../src/testing/index.js";
import { backends, type BackendHandle } from "./backends.js";

for (const backend of backends) {
  const handles = new Map<object, BackendHandle>();
  eventLogConformance({ describe, it }, `EventLog on ${backend.name}`, {
    async open() {
      const handle = await backend.create();
      const log = await EventLog.open<{ celsius: number }>(handle.db, { name: "log" });
      handles.set(log, handle);
      return log;
    },
    async dispose(log) {
      await handles.get(log)?.dispose();
      handles.delete(log);
    },
  });

  describe(`EventLog ids on ${backend.name}`, () => {
    it("remembers append ids across a restart, within the window only", async () => {
      const handle = await backend.create();
      try {
        const clock = new ManualClock(0);
        const first = await EventLog.open<number>(handle.db, { name: "log", clock, dedupeWindow: 1_000 });
        await first.append(1, { id: "a" });
        clock.advance(600);
        await first.append(2, { id: "b" });
        await first.close();
        await handle.reopen();
        const second = await EventLog.open<number>(handle.db, { name: "log", clock, dedupeWindow: 1_000 });
        expect(await second.append(1, { id: "a" })).toEqual({ offset: 0, duplicate: true });
        clock.advance(400);
        expect(await second.append(1, { id: "a" })).toEqual({ offset: 2, duplicate: false });
        expect(await second.append(2, { id: "b" })).toEqual({ offset: 1, duplicate: true });
        expect((await lastValueFrom(second.replay().pipe(toArray()))).map((r) => r.value)).toEqual([1, 2, 1]);
        await second.close();
      } finally {
        await handle.dispose();
      }
    });

    it("forgets the oldest ids beyond maxIds", async () => {
      const handle = await backend.create();
      try {
        const log = await EventLog.open<number>(handle.db, { name: "log", maxIds: 2 });
        for (const id of ["a", "b", "c"]) await log.append(0, { id });
        expect((await log.append(0, { id: "a" })).duplicate).toBe(false);
        expect((await log.append(0, { id: "c" })).duplicate).toBe(true);
        await log.close();
      } finally {
        await handle.dispose();
      }
    });
  });
}
