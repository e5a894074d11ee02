import {
  ErrorCode,
  type InstanceDevice,
  type InstanceGroupConfig,
  SidecarError,
} from "@gpu-sidecar/sidecar-core";
import { type GpuInventory, GpuInventoryError, type SidecarGpu } from "./gpu-inventory.js";

export interface PlaceInstancesOptions {
  /** Names the model version in messages. */
  readonly label: string;
  readonly groups: readonly InstanceGroupConfig[];
  readonly inventory: GpuInventory;
  /** The bytes of the model's files: what each GPU instance needs at least. */
  readonly modelBytes: () => Promise<number>;
  /** With no GPU on the node, run GPU groups on the CPU (with a warning) instead of failing. */
  readonly allowCpuFallback: boolean;
  readonly warn: (message: string) => void;
  /** The process's `CUDA_VISIBLE_DEVICES`, named in messages when it hides GPUs. */
  readonly cudaVisibleDevices: string | undefined;
}

const MIB = 1024 * 1024;

function mib(bytes: number): string {
  return `${Math.ceil(bytes / MIB)} MiB`;
}

function describeGpus(gpus: readonly SidecarGpu[]): string {
  if (gpus.length === 0) return "none";
  return gpus
    .map(
      (gpu) =>
        `${gpu.cudaDevice} (${gpu.name}, ${gpu.uuid}${gpu.index === gpu.cudaDevice ? "" : `, nvidia-smi index ${gpu.index}`})`,
    )
    .join(", ");
}

/**
 * Where each instance of a model version runs, in instance order: a group's `count` instances
 * on each of its GPUs in turn (gpus [0, 1], count 2 → 0, 0, 1, 1), as Triton places an
 * instance_group. Refuses a GPU the process cannot see (listing those it can) and a GPU whose
 * free memory is smaller than the model's files times the instances placed on it, so the load
 * fails with both figures instead of with an out-of-memory deep inside CUDA.
 */
export async function placeInstances(options: PlaceInstancesOptions): Promise<InstanceDevice[]> {
  const { label, groups, inventory, allowCpuFallback, warn, cudaVisibleDevices } = options;
  if (groups.every((group) => group.kind === "cpu")) {
    return groups.flatMap((group) => cpuInstances(group.count));
  }
  const failed = (message: string, cause?: unknown) =>
    new SidecarError(ErrorCode.FailedPrecondition, `${label}: ${message}`, { cause });
  const hidden =
    cudaVisibleDevices === undefined ? "" : ` (CUDA_VISIBLE_DEVICES=${cudaVisibleDevices})`;

  let gpus: SidecarGpu[];
  try {
    gpus = await inventory.read();
  } catch (error) {
    if (!(error instanceof GpuInventoryError)) throw error;
    if (allowCpuFallback) return fallBack(groups, `${error.message}`, label, warn);
    throw failed(
      `instance_group asks for GPUs, but ${error.message}; set kind "cpu" (with execution_providers ["cpu"]) or allow_cpu_fallback: true to run on the CPU`,
      error,
    );
  }
  if (gpus.length === 0) {
    const reason = `nvidia-smi lists no GPU this process can use${hidden}`;
    if (allowCpuFallback) return fallBack(groups, reason, label, warn);
    throw failed(
      `instance_group asks for GPUs, but ${reason}; set kind "cpu" or allow_cpu_fallback: true to run on the CPU`,
    );
  }

  const devices: InstanceDevice[] = [];
  const perGpu = new Map<SidecarGpu, number>();
  groups.forEach((group, groupIndex) => {
    if (group.kind === "cpu") {
      devices.push(...cpuInstances(group.count));
      return;
    }
    for (const cudaDevice of group.gpus ?? gpus.map((gpu) => gpu.cudaDevice)) {
      const gpu = gpus.find((candidate) => candidate.cudaDevice === cudaDevice);
      if (gpu === undefined) {
        throw failed(
          `instance_group[${groupIndex}] names GPU ${cudaDevice}, which this node does not have; the GPUs found${hidden} are ${describeGpus(gpus)}: list only those in gpus, or leave gpus out to use them all`,
        );
      }
      perGpu.set(gpu, (perGpu.get(gpu) ?? 0) + group.count);
      for (let i = 0; i < group.count; i++) {
        devices.push({ kind: "gpu", cudaDevice, index: gpu.index, uuid: gpu.uuid });
      }
    }
  });

  const modelBytes = await options.modelBytes();
  for (const [gpu, instances] of perGpu) {
    const needed = modelBytes * instances;
    if (gpu.memoryFreeBytes === undefined || needed <= gpu.memoryFreeBytes) continue;
    throw failed(
      `needs at least ${mib(needed)} on GPU ${gpu.cudaDevice} (${gpu.uuid}) for ${instances} instance(s) of ${mib(modelBytes)} of model files, but only ${mib(gpu.memoryFreeBytes)} of its ${mib(gpu.memoryTotalBytes)} are free; free memory there, lower count, or place the instances on another GPU`,
    );
  }
  return devices;
}

function cpuInstances(count: number): InstanceDevice[] {
  return Array.from({ length: count }, () => ({ kind: "cpu" }) as const);
}

function fallBack(
  groups: readonly InstanceGroupConfig[],
  reason: string,
  label: string,
  warn: (message: string) => void,
): InstanceDevice[] {
  const count = groups.reduce((sum, group) => sum + group.count, 0);
  warn(
    `${label}: instance_group asks for GPUs, but ${reason}; running ${count} instance(s) on the CPU because allow_cpu_fallback is true`,
  );
  return cpuInstances(count);
}
