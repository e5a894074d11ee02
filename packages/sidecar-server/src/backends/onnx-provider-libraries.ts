import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { InferenceSession } from "onnxruntime-node";

/** The shared library each accelerator provider of onnxruntime-node loads on Linux. */
const LINUX_LIBRARIES: Readonly<Record<string, string>> = {
  cuda: "libonnxruntime_providers_cuda.so",
  tensorrt: "libonnxruntime_providers_tensorrt.so",
};

/** Where onnxruntime-node keeps its native binding and provider libraries (as its binding.js). */
export function onnxruntimeBinaryDir(): string {
  const entry = createRequire(import.meta.url).resolve("onnxruntime-node");
  return join(dirname(entry), "..", "bin", "napi-v6", process.platform, process.arch);
}

function providerName(provider: InferenceSession.ExecutionProviderConfig): string {
  return typeof provider === "string" ? provider : provider.name;
}

/**
 * The accelerator provider libraries `providers` need that are absent from `dir` (Linux only;
 * elsewhere, and when `dir` is not onnxruntime-node's binary folder, nothing is reported and
 * onnxruntime decides). Asking onnxruntime for a provider whose library is missing fails, and on
 * a worker thread that failure has been seen to escape as a native exception that kills the
 * process; checking the file first keeps a CPU-only install away from that path.
 */
export function missingProviderLibraries(
  providers: readonly InferenceSession.ExecutionProviderConfig[],
  dir: string,
  platform: NodeJS.Platform = process.platform,
): string[] {
  if (platform !== "linux" || !existsSync(dir)) return [];
  return providers
    .map((provider) => LINUX_LIBRARIES[providerName(provider)])
    .filter((library): library is string => library !== undefined)
    .filter((library) => !existsSync(join(dir, library)));
}
