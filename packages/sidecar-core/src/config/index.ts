export { ConfigError } from "./config-error.js";
export type { ConfigIssue } from "./config-issue.js";
export { formatConfigIssue } from "./config-issue.js";
export type { ConfigOverride, OverrideKind, SidecarConfigFlags } from "./config-overrides.js";
export { CONFIG_FILE_ENV, CONFIG_OVERRIDES, ENV_PREFIX } from "./config-overrides.js";
export type { LoadSidecarConfigOptions } from "./load-sidecar-config.js";
export { loadSidecarConfig } from "./load-sidecar-config.js";
export type {
  DynamicBatchingConfig,
  ExecutionProvider,
  InputPaddingConfig,
  MockModelConfig,
  MockSettings,
  ModelBackendName,
  ModelConfig,
  ModelConfigInput,
  OnnxModelConfig,
} from "./model-config-schema.js";
export {
  EXECUTION_PROVIDERS,
  MODEL_BACKENDS,
  modelConfigSchema,
  parseModelConfig,
} from "./model-config-schema.js";
export { isModelName, MODEL_NAME_PATTERN } from "./model-name.js";
export type { ModelRepository, ModelVersion, RepositoryModel } from "./model-repository.js";
export {
  loadModelRepository,
  MODEL_CONFIG_FILE,
  ONNX_MODEL_FILE,
} from "./model-repository.js";
export type {
  LogLevel,
  MetricsConfig,
  ModelControlMode,
  PortSetting,
  ServerConfig,
  SidecarConfig,
  SidecarConfigInput,
} from "./sidecar-config-schema.js";
export {
  LOG_LEVELS,
  MODEL_CONTROL_MODES,
  parseSidecarConfig,
  sidecarConfigSchema,
} from "./sidecar-config-schema.js";
export type { ResolvedVersions, VersionPolicy } from "./version-policy.js";
export { resolveVersionPolicy } from "./version-policy.js";
