import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/**
 * Runs the real `manyfold` CLI in a child process. {@link compileCli}
 * compiles src/cli/main.ts and every module it imports, file by file with
 * TypeScript (as `npm run build` does, but only those files and without
 * type-checking, which `npm run typecheck` covers), so each spawn is a plain
 * `node main.js`: tens of milliseconds instead of a TypeScript loader per
 * spawn, and no dependency on a prior build.
 */

const root = fileURLToPath(new URL("../..", import.meta.url));
const src = join(root, "src");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CompiledCli {
  /** Path of the compiled entry point. */
  readonly main: string;
  /** Removes the compiled files. */
  dispose(): void;
}

const COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  verbatimModuleSyntax: true,
  sourceMap: false,
};

/** Relative specifiers a module imports or re-exports (`./x.js`, `../y/index.js`). */
function relativeImports(source: string): string[] {
  const specifiers = source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.\.?\/[^"']+)["']/g);
  return [...specifiers].map((match) => match[1] ?? "");
}

/**
 * Compiles the CLI into a fresh directory under node_modules/.cache (inside
 * the repository, so its package imports resolve as the real files' do).
 */
export function compileCli(): CompiledCli {
  const cache = join(root, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const outDir = mkdtempSync(join(cache, "manyfold-cli-test-"));
  // node_modules/ ends the search for a package scope, so mark the output as ESM here.
  writeFileSync(join(outDir, "package.json"), '{ "type": "module" }\n');
  const pending = [join(src, "cli", "main.ts")];
  const done = new Set<string>();
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (done.has(file)) continue;
    done.add(file);
    const source = readFileSync(file, "utf8");
    const output = ts.transpileModule(source, { compilerOptions: COMPILER_OPTIONS, fileName: file });
    const target = join(outDir, relative(src, file)).replace(/\.ts$/, ".js");
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, output.outputText);
    for (const specifier of relativeImports(source)) pending.push(resolve(dirname(file), specifier).replace(/\.js$/, ".ts"));
  }
  return {
    main: join(outDir, "cli", "main.js"),
    dispose: () => {
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Runs `node <main> …args` and collects its exit code and output; killed after `timeout` ms. */
export function runCompiledCli(main: string, args: readonly string[], timeout = 15_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, [main, ...args], { cwd: root, timeout }, (error, stdout, stderr) => {
      if (error === null) {
        resolvePromise({ code: 0, stdout, stderr });
      } else if (typeof error.code === "number") {
        resolvePromise({ code: error.code, stdout, stderr });
      } else {
        reject(new Error(`could not run ${main}: ${error.message}`, { cause: error }));
      }
    });
  });
}
