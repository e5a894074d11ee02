import { ResourceProfileError } from "../src/index.js";

/** Runs `run` and returns the ResourceProfileError it throws; fails if it throws nothing else. */
export function catchError(run: () => unknown): ResourceProfileError {
  try {
    run();
  } catch (error) {
    if (error instanceof ResourceProfileError) return error;
    throw error;
  }
  throw new Error("expected a ResourceProfileError, nothing was thrown");
}

/** The ResourceProfileError a promise rejects with. */
export async function catchRejection(promise: Promise<unknown>): Promise<ResourceProfileError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ResourceProfileError) return error;
    throw error;
  }
  throw new Error("expected a ResourceProfileError, the promise resolved");
}
