import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { installClosure } from "../../../tooling/install-closure.ts";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("install closure", () => {
  it("never brings onnxruntime-node, the sidecar server or config-file parsers into a service that embeds the client", () => {
    const names = installClosure(packageDir);
    // The walk reaches the transitive dependencies (sidecar-core's own), so a miss below is real.
    expect(names).toContain("@connectrpc/connect-node");
    expect(names).toContain("@gpu-sidecar/sidecar-core");
    expect(names).toContain("@bufbuild/protobuf");
    expect(
      [...names].filter((name) => /onnxruntime|sidecar-server|^zod$|^yaml$/.test(name)),
    ).toEqual([]);
  });
});
