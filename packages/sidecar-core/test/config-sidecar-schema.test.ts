import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  type ConfigIssue,
  formatConfigIssue,
  parseSidecarConfig,
} from "../src/config/index.js";
import { SidecarError } from "../src/sidecar-error.js";

/** The issues of a config that must fail, as `path → message` plus the raw list. */
function issuesOf(input: unknown): ConfigIssue[] {
  try {
    parseSidecarConfig(input, "sidecar.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error("expected the config to be rejected");
}

function issueAt(input: unknown, path: string): ConfigIssue {
  const issues = issuesOf(input);
  const issue = issues.find((candidate) => candidate.path === path);
  if (issue === undefined) {
    throw new Error(`no issue at ${path}; issues: ${issues.map(formatConfigIssue).join(" | ")}`);
  }
  return issue;
}

const repo = { model_repository: "/srv/models" };

describe("sidecar config defaults", () => {
  it("makes a model repository path alone a complete config", () => {
    expect(parseSidecarConfig(repo)).toEqual({
      server: {
        host: "127.0.0.1",
        http_address: "127.0.0.1",
        grpc_address: "127.0.0.1",
        metrics_address: "127.0.0.1",
        http_port: 8000,
        grpc_port: 8001,
        metrics_port: 8002,
        uds: { path: false, mode: 0o600 },
        limits: {
          max_request_bytes: 64 * 1024 * 1024,
          drain_timeout_ms: 30_000,
          drain_grace_ms: 1_000,
        },
        auth: {},
      },
      model_repository: "/srv/models",
      model_control_mode: "none",
      strict_model_load: false,
      models: [],
      metrics: {
        enabled: true,
        gpu_poll_interval_ms: 2000,
        nvidia_smi_path: "nvidia-smi",
        require_auth: false,
      },
      log: { level: "info" },
    });
  });

  it("does not share default objects between parses", () => {
    const first = parseSidecarConfig(repo);
    first.models.push("mutated");
    expect(parseSidecarConfig(repo).models).toEqual([]);
  });
});

describe("sidecar config values", () => {
  it("disables a listener with false or null", () => {
    const config = parseSidecarConfig({ ...repo, server: { http_port: false, grpc_port: null } });
    expect(config.server.http_port).toBe(false);
    expect(config.server.grpc_port).toBe(false);
    expect(config.server.metrics_port).toBe(8002);
  });

  it("accepts the socket mode as an octal string or a number", () => {
    const mode = (value: unknown) =>
      parseSidecarConfig({ ...repo, server: { uds: { path: "/run/s.sock", mode: value } } }).server
        .uds.mode;
    expect(mode("0660")).toBe(0o660);
    expect(mode("600")).toBe(0o600);
    expect(mode(0o640)).toBe(0o640);
  });

  it("allows several port-0 listeners, since the OS gives each a free port", () => {
    const config = parseSidecarConfig({
      ...repo,
      server: { http_port: 0, grpc_port: 0, metrics_port: 0 },
    });
    expect(config.server.grpc_port).toBe(0);
  });

  it("accepts every port in range", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), (port) => {
        const config = parseSidecarConfig({
          ...repo,
          server: { http_port: port, grpc_port: false, metrics_port: false },
        });
        expect(config.server.http_port).toBe(port);
      }),
    );
  });

  it("rejects every integer outside the port range", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ max: -1 }), fc.integer({ min: 65536 })), (port) => {
        const issue = issueAt({ ...repo, server: { http_port: port } }, "server.http_port");
        expect(issue.received).toBe(port);
      }),
    );
  });
});

