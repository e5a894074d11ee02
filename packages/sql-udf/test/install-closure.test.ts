import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { installClosure } from "../../../tooling/install-closure.ts";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("install closure", () => {
  it("brings DuckDB and the client, never onnxruntime-node or the sidecar server", () => {
    const names = installClosure(packageDir);
    expect(names).toContain("@duckdb/node-api");
    expect(names).toContain("@gpu-sidecar/async-inference");
    expect(names).toContain("@connectrpc/connect-node");
    expect([...names].filter((name) => /onnxruntime|sidecar-server/.test(name))).toEqual([]);
  });
});
