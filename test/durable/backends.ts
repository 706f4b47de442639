/**
 * The backends every durable suite runs against (DESIGN.md §4 "Storage
 * follows abstract-level"): memory-level, and classic-level on disk in a
 * temporary directory that is removed afterwards.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { MemoryLevel } from "memory-level";

export type Database = Level<string, Uint8Array> | MemoryLevel<string, Uint8Array>;

export interface BackendHandle {
  /** The open database. */
  db: Database;
  /** LevelDB directory (disk backend only). */
  location: string | undefined;
  /** Closes the database and opens the same data again (a restart). */
  reopen(): Promise<Database>;
  /** Closes and deletes everything. */
  dispose(): Promise<void>;
}

export interface Backend {
  name: string;
  onDisk: boolean;
  create(): Promise<BackendHandle>;
}

const encodings = { keyEncoding: "utf8", valueEncoding: "view" } as const;

export const memoryBackend: Backend = {
  name: "memory-level",
  onDisk: false,
  async create() {
    const handle: BackendHandle = {
      db: new MemoryLevel<string, Uint8Array>(encodings),
      location: undefined,
      async reopen() {
        // memory-level keeps its data across close() and open().
        await handle.db.close();
        await handle.db.open();
        return handle.db;
      },
      async dispose() {
        await handle.db.close();
      },
    };
    await handle.db.open();
    return handle;
  },
};

/** A fresh temporary directory for a LevelDB database. */
export async function tempLocation(prefix = "manyfold-durable-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export const levelBackend: Backend = {
  name: "classic-level (disk)",
  onDisk: true,
  async create() {
    const location = await tempLocation();
    const handle: BackendHandle = {
      db: new Level<string, Uint8Array>(location, encodings),
      location,
      async reopen() {
        await handle.db.close();
        handle.db = new Level<string, Uint8Array>(location, encodings);
        await handle.db.open();
        return handle.db;
      },
      async dispose() {
        await handle.db.close();
        await rm(location, { recursive: true, force: true });
      },
    };
    await handle.db.open();
    return handle;
  },
};

export const backends: readonly Backend[] = [memoryBackend, levelBackend];

export const text = (value: string): Uint8Array => new TextEncoder().encode(value);
export const untext = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Makes the next writes of `db` fail (a prewrite hook that throws) until the returned function is called. */
export function failWrites(db: Database, message = "disk full (simulated)"): () => void {
  const hook = (): void => {
    throw new Error(message);
  };
  db.hooks.prewrite.add(hook);
  return () => {
    db.hooks.prewrite.delete(hook);
  };
}

/** Collects async-iterable items into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
