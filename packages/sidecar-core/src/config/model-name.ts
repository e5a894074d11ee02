import { z } from "zod";

/**
 * A model name is one directory name of the repository. The first character may not be a dot
 * or a dash, which rules out `.`, `..`, hidden directories and names read as CLI options;
 * `/` and `\` are never allowed, so a name cannot walk out of the repository lexically.
 */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

export const MODEL_NAME_RULE = `a model name is 1 to 255 of A-Z a-z 0-9 _ . - and starts with a letter, digit or _ (${MODEL_NAME_PATTERN})`;

export const modelNameSchema = z.string().regex(MODEL_NAME_PATTERN, { error: MODEL_NAME_RULE });

export function isModelName(name: string): boolean {
  return MODEL_NAME_PATTERN.test(name);
}
