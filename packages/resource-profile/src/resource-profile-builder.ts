import type Big from "big.js";
import { DECIMAL_ZERO, type DecimalInput, toDecimal } from "./decimal.js";
import { type MemorySizeInput, toMemoryBytes } from "./memory-size.js";
import type { ResourceAmounts } from "./resource-amounts.js";
import { checkResourceName } from "./resource-name.js";
import type { ResourceProfile } from "./resource-profile.js";

/**
 * Collects the fields of a specified `ResourceProfile` (Flink's `ResourceProfile.Builder`).
 * Unset fields are zero. Every setter validates at once and throws naming the field.
 */
export interface ResourceProfileBuilder {
  /** CPU cores, possibly fractional (`"0.5"`). */
  setCpuCores(cores: DecimalInput): ResourceProfileBuilder;
  setTaskHeapMemory(size: MemorySizeInput): ResourceProfileBuilder;
  setTaskOffHeapMemory(size: MemorySizeInput): ResourceProfileBuilder;
  setManagedMemory(size: MemorySizeInput): ResourceProfileBuilder;
  setNetworkMemory(size: MemorySizeInput): ResourceProfileBuilder;
  /** Sets (replaces) one extended resource such as `gpu`; a zero amount removes it. */
  setExtendedResource(name: string, amount: DecimalInput): ResourceProfileBuilder;
  /** Sets every entry of `resources` as `setExtendedResource` would. */
  setExtendedResources(resources: Readonly<Record<string, DecimalInput>>): ResourceProfileBuilder;
  build(): ResourceProfile;
}

/**
 * `finish` turns the validated amounts into a profile; passing it in keeps this file free of a
 * runtime import of `ResourceProfile`, which itself creates builders.
 */
export function createResourceProfileBuilder(
  finish: (amounts: ResourceAmounts) => ResourceProfile,
): ResourceProfileBuilder {
  let cpuCores: Big = DECIMAL_ZERO;
  let taskHeapMemory = 0n;
  let taskOffHeapMemory = 0n;
  let managedMemory = 0n;
  let networkMemory = 0n;
  const extendedResources = new Map<string, Big>();

  const builder: ResourceProfileBuilder = {
    setCpuCores(cores) {
      cpuCores = toDecimal("cpuCores", cores);
      return builder;
    },
    setTaskHeapMemory(size) {
      taskHeapMemory = toMemoryBytes("taskHeapMemory", size);
      return builder;
    },
    setTaskOffHeapMemory(size) {
      taskOffHeapMemory = toMemoryBytes("taskOffHeapMemory", size);
      return builder;
    },
    setManagedMemory(size) {
      managedMemory = toMemoryBytes("managedMemory", size);
      return builder;
    },
    setNetworkMemory(size) {
      networkMemory = toMemoryBytes("networkMemory", size);
      return builder;
    },
    setExtendedResource(name, amount) {
      const field = `extendedResources.${name}`;
      extendedResources.set(checkResourceName(field, name), toDecimal(field, amount));
      return builder;
    },
    setExtendedResources(resources) {
      for (const [name, amount] of Object.entries(resources)) {
        builder.setExtendedResource(name, amount);
      }
      return builder;
    },
    build() {
      return finish({
        cpuCores,
        taskHeapMemory,
        taskOffHeapMemory,
        managedMemory,
        networkMemory,
        extendedResources: new Map(extendedResources),
      });
    },
  };
  return builder;
}

/** All fields of a specified profile as one object; absent fields are zero. */
export interface ResourceProfileSpec {
  readonly cpuCores?: DecimalInput;
  readonly taskHeapMemory?: MemorySizeInput;
  readonly taskOffHeapMemory?: MemorySizeInput;
  readonly managedMemory?: MemorySizeInput;
  readonly networkMemory?: MemorySizeInput;
  readonly extendedResources?: Readonly<Record<string, DecimalInput>>;
}

/** Applies every present field of `spec` to `builder`. */
export function applyResourceProfileSpec(
  builder: ResourceProfileBuilder,
  spec: ResourceProfileSpec,
): ResourceProfileBuilder {
  if (spec.cpuCores !== undefined) builder.setCpuCores(spec.cpuCores);
  if (spec.taskHeapMemory !== undefined) builder.setTaskHeapMemory(spec.taskHeapMemory);
  if (spec.taskOffHeapMemory !== undefined) builder.setTaskOffHeapMemory(spec.taskOffHeapMemory);
  if (spec.managedMemory !== undefined) builder.setManagedMemory(spec.managedMemory);
  if (spec.networkMemory !== undefined) builder.setNetworkMemory(spec.networkMemory);
  if (spec.extendedResources !== undefined) builder.setExtendedResources(spec.extendedResources);
  return builder;
}
