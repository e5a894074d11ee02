import { z } from "zod";
import { countSchema as count } from "./count-schema.js";
import { strictSection } from "./strict-section.js";

/** Where a group's instances run, Triton's `KIND_GPU` / `KIND_CPU`. */
export const INSTANCE_KINDS = ["gpu", "cpu"] as const;
export type InstanceKind = (typeof INSTANCE_KINDS)[number];

/**
 * One entry of a model's `instance_group`, as Triton writes it: `count` instances on **each**
 * GPU of `gpus` (CUDA device numbers, as `CUDA_VISIBLE_DEVICES` leaves them), or on every visible
 * GPU when `gpus` is absent; `count` instances on the CPU for kind `cpu`.
 */
export const instanceGroupSchema = strictSection({
  kind: z.enum(INSTANCE_KINDS),
  count: count(1).default(1),
  gpus: z
    .array(count(0))
    .min(1)
    .refine((gpus) => new Set(gpus).size === gpus.length, {
      error: "must not list a GPU twice",
    })
    .optional(),
}).superRefine((group, ctx) => {
  if (group.kind === "cpu" && group.gpus !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["gpus"],
      input: group.gpus,
      message: 'only a group of kind "gpu" runs on GPUs: remove gpus or set kind "gpu"',
    });
  }
});

export type InstanceGroupConfig = z.output<typeof instanceGroupSchema>;
