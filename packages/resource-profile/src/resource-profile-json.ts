import type { ResourceProfileSpec } from "./resource-profile-builder.js";
import { ResourceProfileError, ResourceProfileErrorCode } from "./resource-profile-error.js";

/** A specified profile as JSON: exact decimals and byte counts as strings, never floats. */
export interface SpecifiedResourceProfileJSON {
  readonly kind: "specified";
  readonly cpuCores: string;
  readonly taskHeapMemory: string;
  readonly taskOffHeapMemory: string;
  readonly managedMemory: string;
  readonly networkMemory: string;
  readonly extendedResources: Readonly<Record<string, string>>;
}

/** What `ResourceProfile.toJSON` writes and `ResourceProfile.fromJSON` reads. */
export type ResourceProfileJSON =
  | { readonly kind: "unknown" }
  | { readonly kind: "any" }
  | SpecifiedResourceProfileJSON;

/** A checked JSON value: the special profiles, or the fields of a specified one. */
export type DecodedResourceProfile =
  | { readonly kind: "unknown" }
  | { readonly kind: "any" }
  | { readonly kind: "specified"; readonly spec: ResourceProfileSpec };

const SCALAR_FIELDS = [
  "cpuCores",
  "taskHeapMemory",
  "taskOffHeapMemory",
  "managedMemory",
  "networkMemory",
] as const;

const SPECIFIED_KEYS = new Set<string>(["kind", ...SCALAR_FIELDS, "extendedResources"]);

/**
 * Checks the shape of a parsed JSON value (object, kind, known keys, value types); the values
 * themselves are checked by the builder. Hand-written JSON may omit fields (zero) and may
 * write sizes as `"512mb"`.
 */
export function decodeResourceProfileJSON(json: unknown): DecodedResourceProfile {
  const object = asObject("ResourceProfile JSON", json);
  const kind = object.kind;
  if (kind === "unknown" || kind === "any") {
    const extra = Object.keys(object).find((key) => key !== "kind");
    if (extra !== undefined) {
      throw invalid(`key "${extra}" is not allowed when kind is "${kind}"; remove it`);
    }
    return { kind };
  }
  if (kind !== "specified") {
    throw invalid(`kind is ${JSON.stringify(kind)}; it must be "unknown", "any" or "specified"`);
  }
  const unknownKey = Object.keys(object).find((key) => !SPECIFIED_KEYS.has(key));
  if (unknownKey !== undefined) {
    throw invalid(`unknown key "${unknownKey}"; the keys are ${[...SPECIFIED_KEYS].join(", ")}`);
  }
  const spec: { -readonly [K in keyof ResourceProfileSpec]: ResourceProfileSpec[K] } = {};
  for (const field of SCALAR_FIELDS) {
    const value = object[field];
    if (value !== undefined) spec[field] = asScalar(field, value);
  }
  if (object.extendedResources !== undefined) {
    const resources = asObject("extendedResources", object.extendedResources);
    spec.extendedResources = Object.fromEntries(
      Object.entries(resources).map(([name, value]) => [
        name,
        asScalar(`extendedResources.${name}`, value),
      ]),
    );
  }
  return { kind, spec };
}

function asObject(field: string, value: unknown): Readonly<Record<string, unknown>> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(`${field} must be a JSON object, got ${JSON.stringify(value) ?? typeof value}`);
  }
  return value as Readonly<Record<string, unknown>>;
}

function asScalar(field: string, value: unknown): string | number {
  if (typeof value === "string" || typeof value === "number") return value;
  throw invalid(`${field} must be a string or a number, got ${JSON.stringify(value)}`);
}

function invalid(reason: string): ResourceProfileError {
  return new ResourceProfileError(
    ResourceProfileErrorCode.InvalidJson,
    `invalid ResourceProfile JSON: ${reason}`,
  );
}
