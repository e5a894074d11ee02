import type { Backend } from "@gpu-sidecar/sidecar-core";
import { createMockBackend } from "./mock-backend.js";
import { createOnnxBackend } from "./onnx-backend.js";

/** The backends a model config may name in `backend`. */
export const BACKEND_NAMES = ["onnx", "mock"] as const;

export type BackendName = (typeof BACKEND_NAMES)[number];

export interface CreateBackendOptions {
  /** Receives load-time warnings, e.g. a CPU fallback of the onnx backend. */
  readonly onWarning: (message: string) => void;
}

/** The backend a model config names, with its default settings. */
export function createBackend(name: BackendName, options: CreateBackendOptions): Backend {
  switch (name) {
    case "onnx":
      return createOnnxBackend({ onWarning: options.onWarning });
    case "mock":
      return createMockBackend();
  }
}
