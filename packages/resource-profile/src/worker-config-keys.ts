/** The Flink configuration keys a worker declaration reads (all others are ignored). */
export const WorkerConfigKeys = {
  numberOfTaskSlots: "taskmanager.numberOfTaskSlots",
  cpuCores: "taskmanager.cpu.cores",
  taskHeapSize: "taskmanager.memory.task.heap.size",
  taskOffHeapSize: "taskmanager.memory.task.off-heap.size",
  managedSize: "taskmanager.memory.managed.size",
  networkMin: "taskmanager.memory.network.min",
  networkMax: "taskmanager.memory.network.max",
  /** `;`-separated names of the worker's external resources, e.g. `gpu`. */
  externalResources: "external-resources",
} as const;

/** The keys under `external-resource.<name>.`; `param.*` passes anything to the driver. */
export const ExternalResourceKeySuffixes = {
  amount: "amount",
  driverFactoryClass: "driver-factory.class",
  kubernetesConfigKey: "kubernetes.config-key",
  yarnConfigKey: "yarn.config-key",
  paramPrefix: "param.",
} as const;

/** `external-resource.<name>.<suffix>`, e.g. `external-resource.gpu.amount`. */
export function externalResourceKey(name: string, suffix: string): string {
  return `external-resource.${name}.${suffix}`;
}
