import { createSidecarClient, type InferContext } from "@gpu-sidecar/async-inference";
import type { Tensor } from "@gpu-sidecar/sidecar-core";
import type { GPU_SIDECAR_OPTIONS } from "../options/gpu-sidecar-options.js";
import type { OptionValues } from "../options/option-table.js";
import type { ModelProvider } from "./model-provider.js";

type GpuSidecarValues = OptionValues<typeof GPU_SIDECAR_OPTIONS>;

/**
 * Our client: endpoints in order with failover (a Unix socket first), gRPC, calls over one
 * `ModelStreamInfer` stream by default, rows coalesced into calls of up to `batch-max-rows`.
 */
export function createGpuSidecarProvider(options: GpuSidecarValues): ModelProvider {
  const endpoint = options.endpoint as string;
  const model = options["model-name"] as string;
  const version = options["model-version"];
  const timeoutMs = options.timeout ?? 30_000;
  const client = createSidecarClient({
    endpoints: endpoint
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== ""),
    protocol: options.protocol ?? "grpc",
  });
  const session =
    (options.transport ?? "stream") === "stream" ? client.createStreamSession(model) : undefined;
  const maxRows = options["batch-max-rows"] ?? 64;
  return {
    endpoint,
    wireName: (_column, served) => served,
    batch: maxRows > 1 ? { maxRows, maxDelayMs: options["batch-max-delay"] ?? 2 } : undefined,
    metadata: (signal) =>
      client.modelMetadata(model, {
        timeoutMs,
        ...(signal === undefined ? {} : { signal }),
        ...(version === undefined ? {} : { version }),
      }),
    inferFunction: (outputs) => (inputs: Tensor[], context: InferContext) => {
      const callOptions = {
        signal: context.signal,
        timeoutMs: Math.min(timeoutMs, context.timeoutMs ?? timeoutMs),
        outputs,
        ...(options.priority === undefined ? {} : { priority: options.priority }),
        ...(version === undefined ? {} : { version }),
      };
      return session === undefined
        ? client.infer(model, inputs, callOptions)
        : session.infer(inputs, callOptions);
    },
    close: () => client.close(),
  };
}
