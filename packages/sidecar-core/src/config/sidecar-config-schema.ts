import { z } from "zod";
import { countSchema as count, MiB } from "./count-schema.js";
import { modelNameSchema } from "./model-name.js";
import { parseConfig } from "./parse-config.js";
import { strictSection } from "./strict-section.js";

export const MODEL_CONTROL_MODES = ["none", "explicit"] as const;
export type ModelControlMode = (typeof MODEL_CONTROL_MODES)[number];

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Protobuf cannot encode a message of 2 GiB or more, so no request may be that large. */
const MAX_PROTOBUF_BYTES = 2 ** 31 - 1;
/** Linux `sun_path` holds 108 bytes including the terminating NUL. */
const MAX_UDS_PATH_BYTES = 107;

const portSchema = z.union(
  [z.int().min(0).max(65535), z.literal(false), z.null().transform(() => false as const)],
  { error: "expected a TCP port 0-65535 (0 picks a free port), or false or null to disable" },
);

const fileModeSchema = z.union(
  [
    z.int().min(0).max(0o777, {
      error:
        'must be at most 511 (0o777); write the mode as an octal string such as "0600" (quote it in YAML, where an unquoted 0600 is the decimal 600)',
    }),
    z
      .string()
      .regex(/^0?[0-7]{3}$/)
      .transform((octal) => Number.parseInt(octal, 8)),
  ],
  { error: 'expected permission bits as an octal string such as "0600", or a number 0-511' },
);

const udsPathSchema = z.union(
  [
    z
      .string()
      .min(1)
      .refine((path) => new TextEncoder().encode(path).length <= MAX_UDS_PATH_BYTES, {
        error: `a Unix socket path may be at most ${MAX_UDS_PATH_BYTES} bytes on Linux; choose a shorter path`,
      }),
    z.literal(false),
    z.null().transform(() => false as const),
  ],
  { error: "expected a socket file path, or false or null to disable the Unix socket" },
);

const TCP_PORTS = ["http_port", "grpc_port", "metrics_port"] as const;
/** Each TCP port's own bind address, Triton's `--http-address` and friends; unset: `host`. */
const ADDRESS_OF = {
  http_port: "http_address",
  grpc_port: "grpc_address",
  metrics_port: "metrics_address",
} as const;

function isWildcard(address: string): boolean {
  return address === "0.0.0.0" || address === "::";
}

const serverSchema = strictSection({
  // Loopback unless configured: the co-located workers are the intended callers.
  host: z.string().min(1).default("127.0.0.1"),
  http_port: portSchema.default(8000),
  grpc_port: portSchema.default(8001),
  metrics_port: portSchema.default(8002),
  // Separate addresses let probes and scraping reach a pod while inference stays on loopback.
  http_address: z.string().min(1).optional(),
  grpc_address: z.string().min(1).optional(),
  metrics_address: z.string().min(1).optional(),
  uds: strictSection({
    path: udsPathSchema.default(false),
    mode: fileModeSchema.default(0o600),
  }).prefault({}),
  limits: strictSection({
    max_request_bytes: z
      .int()
      .min(1)
      .max(MAX_PROTOBUF_BYTES)
      .default(64 * MiB),
    drain_timeout_ms: count(0).default(30_000),
    drain_grace_ms: count(0).default(1_000),
  }).prefault({}),
  auth: strictSection({ bearer_token: z.string().min(1).optional() }).prefault({}),
})
  .superRefine((server, ctx) => {
    const bound: { readonly key: string; readonly address: string; readonly port: number }[] = [];
    for (const key of TCP_PORTS) {
      const port = server[key];
      // Port 0 asks the OS for a free port, so several zeros never collide.
      if (port === false || port === 0) continue;
      // One port on two addresses is two sockets, unless one of them binds every interface.
      const address = server[ADDRESS_OF[key]] ?? server.host;
      const owner = bound.find(
        (other) =>
          other.port === port &&
          (other.address === address || isWildcard(other.address) || isWildcard(address)),
      );
      if (owner !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          input: port,
          message: `server.${owner.key} already uses this port on this address; give each enabled port its own number or address`,
        });
      }
      bound.push({ key, address, port });
    }
    if (TCP_PORTS.every((key) => server[key] === false) && server.uds.path === false) {
      ctx.addIssue({
        code: "custom",
        path: [],
        input: server,
        message:
          "every listener is disabled, so nothing could reach the sidecar: enable http_port, grpc_port, metrics_port or uds.path",
      });
    }
  })
  .transform(({ http_address, grpc_address, metrics_address, ...server }) => ({
    ...server,
    http_address: http_address ?? server.host,
    grpc_address: grpc_address ?? server.host,
    metrics_address: metrics_address ?? server.host,
  }));

const metricsSchema = strictSection({
  enabled: z.boolean().default(true),
  gpu_poll_interval_ms: count(0).default(2000),
  nvidia_smi_path: z.string().min(1).default("nvidia-smi"),
  // Open by default, as Prometheus targets usually are; the metrics name models and count calls.
  require_auth: z.boolean().default(false),
});

/** The sidecar process's configuration; per-model settings live in the model repository. */
export const sidecarConfigSchema = strictSection({
  server: serverSchema.prefault({}),
  model_repository: z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? "required: set it in the config file, with GPU_SIDECAR_MODEL_REPOSITORY or with --model-repository"
          : undefined,
    })
    .min(1),
  model_control_mode: z.enum(MODEL_CONTROL_MODES).default("none"),
  strict_model_load: z.boolean().default(false),
  models: z.array(modelNameSchema).default(() => []),
  metrics: metricsSchema.prefault({}),
  log: strictSection({ level: z.enum(LOG_LEVELS).default("info") }).prefault({}),
}).superRefine((config, ctx) => {
  if (config.metrics.require_auth && config.server.auth.bearer_token === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["metrics", "require_auth"],
      input: true,
      message:
        "needs a token to require: set server.auth.bearer_token (GPU_SIDECAR_AUTH_BEARER_TOKEN), or leave require_auth false",
    });
  }
  if (config.models.length > 0 && config.model_control_mode !== "explicit") {
    ctx.addIssue({
      code: "custom",
      path: ["models"],
      input: config.models,
      message:
        'mode "none" loads every model of the repository; list models only with model_control_mode "explicit"',
    });
  }
  const seen = new Set<string>();
  config.models.forEach((name, index) => {
    if (seen.has(name)) {
      ctx.addIssue({
        code: "custom",
        path: ["models", index],
        input: name,
        message: "listed twice",
      });
    }
    seen.add(name);
  });
});

export type SidecarConfig = z.output<typeof sidecarConfigSchema>;
export type SidecarConfigInput = z.input<typeof sidecarConfigSchema>;
export type ServerConfig = SidecarConfig["server"];
export type MetricsConfig = SidecarConfig["metrics"];
/** A TCP port, or `false` when that listener is disabled. */
export type PortSetting = ServerConfig["http_port"];

/**
 * Validates a sidecar config given as an object (embedding, tests): defaults fill what is
 * missing, relative paths stay as given. Throws a ConfigError listing every issue.
 */
export function parseSidecarConfig(input: unknown, source = "configuration"): SidecarConfig {
  return parseConfig(sidecarConfigSchema, input, () => source);
}
