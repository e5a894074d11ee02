export { ConfigError } from "./config-error.js";
export type { ConfigIssue } from "./config-issue.js";
export { formatConfigIssue } from "./config-issue.js";
export type { ConfigOverride, OverrideKind, SidecarConfigFlags } from "./config-overrides.js";
export { CONFIG_FILE_ENV, CONFIG_OVERRIDES, ENV_PREFIX } from "./config-overrides.js";
export type { InstanceGroupConfig, InstanceKind } from "./instance-group.js";
export { INSTANCE_KINDS } from "./instance-group.js";
export type { LoadSidecarConfigOptions } from "./load-sidecar-config.js";
export { loadSidecarConfig } from "./load-sidecar-config.js";
export type {
  DynamicBatchingConfig,
  ExecutionProvider,
  ExecutorMode,
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
  EXECUTOR_MODES,
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
  CudaProviderOptions,
  OnnxRuntimeOptions,
  TensorRtProviderOptions,
} from "./onnxruntime-options.js";
export {
  ARENA_EXTEND_STRATEGIES,
  CUDNN_CONV_ALGO_SEARCHES,
  EXECUTION_MODES,
  GRAPH_OPTIMIZATION_LEVELS,
  parseOnnxRuntimeOptions,
  TENSORRT_PRECISION_MODES,
} from "./onnxruntime-options.js";
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
