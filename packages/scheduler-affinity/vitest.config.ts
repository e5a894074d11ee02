import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The extender's process test starts a real sidecar, which loads its models first.
    testTimeout: 60_000,
  },
});
