import { GPU_SIDECAR_OPTIONS } from "../options/gpu-sidecar-options.js";
import { readOptions } from "../options/option-table.js";
import { TRITON_OPTIONS } from "../options/triton-options.js";
import type { ModelDefinition } from "../sql/model-statement.js";
import { SqlError, SqlErrorCode } from "../sql-error.js";
import { createGpuSidecarProvider } from "./gpu-sidecar-provider.js";
import type { ModelProvider } from "./model-provider.js";
import { createTritonProvider } from "./triton-provider.js";

/** The providers and their WITH (...) options. */
export const PROVIDERS = {
  triton: TRITON_OPTIONS,
  "gpu-sidecar": GPU_SIDECAR_OPTIONS,
} as const;

function providerOf(definition: ModelDefinition): keyof typeof PROVIDERS {
  const provider = definition.options.provider;
  if (provider === undefined) {
    throw new SqlError(
      SqlErrorCode.InvalidOption,
      `model \`${definition.name}\` has no 'provider' option: add 'provider' = 'triton' or 'gpu-sidecar' to WITH (...)`,
    );
  }
  if (!Object.hasOwn(PROVIDERS, provider)) {
    throw new SqlError(
      SqlErrorCode.InvalidOption,
      `model \`${definition.name}\`: unknown provider '${provider}'; the providers are: ${Object.keys(PROVIDERS).join(", ")}`,
    );
  }
  return provider as keyof typeof PROVIDERS;
}

/**
 * Checks a model's WITH (...) options against its provider (every key known, every value
 * valid) and, for the Triton provider, Flink's one-input one-output rule. Runs at CREATE
 * and ALTER time so that a bad DDL fails where it is written.
 */
export function validateModel(definition: ModelDefinition): void {
  const provider = providerOf(definition);
  readOptions(
    PROVIDERS[provider],
    definition.options,
    `model \`${definition.name}\` (provider '${provider}')`,
  );
  if (provider === "triton" && definition.inputs.length > 0) {
    if (definition.inputs.length !== 1 || definition.outputs.length !== 1) {
      throw new SqlError(
        SqlErrorCode.Unsupported,
        `model \`${definition.name}\`: Flink's Triton provider takes exactly one INPUT and one OUTPUT column ` +
          `(got ${definition.inputs.length} and ${definition.outputs.length}); use 'provider' = 'gpu-sidecar' for several`,
      );
    }
  }
}

/** Opens the provider of a validated model. */
export function createProvider(definition: ModelDefinition): ModelProvider {
  const provider = providerOf(definition);
  const where = `model \`${definition.name}\``;
  return provider === "triton"
    ? createTritonProvider(readOptions(TRITON_OPTIONS, definition.options, where))
    : createGpuSidecarProvider(readOptions(GPU_SIDECAR_OPTIONS, definition.options, where));
}
