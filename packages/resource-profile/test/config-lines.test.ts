import { describe, expect, test } from "vitest";
import { parseConfigLines, ResourceProfileErrorCode } from "../src/index.js";
import { catchError } from "./catch-error.js";

describe("parseConfigLines", () => {
  test("reads flat key: value lines, skipping blanks and comments", () => {
    const text = [
      "# worker on a GPU node",
      "",
      "taskmanager.numberOfTaskSlots: 4",
      "external-resources: gpu",
      "external-resource.gpu.kubernetes.config-key: nvidia.com/gpu",
      "taskmanager.memory.task.heap.size: 1g   # heap for user code",
      'external-resource.gpu.param.discovery-script.args: "--query-gpu=index #1"',
      "external-resource.gpu.param.discovery-script.path: 'it''s.sh'",
      "empty.value:",
      "url: http://host:8080/x",
    ].join("\r\n");
    expect(parseConfigLines(text)).toEqual({
      "taskmanager.numberOfTaskSlots": "4",
      "external-resources": "gpu",
      "external-resource.gpu.kubernetes.config-key": "nvidia.com/gpu",
      "taskmanager.memory.task.heap.size": "1g",
      "external-resource.gpu.param.discovery-script.args": "--query-gpu=index #1",
      "external-resource.gpu.param.discovery-script.path": "it's.sh",
      "empty.value": "",
      url: "http://host:8080/x",
    });
  });

  test("a __proto__ key is an ordinary key", () => {
    const config = parseConfigLines("__proto__: x");
    expect(Object.hasOwn(config, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
  });

  test.each([
    ["a.b: 1\njust some words", 2, "expected `key: value`"],
    ["a.b=1", 1, "expected `key: value`"],
    [": value", 1, "expected `key: value`"],
    ["taskmanager:\n  numberOfTaskSlots: 4", 2, "nested YAML is not supported"],
    ['a: "unterminated', 1, 'opens with " but is not closed'],
    ["- gpu", 1, "expected `key: value`"],
  ])("%j is rejected naming line %i", (text, line, reason) => {
    const error = catchError(() => parseConfigLines(text));
    expect(error.code).toBe(ResourceProfileErrorCode.InvalidConfig);
    expect(error.message).toContain(`line ${line}:`);
    expect(error.message).toContain(reason);
  });

  test("a repeated key names both lines", () => {
    const error = catchError(() => parseConfigLines("a: 1\nb: 2\na: 3"));
    expect(error.message).toBe('line 3: key "a" is set again (first on line 1); keep one of them');
  });
});
