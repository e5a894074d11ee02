import { describe, expect, test } from "vitest";
import { createResourceProfile, ResourceProfile, ResourceProfileErrorCode } from "../src/index.js";
import { catchError } from "./catch-error.js";

const { ANY, UNKNOWN, ZERO } = ResourceProfile;

const slot = ResourceProfile.newBuilder()
  .setCpuCores(1)
  .setTaskHeapMemory("512mb")
  .setTaskOffHeapMemory("64mb")
  .setManagedMemory("128mb")
  .setNetworkMemory("32mb")
  .setExtendedResource("gpu", "0.5")
  .build();

describe("building", () => {
  test("the builder and createResourceProfile give the same profile", () => {
    const created = createResourceProfile({
      cpuCores: "1",
      taskHeapMemory: 536_870_912,
      taskOffHeapMemory: "64 MB",
      managedMemory: 134_217_728n,
      networkMemory: "32m",
      extendedResources: { gpu: 0.5 },
    });
    expect(created.equals(slot)).toBe(true);
    expect(slot.getCpuCores()).toBe("1");
    expect(slot.getTaskHeapMemory()).toBe(536_870_912n);
    expect(slot.getOperatorsMemory()).toBe((512n + 64n + 128n) * 1024n * 1024n);
    expect(slot.getTotalMemory()).toBe((512n + 64n + 128n + 32n) * 1024n * 1024n);
    expect(slot.getExtendedResource("gpu")).toBe("0.5");
    expect(slot.getExtendedResource("fpga")).toBe("0");
  });

  test("unset fields are zero and an empty builder is ZERO", () => {
    expect(ResourceProfile.newBuilder().build().equals(ZERO)).toBe(true);
    expect(ZERO.getCpuCores()).toBe("0");
    expect(ZERO.getTotalMemory()).toBe(0n);
  });

  test("zero-valued extended resources are dropped", () => {
    const profile = ResourceProfile.newBuilder().setExtendedResource("gpu", "0.000").build();
    expect(profile.equals(ZERO)).toBe(true);
    expect([...profile.getExtendedResources()]).toEqual([]);
    const half = ResourceProfile.newBuilder().setExtendedResource("gpu", "0.5").build();
    expect([...half.subtract(half).getExtendedResources()]).toEqual([]);
  });

  test("decimal amounts are exact: 0.1 + 0.2 GPU is 0.3 GPU", () => {
    const gpu = (amount: string) =>
      ResourceProfile.newBuilder().setExtendedResource("gpu", amount).build();
    const sum = gpu("0.1").merge(gpu("0.2"));
    expect(sum.getExtendedResource("gpu")).toBe("0.3");
    expect(sum.equals(gpu("0.3"))).toBe(true);
    expect(sum.subtract(gpu("0.3")).equals(ZERO)).toBe(true);
  });

  test.each([
    ["cpuCores", () => ResourceProfile.newBuilder().setCpuCores("-1"), '"-1"'],
    ["cpuCores", () => ResourceProfile.newBuilder().setCpuCores(Number.NaN), '"NaN"'],
    [
      "extendedResources.gpu",
      () => ResourceProfile.newBuilder().setExtendedResource("gpu", "1/2"),
      '"1/2"',
    ],
    ["taskHeapMemory", () => ResourceProfile.newBuilder().setTaskHeapMemory(-5), '"-5"'],
    [
      "managedMemory",
      () => ResourceProfile.newBuilder().setManagedMemory("12 parsecs"),
      '"12 parsecs"',
    ],
    [
      "extendedResources.my gpu",
      () => ResourceProfile.newBuilder().setExtendedResource("my gpu", 1),
      '"my gpu"',
    ],
  ])("bad input for %s names the field and the value", (field, run, value) => {
    const error = catchError(run);
    expect(error.message).toContain(field);
    expect(error.message).toContain(value);
  });
});

