import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { catalogStatus } from "../../src/index.js";

/** The TypeScript entry point itself runs under a TypeScript loader, as `npx tsx src/cli/main.ts` would. */
describe("src/cli/main.ts", () => {
  it("runs `catalog status` from source and prints the implemented/total count", async () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "src/cli/main.ts", "catalog", "status"], {
      cwd: root,
      timeout: 15_000,
    });
    const { implemented, total } = catalogStatus();
    expect(stdout).toContain(`${implemented}/${total} legos implemented`);
  });
});
