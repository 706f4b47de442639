/** Helpers for the tests that run a fixture in a real child process. */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export type Child = ChildProcessByStdio<Writable, Readable, Readable>;

/** Starts `node --import tsx <fixture> …args` from the repository root. */
export function runFixture(fixture: string, args: readonly string[]): Child {
  const path = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
  return spawn(process.execPath, ["--import", "tsx", path, ...args], { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] });
}

/** Calls `onLine` for each complete stdout line (a partial last line is never reported). */
export function onLines(child: Child, onLine: (line: string) => void): void {
  let rest = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop() ?? "";
    for (const line of parts) onLine(line);
  });
}

/** Resolves with the exit code or signal once the child has exited. */
export function exited(child: Child): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => resolve({ code, signal }));
  });
}

/** Collects stderr, for failure messages. */
export function stderrOf(child: Child): () => string {
  let text = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => (text += chunk));
  return () => text;
}
