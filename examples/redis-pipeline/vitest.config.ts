import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The test runs the whole pipeline: redis-server, a sidecar (restarted once), worker processes.
    testTimeout: 240_000,
  },
});
