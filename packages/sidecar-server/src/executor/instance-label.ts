import type { ModelLoadRequest } from "@gpu-sidecar/sidecar-core";

/** How messages name one instance of a pool: position, device, model and version. */
export function instanceLabel(index: number, request: ModelLoadRequest): string {
  const { device } = request;
  const where = device?.kind === "gpu" ? ` (GPU ${device.cudaDevice}, ${device.uuid})` : "";
  return `instance ${index}${where} of model "${request.name}" version ${request.version}`;
}
