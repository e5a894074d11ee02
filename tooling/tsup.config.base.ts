import { defineConfig, type Options } from "tsup";

/**
 * One build shape for every package: ESM + CJS + declarations, Node 20, no bundled
 * dependencies. `entry` maps output names to sources (e.g. `{ index: "src/index.ts" }`).
 */
export function libraryConfig(entry: Record<string, string>, overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ["esm", "cjs"],
    // tsup passes `baseUrl`, which TypeScript 6 deprecates; silence it for the declaration build only.
    dts: { compilerOptions: { ignoreDeprecations: "6.0" } },
    sourcemap: true,
    clean: true,
    target: "node20",
    platform: "node",
    splitting: false,
    treeshake: true,
    ...overrides,
  });
}
