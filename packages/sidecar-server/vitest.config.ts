import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Many tests start servers, worker threads and onnxruntime sessions: on a loaded CI machine
    // that takes seconds, past vitest's 5 s default. Tests of hangs set their own bounds.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
