import type Big from "big.js";

/** The validated values of a specified profile; memory in whole bytes, the rest exact. */
export interface ResourceAmounts {
  readonly cpuCores: Big;
  readonly taskHeapMemory: bigint;
  readonly taskOffHeapMemory: bigint;
  readonly managedMemory: bigint;
  readonly networkMemory: bigint;
  readonly extendedResources: ReadonlyMap<string, Big>;
}
