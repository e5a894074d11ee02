/** A parsed JSON object (not an array, not null): what request bodies and tensors must be. */
export function isJsonObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
