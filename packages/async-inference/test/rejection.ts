import { SidecarError } from "@gpu-sidecar/sidecar-core";
import { expect } from "vitest";

/** The SidecarError `promise` rejects with; fails the test when it resolves or rejects otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<SidecarError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SidecarError);
  return error as SidecarError;
}