describe("sidecar config issues", () => {
  it("names the key path, the value and the allowed values of a bad port", () => {
    const issue = issueAt({ ...repo, server: { http_port: "eighty" } }, "server.http_port");
    expect(issue).toMatchObject({ source: "sidecar.yaml", received: "eighty" });
    expect(issue.message).toContain("0-65535");
    expect(issue.message).toContain("false or null to disable");
  });

  it("lists the allowed values of an enum", () => {
    const issue = issueAt({ ...repo, model_control_mode: "poll" }, "model_control_mode");
    expect(issue.message).toBe('expected one of "none", "explicit"');
    expect(issueAt({ ...repo, log: { level: "loud" } }, "log.level").message).toContain('"debug"');
  });

  it("rejects unknown keys, naming each one and the keys allowed there", () => {
    const issues = issuesOf({ ...repo, server: { htp_port: 1, limit: {} }, extra: true });
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      "extra",
      "server.htp_port",
      "server.limit",
    ]);
    const typo = issues.find((issue) => issue.path === "server.htp_port");
    expect(typo?.message).toContain("allowed keys: host, http_port, grpc_port");
    expect(typo?.received).toBe(1);
  });

  it("reports wrong types with what was expected", () => {
    expect(issueAt({ ...repo, strict_model_load: "yes" }, "strict_model_load").message).toBe(
      "expected true or false",
    );
    expect(issueAt({ ...repo, server: { host: 7 } }, "server.host").message).toBe(
      "expected a string",
    );
    expect(
      issueAt(
        { ...repo, server: { limits: { drain_timeout_ms: 1.5 } } },
        "server.limits.drain_timeout_ms",
      ).message,
    ).toBe("expected an integer");
    expect(issueAt({ ...repo, server: [] }, "server").message).toBe(
      "expected an object of keys and values",
    );
  });

  it("reports numbers out of range with the bound", () => {
    expect(
      issueAt({ ...repo, metrics: { gpu_poll_interval_ms: -5 } }, "metrics.gpu_poll_interval_ms")
        .message,
    ).toBe("must be at least 0");
    expect(
      issueAt(
        { ...repo, server: { limits: { max_request_bytes: 2 ** 31 } } },
        "server.limits.max_request_bytes",
      ).message,
    ).toBe(`must be at most ${2 ** 31 - 1}`);
  });

  it("explains that an unquoted YAML 0600 socket mode is decimal", () => {
    const issue = issueAt({ ...repo, server: { uds: { mode: 600 } } }, "server.uds.mode");
    expect(issue.message).toContain('"0600"');
    expect(issue.received).toBe(600);
    expect(
      issueAt({ ...repo, server: { uds: { mode: "rw-------" } } }, "server.uds.mode").message,
    ).toContain("octal string");
  });

  it("rejects a socket path longer than Linux allows", () => {
    const issue = issueAt(
      { ...repo, server: { uds: { path: `/run/${"s".repeat(120)}.sock` } } },
      "server.uds.path",
    );
    expect(issue.message).toContain("107 bytes");
  });

  it("says where a missing model repository can be given", () => {
    const issue = issueAt({}, "model_repository");
    expect(issue.received).toBeUndefined();
    expect(issue.message).toContain("GPU_SIDECAR_MODEL_REPOSITORY");
    expect(issue.message).toContain("--model-repository");
  });

  it("rejects model names that could leave the repository", () => {
    for (const name of ["../escape", "a/b", ".", "..", ".hidden", "-rf", ""]) {
      const issue = issueAt(
        { ...repo, model_control_mode: "explicit", models: [name] },
        "models[0]",
      );
      expect(issue.received).toBe(name);
    }
  });

  it("collects every issue of a config in one error", () => {
    const issues = issuesOf({
      server: { htp_port: 1, grpc_port: -1 },
      model_control_mode: "poll",
      log: { level: 3 },
    });
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      "log.level",
      "model_control_mode",
      "model_repository",
      "server.grpc_port",
      "server.htp_port",
    ]);
  });

  it("is a SidecarError with code INVALID_ARGUMENT whose message lists every issue", () => {
    try {
      parseSidecarConfig({ model_control_mode: "poll" }, "sidecar.yaml");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SidecarError);
      expect(SidecarError.from(error)).toBe(error);
      expect((error as SidecarError).code).toBe("INVALID_ARGUMENT");
      const message = (error as Error).message;
      expect(message).toContain("2 issues");
      expect(message).toContain(
        'sidecar.yaml: model_control_mode: expected one of "none", "explicit" (got "poll")',
      );
      expect(message).toContain("sidecar.yaml: model_repository: required");
    }
  });

  it("never prints the bearer token", () => {
    try {
      parseSidecarConfig({ ...repo, server: { auth: { bearer_token: 123456 } } });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain("123456");
      expect((error as Error).message).toContain("<redacted>");
    }
  });
});

