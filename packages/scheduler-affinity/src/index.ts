export type { ExtenderConfig, ExtenderNodeConfig } from "./extender/extender-config.js";
export { parseExtenderConfig } from "./extender/extender-config.js";
export { nodeRegistration } from "./extender/extender-nodes.js";
export type { ExtenderServerOptions } from "./extender/extender-server.js";
export { createExtenderServer } from "./extender/extender-server.js";
export type {
  ExtenderFilterResult,
  FailedNodesMap,
  HostPriority,
} from "./extender/extender-wire.js";
export { MAX_EXTENDER_PRIORITY } from "./extender/extender-wire.js";
export { PodAnnotation } from "./extender/pod-annotations.js";
export type {
  PrioritizeResult,
  SchedulerExtender,
  SchedulerExtenderOptions,
} from "./extender/scheduler-extender.js";
export { createSchedulerExtender } from "./extender/scheduler-extender.js";
export type { PlacementEngine, PlacementEngineOptions } from "./placement-engine.js";
export { createPlacementEngine } from "./placement-engine.js";
export { PlacementError, PlacementErrorCode } from "./placement-error.js";
export type { PlacementEventsOptions } from "./placement-event-stream.js";
export { PlacementMetric } from "./placement-metrics.js";
export type {
  Allocation,
  GpuShare,
  PendingRequest,
  PlacementEvent,
  PlacementRequest,
  PlacementResult,
  PlacementStrategy,
  Shortfall,
  SidecarReport,
  WorkerGpu,
  WorkerRegistration,
  WorkerView,
} from "./placement-types.js";
export type { SidecarLiveView, SidecarLiveViewOptions } from "./sidecar-live-view.js";
export { createSidecarLiveView } from "./sidecar-live-view.js";