describe("Flink's UNKNOWN and ANY", () => {
  test("UNKNOWN has no field values; reading one throws", () => {
    const error = catchError(() => UNKNOWN.getCpuCores());
    expect(error.code).toBe(ResourceProfileErrorCode.UnsupportedOperation);
    expect(error.message).toContain("getCpuCores is not supported on ResourceProfile{UNKNOWN}");
    expect(() => UNKNOWN.getTotalMemory()).toThrow(/getTotalMemory is not supported/);
    expect(() => ANY.getTaskHeapMemory()).toThrow(/ResourceProfile\{ANY\}/);
  });

  test("isMatching is exact, with ANY matching all and UNKNOWN required matched by all", () => {
    const bigger = slot.merge(slot);
    expect(slot.isMatching(slot)).toBe(true);
    expect(bigger.isMatching(slot)).toBe(false);
    expect(slot.isMatching(bigger)).toBe(false);
    expect(slot.isMatching(UNKNOWN)).toBe(true);
    expect(ANY.isMatching(slot)).toBe(true);
    expect(ANY.isMatching(UNKNOWN)).toBe(true);
    expect(slot.isMatching(ANY)).toBe(false);
    expect(catchError(() => UNKNOWN.isMatching(slot)).code).toBe(
      ResourceProfileErrorCode.UnsupportedOperation,
    );
  });

  test("allFieldsNoLessThan: ANY covers all, all cover UNKNOWN, UNKNOWN covers only itself", () => {
    expect(ANY.allFieldsNoLessThan(slot)).toBe(true);
    expect(ANY.allFieldsNoLessThan(UNKNOWN)).toBe(true);
    expect(slot.allFieldsNoLessThan(UNKNOWN)).toBe(true);
    expect(UNKNOWN.allFieldsNoLessThan(UNKNOWN)).toBe(true);
    expect(UNKNOWN.allFieldsNoLessThan(ZERO)).toBe(false);
    expect(slot.allFieldsNoLessThan(ANY)).toBe(false);
  });

  test("allFieldsNoLessThan compares every field, extended resources included", () => {
    // Flink's own example: 1 core, 50 managed, 100 heap.
    const mine = createResourceProfile({ cpuCores: 1, managedMemory: 50, taskHeapMemory: 100 });
    expect(
      mine.allFieldsNoLessThan(
        createResourceProfile({ cpuCores: 2, managedMemory: 10, taskHeapMemory: 1000 }),
      ),
    ).toBe(false);
    expect(
      mine.allFieldsNoLessThan(
        createResourceProfile({ cpuCores: 1, managedMemory: 50, taskHeapMemory: 100 }),
      ),
    ).toBe(true);
    expect(
      mine.allFieldsNoLessThan(createResourceProfile({ extendedResources: { gpu: "0.1" } })),
    ).toBe(false);
  });

  test("merge and subtract: ANY wins, then UNKNOWN", () => {
    expect(UNKNOWN.merge(slot).equals(UNKNOWN)).toBe(true);
    expect(slot.merge(UNKNOWN).equals(UNKNOWN)).toBe(true);
    expect(ANY.merge(UNKNOWN).equals(ANY)).toBe(true);
    expect(slot.merge(ANY).equals(ANY)).toBe(true);
    expect(slot.subtract(UNKNOWN).equals(UNKNOWN)).toBe(true);
    expect(ANY.subtract(slot).equals(ANY)).toBe(true);
  });

  test("multiply and divide keep ANY and UNKNOWN; multiply(0) is ZERO", () => {
    expect(ANY.multiply(3).equals(ANY)).toBe(true);
    expect(UNKNOWN.multiply(0).equals(UNKNOWN)).toBe(true);
    expect(UNKNOWN.divide(2).equals(UNKNOWN)).toBe(true);
    expect(slot.multiply(0).equals(ZERO)).toBe(true);
  });

  test("toString names the special profiles", () => {
    expect(String(UNKNOWN)).toBe("ResourceProfile{UNKNOWN}");
    expect(String(ANY)).toBe("ResourceProfile{ANY}");
  });
});

