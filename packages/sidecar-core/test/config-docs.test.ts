import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CONFIG_OVERRIDES, modelConfigSchema, sidecarConfigSchema } from "../src/config/index.js";

const docs = await readFile(resolve(import.meta.dirname, "../docs/config.md"), "utf8");

/** How the reference names the keys of a record (any input name, any output name). */
const RECORD_KEYS: Readonly<Record<string, string>> = {
  "dynamic_batching.padding": "<input>",
  "dynamic_batching.padding.<input>.outputs": "<output>",
};

interface JsonSchema {
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly additionalProperties?: JsonSchema | boolean;
  readonly oneOf?: readonly JsonSchema[];
}

/** Every leaf key path of a JSON schema; records descend through their RECORD_KEYS name. */
function keyPaths(schema: JsonSchema, prefix = ""): string[] {
  if (schema.oneOf !== undefined)
    return schema.oneOf.flatMap((variant) => keyPaths(variant, prefix));
  const paths: string[] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const record = RECORD_KEYS[path];
    if (child.properties !== undefined) paths.push(...keyPaths(child, path));
    else if (record !== undefined && typeof child.additionalProperties === "object") {
      const item = child.additionalProperties;
      const itemPath = `${path}.${record}`;
      paths.push(...(item.properties !== undefined ? keyPaths(item, itemPath) : [itemPath]));
    } else paths.push(path);
  }
  return paths;
}

function documentedKeys(schema: z.ZodType): string[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  return [...new Set(keyPaths(json))];
}

describe("docs/config.md", () => {
  it("documents every key of the sidecar config", () => {
    const keys = documentedKeys(sidecarConfigSchema);
    expect(keys).toContain("server.limits.max_request_bytes");
    expect(keys.filter((key) => !docs.includes(`\`${key}\``))).toEqual([]);
  });

  it("documents every key of the model config, both backends", () => {
    const keys = documentedKeys(modelConfigSchema);
    expect(keys).toContain("mock.per_row_latency_us");
    expect(keys).toContain("dynamic_batching.padding.<input>.outputs.<output>");
    expect(keys.filter((key) => !docs.includes(`\`${key}\``))).toEqual([]);
  });

  it("documents every environment variable and flag", () => {
    const names = CONFIG_OVERRIDES.flatMap((override) =>
      override.flag === undefined ? [override.env] : [override.env, override.flag.name],
    );
    expect(names.filter((name) => !docs.includes(`\`${name}\``))).toEqual([]);
  });

  it("lists each environment variable in the row of the key it sets", () => {
    for (const override of CONFIG_OVERRIDES) {
      const row = docs
        .split("\n")
        .find((line) => line.split("|")[1]?.trim() === `\`${override.key}\``);
      expect(row, override.key).toContain(`\`${override.env}\``);
      if (override.flag !== undefined)
        expect(row, override.key).toContain(`\`${override.flag.name}\``);
    }
  });
});
