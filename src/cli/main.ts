/**
 * The `manyfold` executable (bin/manyfold.js imports the built copy of this
 * file). It binds the dispatcher to the process's streams and exit code.
 */
import { runCli } from "./run.js";

function write(stream: NodeJS.WriteStream): (text: string) => void {
  return (text) => {
    stream.write(text);
  };
}

// A reader that stops early (`manyfold catalog list | head`) closes the pipe;
// that is not an error worth a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), { out: write(process.stdout), err: write(process.stderr) });
