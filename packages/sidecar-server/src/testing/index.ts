export type {
  SidecarExit,
  SidecarLogRecord,
  SpawnedSidecar,
  SpawnedSidecarAddresses,
  SpawnSidecarOptions,
} from "./spawn-sidecar.js";
export { BUNDLED_MODEL_REPOSITORY, spawnSidecar, stopAllSidecars } from "./spawn-sidecar.js";