describe("arithmetic", () => {
  test("subtract throws a typed error naming the first short field", () => {
    const error = catchError(() => slot.subtract(slot.multiply(2)));
    expect(error.code).toBe(ResourceProfileErrorCode.InsufficientResources);
    expect(error.message).toContain("cpuCores 1 < 2");
    const gpuOnly = createResourceProfile({ extendedResources: { gpu: 1 } });
    expect(catchError(() => ZERO.subtract(gpuOnly)).message).toContain("gpu 0 < 1");
  });

  test.each([-1, 1.5, Number.NaN, 2 ** 53])("multiply(%s) is rejected", (n) => {
    const error = catchError(() => slot.multiply(n));
    expect(error.code).toBe(ResourceProfileErrorCode.InvalidArgument);
    expect(error.message).toContain(`multiplier: ${n}`);
  });

  test.each([0, -2, 0.5])("divide(%s) is rejected", (n) => {
    expect(catchError(() => slot.divide(n)).message).toContain(`divisor: ${n}`);
  });

  test("Flink's default slot profile case: total of 5 slots divided by 5 is one slot", () => {
    const one = createResourceProfile({
      cpuCores: 1,
      taskHeapMemory: "1m",
      taskOffHeapMemory: "2m",
      networkMemory: "3m",
      managedMemory: "4m",
    });
    expect(one.multiply(5).divide(5).equals(one)).toBe(true);
  });

  test("division rounds memory down to whole bytes and decimals down to 16 places", () => {
    const total = createResourceProfile({
      cpuCores: 1,
      taskHeapMemory: 10,
      extendedResources: { gpu: 1 },
    });
    const third = total.divide(3);
    expect(third.getTaskHeapMemory()).toBe(3n);
    expect(third.getCpuCores()).toBe("0.3333333333333333");
    expect(third.getExtendedResource("gpu")).toBe("0.3333333333333333");
    expect(total.allFieldsNoLessThan(third.multiply(3))).toBe(true);
    expect(total.divide(4).getExtendedResource("gpu")).toBe("0.25");
  });
});

describe("toString and JSON", () => {
  test("toString shows every field readably", () => {
    expect(String(slot)).toBe(
      "ResourceProfile{cpuCores=1, taskHeapMemory=512 mb, taskOffHeapMemory=64 mb, " +
        "managedMemory=128 mb, networkMemory=32 mb, gpu=0.5}",
    );
  });

  test("toJSON writes exact strings and fromJSON reads them back", () => {
    const json = JSON.parse(JSON.stringify(slot));
    expect(json).toEqual({
      kind: "specified",
      cpuCores: "1",
      taskHeapMemory: "536870912",
      taskOffHeapMemory: "67108864",
      managedMemory: "134217728",
      networkMemory: "33554432",
      extendedResources: { gpu: "0.5" },
    });
    expect(ResourceProfile.fromJSON(json).equals(slot)).toBe(true);
    expect(ResourceProfile.fromJSON({ kind: "unknown" })).toBe(UNKNOWN);
    expect(ResourceProfile.fromJSON({ kind: "any" })).toBe(ANY);
    expect(
      ResourceProfile.fromJSON({ kind: "specified", taskHeapMemory: "1g" }).getTaskHeapMemory(),
    ).toBe(1024n ** 3n);
  });

  test.each([
    [null, /must be a JSON object, got null/],
    [[], /must be a JSON object/],
    [{ kind: "huge" }, /kind is "huge"/],
    [{ kind: "any", cpuCores: "1" }, /key "cpuCores" is not allowed when kind is "any"/],
    [{ kind: "specified", cpuCore: "1" }, /unknown key "cpuCore"/],
    [{ kind: "specified", cpuCores: true }, /cpuCores must be a string or a number, got true/],
    [{ kind: "specified", cpuCores: "-1" }, /cpuCores: "-1" is not a non-negative decimal/],
    [{ kind: "specified", extendedResources: { gpu: "x" } }, /extendedResources.gpu: "x"/],
    [{ kind: "specified", extendedResources: [1] }, /extendedResources must be a JSON object/],
    [{ kind: "specified", networkMemory: "1 parsec" }, /networkMemory: "1 parsec"/],
  ])("fromJSON(%j) is rejected with the key and the value", (json, message) => {
    const error = catchError(() => ResourceProfile.fromJSON(json));
    expect(error.code).toBe(ResourceProfileErrorCode.InvalidJson);
    expect(error.message).toMatch(message);
  });
});