describe("sidecar config cross-field checks", () => {
  it("rejects two enabled listeners on one port, naming both", () => {
    const issue = issueAt(
      { ...repo, server: { http_port: 9000, metrics_port: 9000 } },
      "server.metrics_port",
    );
    expect(issue.message).toContain("server.http_port already uses this port");
    expect(issue.received).toBe(9000);
  });

  it("gives each listener its own address, defaulting to host, and lets one port serve two addresses", () => {
    const server = parseSidecarConfig({
      ...repo,
      server: { host: "10.0.0.5", metrics_address: "0.0.0.0", grpc_address: "127.0.0.1" },
    }).server;
    expect([server.http_address, server.grpc_address, server.metrics_address]).toEqual([
      "10.0.0.5",
      "127.0.0.1",
      "0.0.0.0",
    ]);
    const shared = parseSidecarConfig({
      ...repo,
      server: { http_port: 9000, grpc_port: 9000, grpc_address: "10.0.0.5" },
    }).server;
    expect([shared.http_port, shared.grpc_port]).toEqual([9000, 9000]);
    expect(
      issueAt(
        { ...repo, server: { http_port: 9000, metrics_port: 9000, metrics_address: "0.0.0.0" } },
        "server.metrics_port",
      ).message,
    ).toContain("server.http_port already uses this port on this address");
  });

  it("rejects a port that collides with another listener's default", () => {
    expect(issueAt({ ...repo, server: { http_port: 8001 } }, "server.grpc_port").message).toContain(
      "server.http_port",
    );
  });

  it("finds a collision between any two of the three ports", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 65535 }),
        fc.constantFrom<[string, string]>(
          ["http_port", "grpc_port"],
          ["http_port", "metrics_port"],
          ["grpc_port", "metrics_port"],
        ),
        (port, [first, second]) => {
          const server: Record<string, number | false> = {
            http_port: false,
            grpc_port: false,
            metrics_port: false,
            [first]: port,
            [second]: port,
          };
          expect(issueAt({ ...repo, server }, `server.${second}`).message).toContain(
            `server.${first}`,
          );
        },
      ),
    );
  });

  it("rejects a config with every listener disabled", () => {
    const off = { http_port: false, grpc_port: false, metrics_port: false };
    expect(issueAt({ ...repo, server: off }, "server").message).toContain(
      "every listener is disabled",
    );
    expect(
      parseSidecarConfig({ ...repo, server: { ...off, uds: { path: "/run/s.sock" } } }).server.uds
        .path,
    ).toBe("/run/s.sock");
  });

  it("accepts a model list only in explicit mode", () => {
    expect(issueAt({ ...repo, models: ["fraud"] }, "models").message).toContain('"explicit"');
    expect(
      parseSidecarConfig({ ...repo, model_control_mode: "explicit", models: ["fraud"] }).models,
    ).toEqual(["fraud"]);
  });

  it("requires a bearer token for metrics.require_auth, naming both keys", () => {
    const issue = issueAt({ ...repo, metrics: { require_auth: true } }, "metrics.require_auth");
    expect(issue.message).toContain("server.auth.bearer_token");
    expect(
      issueAt({ ...repo, metrics: { require_auth: "yes" } }, "metrics.require_auth").message,
    ).toBe("expected true or false");
    expect(
      parseSidecarConfig({
        ...repo,
        server: { auth: { bearer_token: "t" } },
        metrics: { require_auth: true },
      }).metrics.require_auth,
    ).toBe(true);
  });

  it("rejects a model listed twice", () => {
    const issue = issueAt(
      { ...repo, model_control_mode: "explicit", models: ["fraud", "ranker", "fraud"] },
      "models[2]",
    );
    expect(issue.message).toBe("listed twice");
  });
});
