import { resolve } from "node:path";

/**
 * CLI flags as the server's parser hands them over: Triton's flag names, camelCased
 * (`--http-port` → `httpPort`). Values may still be strings; they are coerced like
 * environment variables and then validated with everything else.
 */
export interface SidecarConfigFlags {
  /** `--config`: the JSON or YAML config file. */
  readonly config?: string | undefined;
  readonly modelRepository?: string | undefined;
  readonly host?: string | undefined;
  readonly httpAddress?: string | undefined;
  readonly grpcAddress?: string | undefined;
  readonly metricsAddress?: string | undefined;
  readonly httpPort?: string | number | false | undefined;
  readonly grpcPort?: string | number | false | undefined;
  readonly metricsPort?: string | number | false | undefined;
  readonly uds?: string | false | undefined;
  readonly modelControlMode?: string | undefined;
  readonly strictModelLoad?: string | boolean | undefined;
  readonly loadModel?: string | readonly string[] | undefined;
  readonly allowMetrics?: string | boolean | undefined;
  readonly metricsIntervalMs?: string | number | undefined;
  readonly metricsRequireAuth?: string | boolean | undefined;
  readonly logLevel?: string | undefined;
}

/** How an environment variable's (or a string flag's) text becomes a config value. */
export type OverrideKind =
  | "string"
  | "path"
  | "path-or-off"
  | "port"
  | "count"
  | "boolean"
  | "list";

/** One config key that the environment, and possibly a CLI flag, can set. */
export interface ConfigOverride {
  /** Dotted key path in the sidecar config. */
  readonly key: string;
  readonly env: string;
  readonly flag?: { readonly name: string; readonly option: keyof SidecarConfigFlags };
  readonly kind: OverrideKind;
}

export const ENV_PREFIX = "GPU_SIDECAR_";
/** Names the config file when no `--config` flag does. */
export const CONFIG_FILE_ENV = "GPU_SIDECAR_CONFIG";

export const CONFIG_OVERRIDES: readonly ConfigOverride[] = [
  {
    key: "model_repository",
    env: "GPU_SIDECAR_MODEL_REPOSITORY",
    flag: { name: "--model-repository", option: "modelRepository" },
    kind: "path",
  },
  {
    key: "server.host",
    env: "GPU_SIDECAR_HOST",
    flag: { name: "--host", option: "host" },
    kind: "string",
  },
  {
    key: "server.http_address",
    env: "GPU_SIDECAR_HTTP_ADDRESS",
    flag: { name: "--http-address", option: "httpAddress" },
    kind: "string",
  },
  {
    key: "server.grpc_address",
    env: "GPU_SIDECAR_GRPC_ADDRESS",
    flag: { name: "--grpc-address", option: "grpcAddress" },
    kind: "string",
  },
  {
    key: "server.metrics_address",
    env: "GPU_SIDECAR_METRICS_ADDRESS",
    flag: { name: "--metrics-address", option: "metricsAddress" },
    kind: "string",
  },
  {
    key: "server.http_port",
    env: "GPU_SIDECAR_HTTP_PORT",
    flag: { name: "--http-port", option: "httpPort" },
    kind: "port",
  },
  {
    key: "server.grpc_port",
    env: "GPU_SIDECAR_GRPC_PORT",
    flag: { name: "--grpc-port", option: "grpcPort" },
    kind: "port",
  },
  {
    key: "server.metrics_port",
    env: "GPU_SIDECAR_METRICS_PORT",
    flag: { name: "--metrics-port", option: "metricsPort" },
    kind: "port",
  },
  {
    key: "server.uds.path",
    env: "GPU_SIDECAR_UDS",
    flag: { name: "--uds", option: "uds" },
    kind: "path-or-off",
  },
  { key: "server.uds.mode", env: "GPU_SIDECAR_UDS_MODE", kind: "string" },
  { key: "server.limits.max_request_bytes", env: "GPU_SIDECAR_MAX_REQUEST_BYTES", kind: "count" },
  { key: "server.limits.drain_timeout_ms", env: "GPU_SIDECAR_DRAIN_TIMEOUT_MS", kind: "count" },
  { key: "server.limits.drain_grace_ms", env: "GPU_SIDECAR_DRAIN_GRACE_MS", kind: "count" },
  // No flag: a token on the command line is visible to every user of the host.
  { key: "server.auth.bearer_token", env: "GPU_SIDECAR_AUTH_BEARER_TOKEN", kind: "string" },
  {
    key: "model_control_mode",
    env: "GPU_SIDECAR_MODEL_CONTROL_MODE",
    flag: { name: "--model-control-mode", option: "modelControlMode" },
    kind: "string",
  },
  {
    key: "strict_model_load",
    env: "GPU_SIDECAR_STRICT_MODEL_LOAD",
    flag: { name: "--strict-model-load", option: "strictModelLoad" },
    kind: "boolean",
  },
  {
    key: "models",
    env: "GPU_SIDECAR_MODELS",
    flag: { name: "--load-model", option: "loadModel" },
    kind: "list",
  },
  {
    key: "metrics.enabled",
    env: "GPU_SIDECAR_METRICS_ENABLED",
    flag: { name: "--allow-metrics", option: "allowMetrics" },
    kind: "boolean",
  },
  {
    key: "metrics.gpu_poll_interval_ms",
    env: "GPU_SIDECAR_GPU_POLL_INTERVAL_MS",
    flag: { name: "--metrics-interval-ms", option: "metricsIntervalMs" },
    kind: "count",
  },
  { key: "metrics.nvidia_smi_path", env: "GPU_SIDECAR_NVIDIA_SMI_PATH", kind: "string" },
  {
    key: "metrics.require_auth",
    env: "GPU_SIDECAR_METRICS_REQUIRE_AUTH",
    flag: { name: "--metrics-require-auth", option: "metricsRequireAuth" },
    kind: "boolean",
  },
  {
    key: "log.level",
    env: "GPU_SIDECAR_LOG_LEVEL",
    flag: { name: "--log-level", option: "logLevel" },
    kind: "string",
  },
];

function toInteger(text: string): number | string {
  return /^\d+$/.test(text) ? Number(text) : text;
}

/**
 * Turns override text into the value the schema expects. Text that does not fit is passed on
 * unchanged, so that validation reports it with the variable or flag that set it.
 */
export function coerceOverride(
  kind: OverrideKind,
  raw: string | number | boolean | readonly string[],
  cwd: string,
): unknown {
  if (Array.isArray(raw)) return kind === "list" ? [...raw] : raw;
  if (typeof raw !== "string") return raw;
  switch (kind) {
    case "string":
      return raw;
    case "path":
      return resolve(cwd, raw);
    case "path-or-off":
      return raw === "false" ? false : resolve(cwd, raw);
    case "port":
      return raw === "false" ? false : toInteger(raw);
    case "count":
      return toInteger(raw);
    case "boolean":
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      return raw;
    case "list":
      return raw
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== "");
  }
}

/** Keys that hold filesystem paths, which a config file gives relative to its own directory. */
export const PATH_KEYS: readonly string[] = CONFIG_OVERRIDES.filter(
  (override) => override.kind === "path" || override.kind === "path-or-off",
).map((override) => override.key);
