import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Some tests start HTTP/2 servers and clients: seconds on a loaded CI machine, past vitest's
    // 5 s default. Tests of hangs set their own bounds.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
