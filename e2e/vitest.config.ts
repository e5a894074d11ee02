import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Every file here starts real processes (sidecars load onnxruntime first): seconds each on a
    // loaded CI machine, where vitest's 5 s default fails tests that are only slow to start.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
