import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Tests start fixture servers in child processes and open real HTTP/2 connections: seconds
    // on a loaded CI machine, past vitest's 5 s default. Tests of hangs set their own bounds.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
