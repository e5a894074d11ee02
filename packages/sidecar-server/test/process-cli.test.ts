import { execFile } from "node:child_process";
import { type AddressInfo, createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { portOfUrl, spawnSidecar, stopAllSidecars } from "./process-harness.js";
import { http } from "./server-harness.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const BROKEN_REPO = fileURLToPath(new URL("./fixtures/server/broken-repo", import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH, ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

afterEach(() => stopAllSidecars(1_000));

describe("gpu-sidecar CLI", () => {
  it("documents every serve flag in --help", async () => {
    const { code, stdout } = await run(["serve", "--help"]);
    expect(code).toBe(0);
    for (const flag of [
      "--config",
      "--model-repository",
      "--host",
      "--http-address",
      "--grpc-address",
      "--metrics-address",
      "--http-port",
      "--grpc-port",
      "--metrics-port",
      "--uds",
      "--model-control-mode",
      "--load-model",
      "--strict-model-load",
      "--log-level",
    ]) {
      expect(stdout).toContain(flag);
    }
  });

  it("exits 2 with the config issue when the configuration is unusable", async () => {
    const missing = await run(["serve"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("model_repository");
    const badPort = await run(["serve", "--model-repository", BROKEN_REPO, "--http-port", "x"]);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain("--http-port");
  });

  it("with --strict-model-load exits 1 naming the model that failed", async () => {
    const { code, stdout } = await run([
      "serve",
      "--model-repository",
      BROKEN_REPO,
      "--http-port",
      "0",
      "--grpc-port",
      "0",
      "--metrics-port",
      "false",
      "--strict-model-load",
    ]);
    expect(code).toBe(1);
    const records = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { msg: string; model?: string; level: number });
    expect(records).toContainEqual(
      expect.objectContaining({ model: "broken", msg: expect.stringContaining("failed to load") }),
    );
    expect(records.at(-1)?.msg).toMatch(/cannot start: strict_model_load: 1 of 2 models.*broken/);
  });

  it("without it serves the models that loaded and reports the others not ready", async () => {
    const sidecar = spawnSidecar({ modelRepository: BROKEN_REPO });
    const port = portOfUrl((await sidecar.serving).httpUrl);
    expect((await http(port, "/v2/health/live")).status).toBe(200);
    expect((await http(port, "/v2/health/ready")).status).toBe(400);
    expect((await http(port, "/v2/models/twin/ready")).status).toBe(200);
    expect((await http(port, "/v2/models/broken/ready")).status).toBe(400);
    const index = await http(port, "/v2/repository/index", { body: "" });
    expect(index.json()).toEqual([
      {
        name: "broken",
        version: "",
        state: "UNAVAILABLE",
        reason: expect.stringContaining("model.onnx"),
      },
      { name: "twin", version: "1", state: "READY", reason: "" },
    ]);
  }, 30_000);

  it("binds each listener to its own address with --http-address, --grpc-address and --metrics-address", async () => {
    const sidecar = spawnSidecar({
      modelRepository: BROKEN_REPO,
      args: [
        "--metrics-port",
        "0",
        "--metrics-address",
        "127.0.0.2",
        "--grpc-address",
        "127.0.0.3",
      ],
    });
    const addresses = await sidecar.serving;
    expect((await sidecar.waitForLog("listening")).hosts).toEqual({
      http: "127.0.0.1",
      grpc: "127.0.0.3",
      metrics: "127.0.0.2",
    });
    expect(addresses.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.2:\d+\/metrics$/);
    expect(addresses.grpcUrl).toMatch(/^http:\/\/127\.0\.0\.3:/);
    const metricsPort = portOfUrl(addresses.metricsUrl);
    expect((await fetch(`http://127.0.0.2:${metricsPort}/metrics`)).status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${metricsPort}/metrics`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${portOfUrl(addresses.grpcUrl)}/`)).rejects.toThrow();
    expect((await http(portOfUrl(addresses.httpUrl), "/v2/health/live")).status).toBe(200);
  }, 30_000);

  it("says why it cannot start in one stderr line and exits 1: port in use, missing repository", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const inUse = await run([
        "serve",
        "--model-repository",
        BROKEN_REPO,
        "--http-port",
        String(taken),
        "--grpc-port",
        "0",
        "--metrics-port",
        "false",
      ]);
      expect(inUse.code).toBe(1);
      expect(inUse.stderr).toBe(
        `gpu-sidecar: cannot start: cannot listen on 127.0.0.1:${taken} (http_address, http_port): the address is in use; stop the other process or choose another port (0 picks a free one)\n`,
      );
    } finally {
      blocker.close();
    }
    const missing = await run(["serve", "--model-repository", "/no/such/repository"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      "gpu-sidecar: cannot start: model repository /no/such/repository does not exist or is not a directory\n",
    );
    // The log line says the same, without a stack.
    expect(missing.stdout).not.toContain("stack");
  });
});
