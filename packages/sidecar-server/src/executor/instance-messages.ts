import type {
  ErrorCode,
  ModelLoadRequest,
  ModelSignature,
  Tensor,
} from "@gpu-sidecar/sidecar-core";
import type { ModelBackendName } from "@gpu-sidecar/sidecar-core/config";

/** What an instance worker is started with (`workerData`, structured-cloned). */
export interface InstanceWorkerData {
  readonly backend: ModelBackendName;
  readonly request: ModelLoadRequest;
}

/** A SidecarError as it crosses the thread boundary (structured clone drops the class). */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
}

/** Main thread → instance worker. A worker runs one batch at a time, so no request ids. */
export type ToInstance =
  | {
      readonly type: "run";
      readonly inputs: readonly Tensor[];
      readonly outputNames: readonly string[];
    }
  | { readonly type: "close" };

/** Instance worker → main thread. */
export type FromInstance =
  | { readonly type: "ready"; readonly signature: ModelSignature }
  | { readonly type: "load-failed"; readonly error: WireError }
  | { readonly type: "result"; readonly outputs: readonly Tensor[] }
  | { readonly type: "run-failed"; readonly error: WireError }
  | { readonly type: "warning"; readonly message: string };
