import { describe, expect, test } from "vitest";
import {
  createResourceProfile,
  parseConfigLines,
  parseWorkerDeclaration,
  ResourceProfileErrorCode,
} from "../src/index.js";
import { catchError } from "./catch-error.js";

const GPU_WORKER = {
  "taskmanager.numberOfTaskSlots": "4",
  "taskmanager.cpu.cores": "8",
  "taskmanager.memory.task.heap.size": "4g",
  "taskmanager.memory.task.off-heap.size": "1g",
  "taskmanager.memory.managed.size": "2g",
  "taskmanager.memory.network.min": "512mb",
  "taskmanager.memory.network.max": "1gb",
  "external-resources": "gpu",
  "external-resource.gpu.amount": "1",
  "external-resource.gpu.driver-factory.class":
    "org.apache.flink.externalresource.gpu.GPUDriverFactory",
  "external-resource.gpu.param.discovery-script.path": "/opt/bin/nvidia-smi",
  "external-resource.gpu.param.discovery-script.args": "--query-gpu=index --format=csv",
  "external-resource.gpu.kubernetes.config-key": "nvidia.com/gpu",
  "jobmanager.rpc.address": "ignored",
};

describe("parseWorkerDeclaration", () => {
  test("declares the resources, the total and the default slot profile", () => {
    const worker = parseWorkerDeclaration(GPU_WORKER);
    expect(worker.numberOfTaskSlots).toBe(4);
    expect(worker.externalResources.get("gpu")).toEqual({
      name: "gpu",
      amount: 1,
      driverFactoryClass: "org.apache.flink.externalresource.gpu.GPUDriverFactory",
      kubernetesConfigKey: "nvidia.com/gpu",
      params: {
        "discovery-script.path": "/opt/bin/nvidia-smi",
        "discovery-script.args": "--query-gpu=index --format=csv",
      },
    });
    const total = createResourceProfile({
      cpuCores: 8,
      taskHeapMemory: "4g",
      taskOffHeapMemory: "1g",
      managedMemory: "2g",
      networkMemory: "512m",
      extendedResources: { gpu: 1 },
    });
    expect(String(worker.totalProfile)).toBe(String(total));
    expect(worker.totalProfile.equals(total)).toBe(true);
  });

  test("1 GPU over 4 slots is exactly 0.25 GPU per default slot", () => {
    const slot = parseWorkerDeclaration(GPU_WORKER).defaultSlotProfile;
    expect(slot.getExtendedResource("gpu")).toBe("0.25");
    expect(slot.getCpuCores()).toBe("2");
    expect(slot.getTaskHeapMemory()).toBe(1024n ** 3n);
    expect(slot.getNetworkMemory()).toBe(128n * 1024n ** 2n);
  });

  test("memory is divided into whole bytes, rounding down", () => {
    const worker = parseWorkerDeclaration({
      "taskmanager.numberOfTaskSlots": "3",
      "taskmanager.memory.managed.size": "1g",
    });
    expect(worker.defaultSlotProfile.getManagedMemory()).toBe(357_913_941n);
    expect(worker.totalProfile.allFieldsNoLessThan(worker.defaultSlotProfile.multiply(3))).toBe(
      true,
    );
  });

  test("defaults: 1 slot, CPU cores = slots, memory 0, no resources", () => {
    const bare = parseWorkerDeclaration({});
    expect(bare.numberOfTaskSlots).toBe(1);
    expect(bare.totalProfile.equals(createResourceProfile({ cpuCores: 1 }))).toBe(true);
    expect(
      parseWorkerDeclaration({ "taskmanager.numberOfTaskSlots": "6" }).totalProfile.getCpuCores(),
    ).toBe("6");
  });

  test("external-resources: none declares no resources, as Flink writes it", () => {
    const worker = parseWorkerDeclaration({ "external-resources": "none" });
    expect(worker.externalResources.size).toBe(0);
    expect([...worker.totalProfile.getExtendedResources()]).toEqual([]);
  });

  test("network memory is min, else max, else 0", () => {
    const network = (config: Record<string, string>) =>
      parseWorkerDeclaration(config).totalProfile.getNetworkMemory();
    expect(network({ "taskmanager.memory.network.max": "1g" })).toBe(1024n ** 3n);
    expect(network({ "taskmanager.memory.network.min": "64m" })).toBe(64n * 1024n ** 2n);
    expect(network({})).toBe(0n);
  });

  test("several resources, in list order, read from config lines", () => {
    const worker = parseWorkerDeclaration(
      parseConfigLines(
        [
          "external-resources: gpu; fpga",
          "external-resource.gpu.amount: 2",
          "external-resource.fpga.amount: 1",
          "external-resource.fpga.yarn.config-key: yarn.io/fpga",
        ].join("\n"),
      ),
    );
    expect([...worker.externalResources.keys()]).toEqual(["gpu", "fpga"]);
    expect(worker.externalResources.get("fpga")?.yarnConfigKey).toBe("yarn.io/fpga");
    expect(worker.defaultSlotProfile.getExtendedResource("gpu")).toBe("2");
  });

  test.each([
    [
      { "taskmanager.numberOfTaskSlots": "2.5" },
      "taskmanager.numberOfTaskSlots",
      '"2.5"',
      ResourceProfileErrorCode.InvalidConfig,
    ],
    [
      { "taskmanager.numberOfTaskSlots": "0" },
      "taskmanager.numberOfTaskSlots",
      '"0"',
      ResourceProfileErrorCode.InvalidConfig,
    ],
    [
      { "taskmanager.numberOfTaskSlots": "four" },
      "taskmanager.numberOfTaskSlots",
      '"four"',
      ResourceProfileErrorCode.InvalidConfig,
    ],
    [
      { "taskmanager.cpu.cores": "-2" },
      "taskmanager.cpu.cores",
      '"-2"',
      ResourceProfileErrorCode.InvalidArgument,
    ],
    [
      { "taskmanager.cpu.cores": "0" },
      "taskmanager.cpu.cores",
      '"0"',
      ResourceProfileErrorCode.InvalidConfig,
    ],
    [
      { "taskmanager.memory.task.heap.size": "-1g" },
      "taskmanager.memory.task.heap.size",
      '"-1g"',
      ResourceProfileErrorCode.InvalidMemorySize,
    ],
    [
      { "taskmanager.memory.managed.size": "3 zb" },
      "taskmanager.memory.managed.size",
      '"3 zb"',
      ResourceProfileErrorCode.InvalidMemorySize,
    ],
    [
      { "taskmanager.memory.network.min": "2g", "taskmanager.memory.network.max": "1g" },
      "taskmanager.memory.network.min",
      '"2g"',
      ResourceProfileErrorCode.InvalidConfig,
    ],
    [
      { "external-resources": "gpu" },
      "external-resource.gpu.amount",
      "has no amount",
      ResourceProfileErrorCode.InvalidConfig,
    ],
    [
      { "external-resources": "gpu", "external-resource.gpu.amount": "-1" },
      "external-resource.gpu.amount",
      '"-1"',
      ResourceProfileErrorCode.InvalidConfig,
    ],
    [
      { "external-resources": "gpu", "external-resource.gpu.amount": "0.5" },
      "external-resource.gpu.amount",
      '"0.5"',
      ResourceProfileErrorCode.InvalidConfig,
    ],
    [
      {
        "external-resources": "gpu",
        "external-resource.gpu.amount": "1",
        "external-resource.gpu.amout": "2",
      },
      "external-resource.gpu.amout",
      "unknown key",
      ResourceProfileErrorCode.InvalidConfig,
    ],
    [
      {
        "external-resources": "gpu",
        "external-resource.gpu.amount": "1",
        "external-resource.gpu.kubernetes.config-key": "",
      },
      "external-resource.gpu.kubernetes.config-key",
      "empty",
      ResourceProfileErrorCode.InvalidConfig,
    ],
    [
      {
        "external-resources": "gpu",
        "external-resource.gpu.amount": "1",
        "external-resource.tpu.amount": "1",
      },
      "external-resource.tpu.amount",
      'resource "tpu" is not listed',
      ResourceProfileErrorCode.UnknownResource,
    ],
    [
      { "external-resources": "gpu;gpu", "external-resource.gpu.amount": "1" },
      "external-resources",
      '"gpu" is listed twice',
      ResourceProfileErrorCode.InvalidConfig,
    ],
    [
      { "external-resources": "my gpu" },
      "external-resources",
      '"my gpu"',
      ResourceProfileErrorCode.InvalidArgument,
    ],
    [
      { "taskmanager.numberOfTaskSlots": 4 as unknown as string },
      "taskmanager.numberOfTaskSlots",
      "must be strings",
      ResourceProfileErrorCode.InvalidConfig,
    ],
  ])("%j is rejected naming %s", (config, key, detail, code) => {
    const error = catchError(() => parseWorkerDeclaration(config));
    expect(error.code).toBe(code);
    expect(error.message).toContain(key);
    expect(error.message).toContain(detail);
  });
});
