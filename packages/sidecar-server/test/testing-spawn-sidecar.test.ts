import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type * as TestingModule from "../src/testing/index.js";
import { spawnSidecar, stopAllSidecars } from "./process-harness.js";
import { http } from "./server-harness.js";

afterEach(() => stopAllSidecars(1_000));

describe("@gpu-sidecar/sidecar-server/testing", () => {
  it("reports the listeners of the `listening` line and stops once, however often it is asked", async () => {
    const sidecar = spawnSidecar();
    expect(sidecar.pid).toBeGreaterThan(0);
    const addresses = await sidecar.listening;
    expect(addresses.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(addresses.grpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(addresses.metricsUrl).toBeUndefined();
    expect(addresses.unixUrl).toBe(`unix://${addresses.socketPath}`);
    expect(await sidecar.serving).toEqual(addresses);
    expect(await sidecar.waitForLog("serving")).toMatchObject({ models: 2, ready: true });
    const port = Number(new URL(addresses.httpUrl ?? "").port);
    expect((await http(port, "/v2/health/ready")).status).toBe(200);

    const first = sidecar.stop();
    const second = sidecar.stop();
    expect(second).toBe(first);
    expect(await first).toEqual({ code: 0, signal: null, forced: false });
    expect(sidecar.running).toBe(false);
    // The private socket directory it made is gone with the process.
    expect(existsSync(dirname(addresses.socketPath ?? ""))).toBe(false);
  }, 30_000);

  it("rejects `listening` with the reason and the output when the sidecar cannot start", async () => {
    const sidecar = spawnSidecar({ args: ["--http-port", "not-a-port"] });
    await expect(sidecar.listening).rejects.toThrow(/exited \(code 2\).*\n.*--http-port/s);
    expect((await sidecar.exited).code).toBe(2);
  });

  it("is the same module from CommonJS", () => {
    const required = createRequire(import.meta.url)("../dist/testing.cjs") as typeof TestingModule;
    expect(typeof required.spawnSidecar).toBe("function");
    expect(existsSync(required.BUNDLED_MODEL_REPOSITORY)).toBe(true);
  });
});
