import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Each test runs the whole job: a real sidecar process and worker threads.
    testTimeout: 90_000,
  },
});
