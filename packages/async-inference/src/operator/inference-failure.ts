import type { SidecarError } from "@gpu-sidecar/sidecar-core";

/**
 * What the operator emits in place of a result for a record that failed, when `onError` is
 * "emit". A class rather than a plain `{ record, error }` object so that consumers can tell a
 * failure from a result with `instanceof`, whatever shape their results have.
 */
export class InferenceFailure<R> {
  constructor(
    readonly record: R,
    readonly error: SidecarError,
  ) {}
}
