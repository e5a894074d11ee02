import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  missingProviderLibraries,
  onnxruntimeBinaryDir,
} from "../src/backends/onnx-provider-libraries.js";

const dir = mkdtempSync(join(tmpdir(), "ort-bin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("missingProviderLibraries", () => {
  it("names the accelerator libraries absent from the folder, in the providers' order", () => {
    expect(missingProviderLibraries(["tensorrt", { name: "cuda" }, "cpu"], dir, "linux")).toEqual([
      "libonnxruntime_providers_tensorrt.so",
      "libonnxruntime_providers_cuda.so",
    ]);
    writeFileSync(join(dir, "libonnxruntime_providers_cuda.so"), "");
    expect(missingProviderLibraries(["cuda", "cpu"], dir, "linux")).toEqual([]);
    expect(missingProviderLibraries(["tensorrt"], dir, "linux")).toEqual([
      "libonnxruntime_providers_tensorrt.so",
    ]);
  });

  it("leaves the decision to onnxruntime off Linux and when the folder is not there", () => {
    expect(missingProviderLibraries(["tensorrt"], dir, "win32")).toEqual([]);
    expect(missingProviderLibraries(["cuda"], join(dir, "nope"), "linux")).toEqual([]);
  });

  it("finds onnxruntime-node's binary folder, where its binding is", () => {
    expect(onnxruntimeBinaryDir()).toMatch(/onnxruntime-node\/bin\/napi-v6\//);
    expect(missingProviderLibraries(["cpu"], onnxruntimeBinaryDir())).toEqual([]);
  });
});
