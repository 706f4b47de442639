import { describe, expect, it } from "vitest";
import { LevelVersionedRegister, MemoryVersionedRegister } from "../../../src/index.js";
import { versionedRegisterConformance } from "../../../src/testing/index.js";
import { backends, type BackendHandle } from "../backends.js";

versionedRegisterConformance({ describe, it }, "MemoryVersionedRegister", { open: () => Promise.resolve(new MemoryVersionedRegister()) });

for (const backend of backends) {
  const handles = new Map<object, BackendHandle>();
  versionedRegisterConformance({ describe, it }, `LevelVersionedRegister on ${backend.name}`, {
    async open() {
      const handle = await backend.create();
      const register = await LevelVersionedRegister.open<{ celsius: number }>(handle.db);
      handles.set(register, handle);
      return register;
    },
    async dispose(register) {
      await handles.get(register)?.dispose();
      handles.delete(register);
    },
  });

  describe(`LevelVersionedRegister on ${backend.name} across a restart`, () => {
    it("keeps values, versions and the version counter", async () => {
      const handle = await backend.create();
      try {
        const first = await LevelVersionedRegister.open<string>(handle.db, { group: "g" });
        const v1 = await first.create("leader", "a");
        await first.put("other", "x");
        await first.delete("other");
        expect(first.version).toBe(3);
        expect(first.lego).toEqual({ kind: "VersionedRegister", name: "register", group: "g" });
        await first.close();
        await handle.reopen();
        const second = await LevelVersionedRegister.open<string>(handle.db);
        expect(await second.get("leader")).toEqual({ key: "leader", value: "a", version: v1 });
        expect(second.version).toBe(3);
        expect(await second.update("leader", "b", v1)).toBe(4);
        await second.close();
      } finally {
        await handle.dispose();
      }
    });
  });
}
