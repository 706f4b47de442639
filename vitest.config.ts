import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^manyfold-rx\/testing$/, replacement: src("testing/index.ts") },
      { find: /^manyfold-rx\/mqtt$/, replacement: src("engines/mqtt/index.ts") },
      { find: /^manyfold-rx\/nats$/, replacement: src("engines/nats/index.ts") },
      { find: /^manyfold-rx$/, replacement: src("index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
  },
});
