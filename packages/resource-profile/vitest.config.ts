import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The coordination tests run child processes that import the built dist/index.js.
    globalSetup: ["./test/build-dist.ts"],
    testTimeout: 30_000,
  },
});
