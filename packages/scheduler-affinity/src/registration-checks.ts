import {
  createResourceProfile,
  ResourceProfile,
  type ResourceProfileSpec,
} from "@gpu-sidecar/resource-profile";
import { gpuNeedOf } from "./gpu-need.js";
import { PlacementError, PlacementErrorCode } from "./placement-error.js";
import type { WorkerRegistration } from "./placement-types.js";
import type { ResolvedNeed } from "./worker-capacity.js";

function invalid(id: unknown, message: string): PlacementError {
  return new PlacementError(
    PlacementErrorCode.InvalidArgument,
    `registerWorker: worker ${JSON.stringify(id)}: ${message}`,
  );
}

/** Checks every field of a registration; returns the worker's default slot profile. */
export function checkRegistration(
  registration: WorkerRegistration,
  gpuResource: string,
): ResourceProfile {
  if (typeof registration !== "object" || registration === null) {
    throw invalid(undefined, "expected { id, total, slots, gpus, sidecar }");
  }
  const { id, total, slots, gpus, sidecar } = registration;
  if (typeof id !== "string" || id === "") throw invalid(id, "id must be a non-empty string");
  if (
    !(total instanceof ResourceProfile) ||
    total.equals(ResourceProfile.UNKNOWN) ||
    total.equals(ResourceProfile.ANY)
  ) {
    throw invalid(id, "total must be a specified ResourceProfile");
  }
  if (!(Number.isSafeInteger(slots) && slots > 0)) {
    throw invalid(id, `slots is ${String(slots)}, expected a positive integer`);
  }
  if (typeof sidecar !== "string" || sidecar === "") {
    throw invalid(
      id,
      "sidecar must be the sidecar's address, e.g. unix:///run/gpu-sidecar/sidecar.sock",
    );
  }
  if (!Array.isArray(gpus)) throw invalid(id, "gpus must be an array (empty for none)");
  const indexes = new Set<number>();
  for (const [position, gpu] of gpus.entries()) {
    if (!(Number.isSafeInteger(gpu?.index) && gpu.index >= 0) || indexes.has(gpu.index)) {
      throw invalid(id, `gpus[${position}].index must be a distinct integer ≥ 0`);
    }
    if (typeof gpu.uuid !== "string") throw invalid(id, `gpus[${position}].uuid must be a string`);
    indexes.add(gpu.index);
  }
  const declared = total.getExtendedResource(gpuResource);
  if (declared !== String(gpus.length)) {
    throw invalid(
      id,
      `total has ${gpuResource} ${declared} but ${gpus.length} GPUs are listed; they must agree`,
    );
  }
  const defaultSlot = total.divide(slots);
  try {
    gpuNeedOf(defaultSlot, gpuResource, "default slot");
  } catch {
    throw invalid(
      id,
      `${gpus.length} GPUs over ${slots} slots gives ${defaultSlot.getExtendedResource(gpuResource)} GPUs per slot; ` +
        "choose a slot count that makes each slot a share below 1 or whole GPUs",
    );
  }
  return defaultSlot;
}

type Dimension = [
  field: string,
  amount: string,
  spec: ResourceProfileSpec,
  read: (profile: ResourceProfile) => string,
];

/** Each dimension of a profile on its own, named as in `ResourceProfile.toString`. */
function dimensions(profile: ResourceProfile): Dimension[] {
  const memory = (
    field: "taskHeapMemory" | "taskOffHeapMemory" | "managedMemory" | "networkMemory",
    read: (profile: ResourceProfile) => bigint,
  ): Dimension => [
    field,
    `${read(profile)} bytes`,
    { [field]: read(profile) },
    (other) => `${read(other)} bytes`,
  ];
  return [
    [
      "cpuCores",
      profile.getCpuCores(),
      { cpuCores: profile.getCpuCores() },
      (other) => other.getCpuCores(),
    ],
    memory("taskHeapMemory", (p) => p.getTaskHeapMemory()),
    memory("taskOffHeapMemory", (p) => p.getTaskOffHeapMemory()),
    memory("managedMemory", (p) => p.getManagedMemory()),
    memory("networkMemory", (p) => p.getNetworkMemory()),
    ...[...profile.getExtendedResources()].map(
      ([name, amount]): Dimension => [
        name,
        amount,
        { extendedResources: { [name]: amount } },
        (other) => other.getExtendedResource(name),
      ],
    ),
  ];
}

/**
 * Why no registered worker could ever hold `need`, naming the missing resource, or undefined
 * when one could (once enough is released).
 */
export function missingResource(
  need: ResolvedNeed,
  registrations: readonly WorkerRegistration[],
): string | undefined {
  const holds = (registration: WorkerRegistration) =>
    registration.total.allFieldsNoLessThan(need.profile) &&
    registration.gpus.length >= need.gpu.whole;
  if (registrations.some(holds)) return undefined;
  for (const [field, amount, spec, read] of dimensions(need.profile)) {
    const alone = createResourceProfile(spec);
    if (!registrations.some((registration) => registration.total.allFieldsNoLessThan(alone))) {
      const amounts = [...new Set(registrations.map((registration) => read(registration.total)))];
      return `it needs ${field} ${amount} and no registered worker has that much (workers have ${field} ${amounts.slice(0, 5).join(", ")}${amounts.length > 5 ? ", …" : ""})`;
    }
  }
  return `no single registered worker has all of ${need.profile.toString()} at once`;
}
