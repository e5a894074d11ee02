import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  type ConfigIssue,
  type LoadSidecarConfigOptions,
  loadSidecarConfig,
} from "../src/config/index.js";

const CHECKED_IN_FIXTURES = resolve(import.meta.dirname, "fixtures/config");

/**
 * A copy of the fixtures in a short temporary directory. The fixtures name a Unix socket
 * relative to their file, and a socket path may hold only 107 bytes: read in place, they would
 * pass or fail with the length of the checkout's path.
 */
async function shortCopyOf(fixtures: string): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), "gsc-config-"));
  await cp(fixtures, copy, { recursive: true });
  return copy;
}

const FIXTURES = await shortCopyOf(CHECKED_IN_FIXTURES);
const fixture = (name: string) => join(FIXTURES, name);
afterAll(() => rm(FIXTURES, { recursive: true, force: true }));

describe("the fixtures", () => {
  it("load the same at any checkout depth", async () => {
    const root = await mkdtemp(join(tmpdir(), "gsc-deep-"));
    try {
      const deep = join(root, ...Array.from({ length: 12 }, () => "a-long-directory-name"));
      await mkdir(deep, { recursive: true });
      await cp(CHECKED_IN_FIXTURES, deep, { recursive: true });
      // Read in place, the deep checkout's socket path is too long for Linux.
      const inPlace = await issuesOf({ flags: { config: join(deep, "sidecar.yaml") } });
      expect(inPlace.map((issue) => issue.path)).toEqual(["server.uds.path"]);
      const copy = await shortCopyOf(deep);
      try {
        const config = await loadSidecarConfig({
          flags: { config: join(copy, "sidecar.yaml") },
          env: {},
        });
        expect(config.server.uds.path).toBe(join(copy, "run/sidecar.sock"));
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

async function issuesOf(options: LoadSidecarConfigOptions): Promise<ConfigIssue[]> {
  const error = await loadSidecarConfig({ env: {}, ...options }).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return [...(error as ConfigError).issues];
}

describe("loading a config file", () => {
  it("reads YAML, rebasing relative paths onto the file's directory", async () => {
    const config = await loadSidecarConfig({ flags: { config: fixture("sidecar.yaml") }, env: {} });
    expect(config).toEqual({
      server: {
        host: "0.0.0.0",
        http_address: "127.0.0.1",
        grpc_address: "10.0.0.5",
        metrics_address: "::",
        http_port: 9000,
        grpc_port: 9001,
        metrics_port: false,
        uds: { path: join(FIXTURES, "run/sidecar.sock"), mode: 0o660 },
        limits: { max_request_bytes: 1_048_576, drain_timeout_ms: 5000, drain_grace_ms: 1_000 },
        auth: { bearer_token: "s3cret" },
      },
      model_repository: join(FIXTURES, "models"),
      model_control_mode: "explicit",
      strict_model_load: true,
      models: ["fraud", "ranker"],
      metrics: {
        enabled: true,
        gpu_poll_interval_ms: 0,
        nvidia_smi_path: "/usr/bin/nvidia-smi",
        require_auth: false,
      },
      log: { level: "debug" },
    });
  });

  it("reads the same settings from JSON", async () => {
    const yaml = await loadSidecarConfig({ flags: { config: fixture("sidecar.yaml") }, env: {} });
    const json = await loadSidecarConfig({ flags: { config: fixture("sidecar.json") }, env: {} });
    expect(json).toEqual(yaml);
  });

  it("tells JSON from YAML by content when the extension says neither", async () => {
    const json = await loadSidecarConfig({ flags: { config: fixture("sidecar.conf") }, env: {} });
    expect(json.model_repository).toBe("/srv/models");
    const yaml = await loadSidecarConfig({
      flags: { config: fixture("yaml-content.cfg") },
      env: {},
    });
    expect(yaml.log.level).toBe("warn");
  });

  it("takes the file from GPU_SIDECAR_CONFIG, relative to cwd", async () => {
    const config = await loadSidecarConfig({
      env: { GPU_SIDECAR_CONFIG: "minimal.yml" },
      cwd: FIXTURES,
    });
    expect(config.model_repository).toBe("/srv/models");
  });

  it("reports every issue of a file at once, each with the file named", async () => {
    const issues = await issuesOf({ flags: { config: fixture("invalid.yaml") } });
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      "metrics.gpu_poll_interval_ms",
      "model_control_mode",
      "model_repository",
      "server.grpc_port",
      "server.htp_port",
      "server.uds.mode",
      "strict_model_load",
    ]);
    for (const issue of issues) expect(issue.source).toBe(fixture("invalid.yaml"));
    const mode = issues.find((issue) => issue.path === "server.uds.mode");
    expect(mode?.received).toBe(600);
  });

  it("reports a missing file as NOT_FOUND", async () => {
    const error = await loadSidecarConfig({
      flags: { config: fixture("absent.yaml") },
      env: {},
    }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe("NOT_FOUND");
    expect((error as ConfigError).message).toContain(fixture("absent.yaml"));
  });

  it("reports YAML syntax errors with the file named", async () => {
    const [yaml] = await issuesOf({ flags: { config: fixture("duplicate-key.yaml") } });
    expect(yaml?.source).toBe(fixture("duplicate-key.yaml"));
    expect(yaml?.message).toContain("not valid YAML");
    expect(yaml?.message).toContain("model_repository");
  });

  it("rejects a file whose top level is not an object", async () => {
    const [issue] = await issuesOf({ flags: { config: fixture("list.yaml") } });
    expect(issue?.message).toContain("expected an object");
    expect(issue?.received).toEqual(["model_repository"]);
  });

  // Written at run time: files that are not valid JSON would fail the repository's lint.
  describe("files written by the test", () => {
    let directory: string;
    beforeAll(async () => {
      directory = await mkdtemp(join(tmpdir(), "sidecar-config-"));
    });
    afterAll(async () => {
      await rm(directory, { recursive: true, force: true });
    });

    it("reads an empty file as no settings", async () => {
      const file = join(directory, "empty.yaml");
      await writeFile(file, "\n# nothing yet\n");
      const config = await loadSidecarConfig({
        flags: { config: file, modelRepository: "/srv/models" },
        env: {},
      });
      expect(config.server.http_port).toBe(8000);
    });

    it("reports JSON syntax errors with the file named", async () => {
      const file = join(directory, "broken.json");
      await writeFile(file, '{ "model_repository": "/a", }');
      const [issue] = await issuesOf({ flags: { config: file } });
      expect(issue?.source).toBe(file);
      expect(issue?.message).toContain("not valid JSON");
    });
  });
});

describe("environment overrides", () => {
  it("sets every key of the table from GPU_SIDECAR_* text", async () => {
    const config = await loadSidecarConfig({
      cwd: "/app",
      env: {
        GPU_SIDECAR_MODEL_REPOSITORY: "models",
        GPU_SIDECAR_HOST: "0.0.0.0",
        GPU_SIDECAR_HTTP_ADDRESS: "127.0.0.1",
        GPU_SIDECAR_GRPC_ADDRESS: "10.0.0.5",
        GPU_SIDECAR_METRICS_ADDRESS: "::",
        GPU_SIDECAR_HTTP_PORT: "9000",
        GPU_SIDECAR_GRPC_PORT: "false",
        GPU_SIDECAR_METRICS_PORT: "0",
        GPU_SIDECAR_UDS: "/run/gpu-sidecar.sock",
        GPU_SIDECAR_UDS_MODE: "0660",
        GPU_SIDECAR_MAX_REQUEST_BYTES: "1024",
        GPU_SIDECAR_DRAIN_TIMEOUT_MS: "10",
        GPU_SIDECAR_DRAIN_GRACE_MS: "5",
        GPU_SIDECAR_AUTH_BEARER_TOKEN: "t0ken",
        GPU_SIDECAR_MODEL_CONTROL_MODE: "explicit",
        GPU_SIDECAR_STRICT_MODEL_LOAD: "1",
        GPU_SIDECAR_MODELS: "fraud, ranker,",
        GPU_SIDECAR_METRICS_ENABLED: "false",
        GPU_SIDECAR_GPU_POLL_INTERVAL_MS: "500",
        GPU_SIDECAR_NVIDIA_SMI_PATH: "/opt/bin/nvidia-smi",
        GPU_SIDECAR_METRICS_REQUIRE_AUTH: "true",
        GPU_SIDECAR_LOG_LEVEL: "warn",
        PATH: "/usr/bin",
      },
    });
    expect(config).toEqual({
      server: {
        host: "0.0.0.0",
        http_address: "127.0.0.1",
        grpc_address: "10.0.0.5",
        metrics_address: "::",
        http_port: 9000,
        grpc_port: false,
        metrics_port: 0,
        uds: { path: "/run/gpu-sidecar.sock", mode: 0o660 },
        limits: { max_request_bytes: 1024, drain_timeout_ms: 10, drain_grace_ms: 5 },
        auth: { bearer_token: "t0ken" },
      },
      model_repository: "/app/models",
      model_control_mode: "explicit",
      strict_model_load: true,
      models: ["fraud", "ranker"],
      metrics: {
        enabled: false,
        gpu_poll_interval_ms: 500,
        nvidia_smi_path: "/opt/bin/nvidia-smi",
        require_auth: true,
      },
      log: { level: "warn" },
    });
  });

  it("treats an empty variable as unset", async () => {
    const config = await loadSidecarConfig({
      env: { GPU_SIDECAR_MODEL_REPOSITORY: "/srv/models", GPU_SIDECAR_HTTP_PORT: "" },
    });
    expect(config.server.http_port).toBe(8000);
  });

  it("names the variable that set a bad value", async () => {
    const issues = await issuesOf({
      env: {
        GPU_SIDECAR_MODEL_REPOSITORY: "/srv/models",
        GPU_SIDECAR_HTTP_PORT: "eighty",
        GPU_SIDECAR_STRICT_MODEL_LOAD: "maybe",
      },
    });
    expect(issues).toEqual([
      expect.objectContaining({
        source: "environment variable GPU_SIDECAR_HTTP_PORT",
        path: "server.http_port",
        received: "eighty",
      }),
      expect.objectContaining({
        source: "environment variable GPU_SIDECAR_STRICT_MODEL_LOAD",
        path: "strict_model_load",
        received: "maybe",
        message: "expected true or false",
      }),
    ]);
  });

  it("rejects an unknown GPU_SIDECAR_ variable, listing the known ones, with the other issues", async () => {
    const issues = await issuesOf({
      env: { GPU_SIDECAR_HTTP_PROT: "9000", GPU_SIDECAR_LOG_LEVEL: "loud" },
    });
    expect(issues.map((issue) => issue.source).sort()).toEqual([
      "configuration",
      "environment variable GPU_SIDECAR_HTTP_PROT",
      "environment variable GPU_SIDECAR_LOG_LEVEL",
    ]);
    const unknown = issues.find((issue) => issue.source.endsWith("GPU_SIDECAR_HTTP_PROT"));
    expect(unknown?.message).toContain("GPU_SIDECAR_HTTP_PORT");
  });

  it("ignores the service-link variables Kubernetes injects for a Service named gpu-sidecar", async () => {
    const config = await loadSidecarConfig({
      env: {
        GPU_SIDECAR_SERVICE_HOST: "10.96.12.7",
        GPU_SIDECAR_SERVICE_PORT: "8000",
        GPU_SIDECAR_SERVICE_PORT_GRPC: "8001",
        GPU_SIDECAR_SERVICE_PORT_HTTP_METRICS: "8002",
        GPU_SIDECAR_PORT: "tcp://10.96.12.7:8000",
        GPU_SIDECAR_PORT_8000_TCP: "tcp://10.96.12.7:8000",
        GPU_SIDECAR_PORT_8000_TCP_PROTO: "tcp",
        GPU_SIDECAR_PORT_8000_TCP_PORT: "8000",
        GPU_SIDECAR_PORT_8000_TCP_ADDR: "10.96.12.7",
        GPU_SIDECAR_PORT_8001_TCP_ADDR: "fd00::12:7",
        GPU_SIDECAR_HTTP_PORT: "9000",
        GPU_SIDECAR_MODEL_REPOSITORY: "/models",
      },
    });
    expect(config.server.http_port).toBe(9000);
  });

  it("still refuses typos and look-alikes of service-link variables", async () => {
    const issues = await issuesOf({
      env: {
        GPU_SIDECAR_PORT: "8000",
        GPU_SIDECAR_SERVICE_HOTS: "10.96.12.7",
        GPU_SIDECAR_PORT_8000_TCP_ADRR: "10.96.12.7",
        GPU_SIDECAR_GRCP_PORT: "8001",
        GPU_SIDECAR_MODEL_REPOSITORY: "/models",
      },
    });
    expect(issues.map((issue) => issue.source).sort()).toEqual([
      "environment variable GPU_SIDECAR_GRCP_PORT",
      "environment variable GPU_SIDECAR_PORT",
      "environment variable GPU_SIDECAR_PORT_8000_TCP_ADRR",
      "environment variable GPU_SIDECAR_SERVICE_HOTS",
    ]);
  });

  it("attributes an issue to the file when the environment did not set that key", async () => {
    const issues = await issuesOf({
      flags: { config: fixture("invalid.yaml") },
      env: { GPU_SIDECAR_MODEL_CONTROL_MODE: "polling" },
    });
    const mode = issues.find((issue) => issue.path === "model_control_mode");
    expect(mode?.source).toBe("environment variable GPU_SIDECAR_MODEL_CONTROL_MODE");
    expect(mode?.received).toBe("polling");
    const port = issues.find((issue) => issue.path === "server.grpc_port");
    expect(port?.source).toBe(fixture("invalid.yaml"));
  });
});

describe("flag overrides", () => {
  it("accepts the parsed Triton flags, strings or typed values", async () => {
    const config = await loadSidecarConfig({
      cwd: "/app",
      env: {},
      flags: {
        modelRepository: "models",
        host: "::",
        httpPort: "9100",
        grpcPort: 9101,
        metricsPort: false,
        uds: "run/s.sock",
        modelControlMode: "explicit",
        strictModelLoad: true,
        loadModel: ["fraud", "ranker"],
        allowMetrics: "false",
        metricsIntervalMs: 250,
        logLevel: "trace",
      },
    });
    expect(config.model_repository).toBe("/app/models");
    expect(config.server).toMatchObject({
      host: "::",
      http_port: 9100,
      grpc_port: 9101,
      metrics_port: false,
      uds: { path: "/app/run/s.sock" },
    });
    expect(config).toMatchObject({
      model_control_mode: "explicit",
      strict_model_load: true,
      models: ["fraud", "ranker"],
      metrics: { enabled: false, gpu_poll_interval_ms: 250 },
      log: { level: "trace" },
    });
  });

  it("names the flag that set a bad value", async () => {
    const [issue] = await issuesOf({ flags: { modelRepository: "/m", grpcPort: "70000" } });
    expect(issue).toMatchObject({
      source: "flag --grpc-port",
      path: "server.grpc_port",
      received: 70000,
      message: "must be at most 65535",
    });
  });

  it("names the flag for an issue inside a list it set", async () => {
    const [issue] = await issuesOf({
      flags: { modelRepository: "/m", modelControlMode: "explicit", loadModel: ["ok", "../up"] },
    });
    expect(issue).toMatchObject({
      source: "flag --load-model",
      path: "models[1]",
      received: "../up",
    });
  });
});

describe("precedence: defaults < file < environment < flags", () => {
  it("keeps the file's other keys when the environment overrides one of a section", async () => {
    const config = await loadSidecarConfig({
      flags: { config: fixture("sidecar.yaml") },
      env: { GPU_SIDECAR_HTTP_PORT: "9500" },
    });
    expect(config.server).toMatchObject({ host: "0.0.0.0", http_port: 9500, grpc_port: 9001 });
  });

  it("picks the highest layer that sets each port, for any combination", async () => {
    const port = fc.option(fc.integer({ min: 10_000, max: 65_535 }), { nil: undefined });
    const layers = fc.record({ file: port, env: port, flag: port });
    const keys = [
      { key: "http_port", env: "GPU_SIDECAR_HTTP_PORT", flag: "httpPort", fallback: 8000 },
      { key: "grpc_port", env: "GPU_SIDECAR_GRPC_PORT", flag: "grpcPort", fallback: 8001 },
      { key: "metrics_port", env: "GPU_SIDECAR_METRICS_PORT", flag: "metricsPort", fallback: 8002 },
    ] as const;
    const directory = await mkdtemp(join(tmpdir(), "sidecar-precedence-"));
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.tuple(layers, layers, layers).filter((triple) => {
            // Distinct effective ports, else the (correct) collision check fires instead.
            const effective = triple.map((l, i) => l.flag ?? l.env ?? l.file ?? keys[i]?.fallback);
            return new Set(effective).size === 3;
          }),
          async (triple) => {
            const file = join(directory, "sidecar.json");
            const server: Record<string, number> = {};
            const env: Record<string, string> = {};
            const flags: Record<string, number | string> = { config: file };
            triple.forEach((layer, index) => {
              const target = keys[index];
              if (target === undefined) return;
              if (layer.file !== undefined) server[target.key] = layer.file;
              if (layer.env !== undefined) env[target.env] = String(layer.env);
              if (layer.flag !== undefined) flags[target.flag] = String(layer.flag);
            });
            await writeFile(file, JSON.stringify({ model_repository: "/m", server }));
            const config = await loadSidecarConfig({ env, flags });
            triple.forEach((layer, index) => {
              const target = keys[index];
              if (target === undefined) return;
              expect(config.server[target.key]).toBe(
                layer.flag ?? layer.env ?? layer.file ?? target.fallback,
              );
            });
          },
        ),
        { numRuns: 60 },
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("lets a flag name the file over GPU_SIDECAR_CONFIG", async () => {
    const config = await loadSidecarConfig({
      flags: { config: fixture("minimal.yml") },
      env: { GPU_SIDECAR_CONFIG: fixture("absent.yaml") },
    });
    expect(config.model_repository).toBe("/srv/models");
  });
});
