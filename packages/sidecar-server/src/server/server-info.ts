import packageJson from "../../package.json" with { type: "json" };

/** The name ServerMetadata reports; Triton's clients show it. */
export const SERVER_NAME = "gpu-sidecar";

/** The sidecar-server package version. */
export const SERVER_VERSION: string = packageJson.version;

/**
 * The protocol extensions ServerMetadata announces: the ones implemented here, under the names
 * Triton uses for them, so that Triton clients enable the matching features.
 */
export const SERVER_EXTENSIONS: readonly string[] = [
  "binary_tensor_data",
  "parameters",
  "statistics",
  "model_repository",
];
