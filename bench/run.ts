/**
 * `npm run bench [name…]`: runs every `bench/*.bench.ts` (or the named ones)
 * one after another, each in its own process so one's garbage does not
 * slow the next, against the compiled dist/ (see use-dist.ts).
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

let failed = 0;
for (const file of files) {
  // use-dist.ts: the benches run the compiled library (npm run bench builds it first).
  const result = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", "--import", `${dir}use-dist.ts`, `${dir}${file}`], { stdio: "inherit" });
  if (result.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
