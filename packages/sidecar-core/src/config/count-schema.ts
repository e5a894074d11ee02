import { z } from "zod";

export const MiB = 1024 * 1024;

/** A whole number from `min` up, bounded where JavaScript numbers stop being exact. */
export function countSchema(min: number) {
  return z.int().min(min).max(Number.MAX_SAFE_INTEGER);
}
