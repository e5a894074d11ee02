import type { Backend } from "@gpu-sidecar/sidecar-core";
import type { ModelBackendName } from "@gpu-sidecar/sidecar-core/config";
import { createMockBackend } from "./mock-backend.js";
import { createOnnxBackend } from "./onnx-backend.js";

export interface CreateBackendOptions {
  /** Receives load-time warnings, e.g. a CPU fallback of the onnx backend. */
  readonly onWarning: (message: string) => void;
}

/** The backend a model config names in `backend`, with its default settings. */
export function createBackend(name: ModelBackendName, options: CreateBackendOptions): Backend {
  switch (name) {
    case "onnx":
      return createOnnxBackend({ onWarning: options.onWarning });
    case "mock":
      return createMockBackend();
  }
}
