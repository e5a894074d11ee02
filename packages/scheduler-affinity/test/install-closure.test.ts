import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { installClosure } from "../../../tooling/install-closure.ts";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("install closure", () => {
  it("never brings onnxruntime-node or the sidecar server into a scheduler", () => {
    const names = installClosure(packageDir);
    // The walk reaches layers 1 and 4 and their own dependencies, so a miss below is real.
    expect(names).toContain("@gpu-sidecar/resource-profile");
    expect(names).toContain("@gpu-sidecar/async-inference");
    expect(names).toContain("big.js");
    expect([...names].filter((name) => /onnxruntime|sidecar-server/.test(name))).toEqual([]);
  });
});
