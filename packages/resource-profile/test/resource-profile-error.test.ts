import { describe, expect, test } from "vitest";
import { ResourceProfileError, ResourceProfileErrorCode } from "../src/index.js";

describe("ResourceProfileError.from", () => {
  test("returns a ResourceProfileError unchanged", () => {
    const error = new ResourceProfileError(ResourceProfileErrorCode.NotEnoughGpus, "none left");
    expect(ResourceProfileError.from(error)).toBe(error);
  });

  test("keeps a known code of another error and the error as cause", () => {
    const original = Object.assign(new Error("lost"), { code: "RP_ERR_COORDINATION_FAILED" });
    const error = ResourceProfileError.from(original);
    expect(error.code).toBe(ResourceProfileErrorCode.CoordinationFailed);
    expect(error.message).toBe("lost");
    expect(error.cause).toBe(original);
  });

  test("maps unknown codes and non-errors to the fallback", () => {
    const enoent = Object.assign(new Error("no file"), { code: "ENOENT" });
    expect(ResourceProfileError.from(enoent).code).toBe(ResourceProfileErrorCode.Internal);
    expect(
      ResourceProfileError.from("text", ResourceProfileErrorCode.DiscoveryFailed),
    ).toMatchObject({
      code: ResourceProfileErrorCode.DiscoveryFailed,
      message: "text",
      name: "ResourceProfileError",
    });
  });

  test("every code is a stable RP_ERR_ string", () => {
    for (const code of Object.values(ResourceProfileErrorCode)) {
      expect(code).toMatch(/^RP_ERR_[A-Z_]+$/);
    }
  });
});
