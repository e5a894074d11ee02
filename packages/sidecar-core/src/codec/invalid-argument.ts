import { ErrorCode, SidecarError } from "../sidecar-error.js";

/**
 * The INVALID_ARGUMENT error every codec check throws. Prefixing the tensor's name in one
 * place keeps messages uniform: `tensor "x": <what is wrong>: expected …, got …`.
 */
export function invalidArgument(tensorName: string | undefined, problem: string): SidecarError {
  const subject = tensorName === undefined ? "" : `tensor ${JSON.stringify(tensorName)}: `;
  return new SidecarError(ErrorCode.InvalidArgument, `${subject}${problem}`);
}

/** Renders a shape the way messages show it: `[2,3]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/** A short description of an unexpected value, for "expected …, got …" messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object") return `a ${value.constructor?.name ?? "object"}`;
  return `${typeof value} ${String(value)}`;
}
