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
