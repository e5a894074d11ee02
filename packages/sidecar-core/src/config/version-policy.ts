import { z } from "zod";
import { countSchema } from "./count-schema.js";
import { strictSection } from "./strict-section.js";

const versionNumber = countSchema(1);

/** Triton's `version_policy`, in its JSON form: exactly one of `latest`, `all`, `specific`. */
export const versionPolicySchema = z.union(
  [
    strictSection({ latest: strictSection({ num_versions: versionNumber }) }),
    strictSection({ all: strictSection({}) }),
    strictSection({
      specific: strictSection({
        versions: z
          .array(versionNumber)
          .min(1)
          .refine((versions) => new Set(versions).size === versions.length, {
            error: "must not list a version twice",
          }),
      }),
    }),
  ],
  {
    error:
      'expected exactly one of {"latest": {"num_versions": N}}, {"all": {}}, {"specific": {"versions": [N, ...]}}',
  },
);

export type VersionPolicy = z.output<typeof versionPolicySchema>;

export interface ResolvedVersions {
  /** The versions to load, ascending. */
  readonly selected: readonly number[];
  /** Versions a `specific` policy asks for that are not available, ascending. */
  readonly missing: readonly number[];
}

/** Which of the `available` versions a policy loads. */
export function resolveVersionPolicy(
  policy: VersionPolicy,
  available: readonly number[],
): ResolvedVersions {
  const ascending = [...new Set(available)].sort((a, b) => a - b);
  if ("all" in policy) return { selected: ascending, missing: [] };
  if ("latest" in policy) {
    return { selected: ascending.slice(-policy.latest.num_versions), missing: [] };
  }
  const wanted = [...policy.specific.versions].sort((a, b) => a - b);
  const present = new Set(ascending);
  return {
    selected: wanted.filter((version) => present.has(version)),
    missing: wanted.filter((version) => !present.has(version)),
  };
}
