// A GPU worker declared the way a Flink TaskManager is: 2 GPUs shared by 4 slots.
import {
  discoverGpus,
  formatMemorySize,
  gpuDiscoveryOptionsFor,
  parseConfigLines,
  parseWorkerDeclaration,
  ResourceProfileError,
  ResourceProfileErrorCode,
  selectGpus,
} from "@gpu-sidecar/resource-profile";

const WORKER_CONFIG = `
# config.yaml of one GPU worker (flat keys, as Flink writes them)
taskmanager.numberOfTaskSlots: 4
taskmanager.cpu.cores: 8
taskmanager.memory.task.heap.size: 8g
taskmanager.memory.task.off-heap.size: 1g
taskmanager.memory.managed.size: 4g
taskmanager.memory.network.min: 512mb
taskmanager.memory.network.max: 1gb

external-resources: gpu
external-resource.gpu.amount: 2
external-resource.gpu.driver-factory.class: org.apache.flink.externalresource.gpu.GPUDriverFactory
external-resource.gpu.kubernetes.config-key: nvidia.com/gpu
`;

const worker = parseWorkerDeclaration(parseConfigLines(WORKER_CONFIG));
const gpu = worker.externalResources.get("gpu");
console.log(`slots:                ${worker.numberOfTaskSlots}`);
console.log(`total profile:        ${worker.totalProfile}`);
console.log(`default slot profile: ${worker.defaultSlotProfile}`);

// Discovery needs the NVIDIA driver; where it is missing the demo says so and still succeeds.
const DISCOVERY_CODES = new Set([
  ResourceProfileErrorCode.DiscoveryCommandNotFound,
  ResourceProfileErrorCode.DiscoveryFailed,
  ResourceProfileErrorCode.DiscoveryTimeout,
  ResourceProfileErrorCode.DiscoveryOutputInvalid,
  ResourceProfileErrorCode.NotEnoughGpus,
]);

try {
  const gpus = await discoverGpus(gpuDiscoveryOptionsFor(worker, "gpu", 5_000));
  console.log(`discovered GPUs:      ${gpus.length}`);
  for (const { index, uuid, name, memoryTotalBytes } of gpus) {
    console.log(`  #${index} ${name} ${uuid} ${formatMemorySize(BigInt(memoryTotalBytes))}`);
  }
  const mine = selectGpus(gpus, gpu?.amount ?? 0).map((g) => g.index);
  console.log(`this worker uses:     CUDA_VISIBLE_DEVICES=${mine.join(",")}`);
} catch (error) {
  if (!(error instanceof ResourceProfileError) || !DISCOVERY_CODES.has(error.code)) throw error;
  if (error.code === ResourceProfileErrorCode.DiscoveryCommandNotFound) {
    console.log("GPU discovery:        nvidia-smi is not available on this machine; no GPUs used");
  } else {
    console.log(`GPU discovery:        not available (${error.code}): ${error.message}`);
  }
}
