/**
 * Imported before each bench (`node --import tsx --import ./bench/use-dist.ts`
 * by bench/run.ts): a bench's imports of `../src/…` load the compiled
 * `dist/…` instead, so the figures are those of the code users run. Under
 * tsx the sources are transformed with esbuild's keepNames, which wraps
 * every named function in a `__name` call and costs the library (never the
 * peer, which ships compiled) a share of each hot loop. The benches keep
 * importing src/ so they type-check without a build. `BENCH_SOURCE=1`
 * measures the sources instead.
 */
import { register } from "node:module";

const src = new URL("../src/", import.meta.url).href;
const dist = new URL("../dist/", import.meta.url).href;
const bench = new URL("./", import.meta.url).href;

// A resolve hook, registered from a data: URL so it needs no file of its own.
const hooks = `
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const parent = context.parentURL ?? "";
  if (!parent.startsWith(${JSON.stringify(bench)}) || !resolved.url.startsWith(${JSON.stringify(src)})) return resolved;
  return { ...resolved, url: ${JSON.stringify(dist)} + resolved.url.slice(${src.length}).replace(/\\.ts$/, ".js"), format: "module" };
}
`;

if (process.env.BENCH_SOURCE !== "1") register(`data:text/javascript,${encodeURIComponent(hooks)}`, import.meta.url);
