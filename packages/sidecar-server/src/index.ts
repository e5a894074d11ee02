export type { MockBackendOptions } from "./backends/mock-backend.js";
export { createMockBackend } from "./backends/mock-backend.js";
export type { OnnxBackendOptions, OnnxSessionFactory } from "./backends/onnx-backend.js";
export { createOnnxBackend } from "./backends/onnx-backend.js";
export type {
  BatchEvent,
  BatcherMetrics,
  MetricOutcome,
  RequestOutcomeEvent,
} from "./batching/batcher-metrics.js";
export type {
  BatcherStatistics,
  BatchSizeStatistic,
  ComputePhases,
  DurationStatistic,
} from "./batching/batcher-statistics.js";
export type {
  DynamicBatcher,
  DynamicBatcherOptions,
  InferenceSubmission,
} from "./batching/dynamic-batcher.js";
export { createDynamicBatcher } from "./batching/dynamic-batcher.js";
export type {
  ExecutorPool,
  ExecutorPoolOptions,
  InstanceBatchEvent,
} from "./executor/executor-pool.js";
export { createExecutorPool } from "./executor/executor-pool.js";
export type {
  GpuInventory,
  GpuInventoryOptions,
  SidecarGpu,
} from "./executor/gpu-inventory.js";
export { createGpuInventory, GpuInventoryError } from "./executor/gpu-inventory.js";
export { createConfiguredMetrics } from "./metrics/configured-metrics.js";
export type { InstanceBatchHook } from "./metrics/instance-counters.js";
export type { PrometheusMetrics, SidecarMetricsOptions } from "./metrics/sidecar-metrics.js";
export { createSidecarMetrics } from "./metrics/sidecar-metrics.js";
export type { SidecarAddresses, TcpAddress } from "./server/listeners.js";
export type {
  ModelIndexEntry,
  ModelManager,
  ModelState,
  ModelVersionStatistics,
} from "./server/model-manager.js";
export type { ServedVersion } from "./server/model-version.js";
export type { Sidecar, SidecarMetrics, SidecarOptions } from "./server/sidecar.js";
export { startSidecar } from "./server/sidecar.js";
