import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { installClosure } from "../../../tooling/install-closure.ts";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

test("the install closure holds no inference runtime and no server code", () => {
  const closure = installClosure(packageDir);
  expect(closure.has("@bufbuild/protobuf")).toBe(true);
  expect(closure.has("onnxruntime-node")).toBe(false);
  expect(closure.has("onnxruntime-common")).toBe(false);
  expect(closure.has("@gpu-sidecar/sidecar-server")).toBe(false);
  // Only `./config` reads config files; its parsers are optional peers the server brings.
  expect(closure.has("zod")).toBe(false);
  expect(closure.has("yaml")).toBe(false);
});

test("the closure walk follows transitive dependencies", () => {
  const serverDir = fileURLToPath(new URL("../../sidecar-server", import.meta.url));
  const closure = installClosure(serverDir);
  expect(closure.has("onnxruntime-node")).toBe(true);
  // onnxruntime-node's own dependency, reached only transitively
  expect(closure.has("onnxruntime-common")).toBe(true);
  expect(closure.has("zod")).toBe(true);
  expect(closure.has("yaml")).toBe(true);
});
