export { parseConfigLines } from "./config-lines.js";
export type { DecimalInput } from "./decimal.js";
export type { GpuCoordinator, GpuCoordinatorOptions } from "./gpu-coordinator.js";
export { createGpuCoordinator } from "./gpu-coordinator.js";
export type { GpuDiscoveryOptions } from "./gpu-discovery.js";
export {
  DEFAULT_GPU_DISCOVERY_ARGS,
  DEFAULT_GPU_DISCOVERY_COMMAND,
  DEFAULT_GPU_DISCOVERY_TIMEOUT_MS,
  discoverGpus,
  GPU_STATUS_QUERY_ARGS,
  gpuDiscoveryOptionsFor,
  readGpuStatus,
} from "./gpu-discovery.js";
export type { GpuInfo } from "./gpu-info.js";
export type { GpuStatus } from "./gpu-status.js";
export type { MemorySizeInput } from "./memory-size.js";
export { formatMemorySize, parseMemorySize } from "./memory-size.js";
export { parseGpuStatusOutput, parseNvidiaSmiOutput } from "./nvidia-smi-output.js";
export { createResourceProfile, ResourceProfile } from "./resource-profile.js";
export type { ResourceProfileBuilder, ResourceProfileSpec } from "./resource-profile-builder.js";
export { ResourceProfileError, ResourceProfileErrorCode } from "./resource-profile-error.js";
export type {
  ResourceProfileJSON,
  SpecifiedResourceProfileJSON,
} from "./resource-profile-json.js";
export { selectGpus } from "./select-gpus.js";
export type { VisibleGpu } from "./visible-gpus.js";
export { visibleGpus } from "./visible-gpus.js";
export {
  ExternalResourceKeySuffixes,
  externalResourceKey,
  WorkerConfigKeys,
} from "./worker-config-keys.js";
export type { ExternalResourceDeclaration, WorkerDeclaration } from "./worker-declaration.js";
export { parseWorkerDeclaration } from "./worker-declaration.js";
