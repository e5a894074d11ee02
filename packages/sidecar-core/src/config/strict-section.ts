import { z } from "zod";

/**
 * A strict object whose unknown-key message lists the keys it does accept, so a typo such as
 * `htp_port` is answered with the right spelling instead of a silent default.
 */
export function strictSection<const Shape extends z.ZodRawShape>(shape: Shape) {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `unknown key; allowed keys: ${allowed}` : undefined,
  });
}
