import { createRequire } from "node:module";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import type * as ProfileModule from "../src/index.js";

// Both builds loaded at once, as an application with ESM and CJS dependants may (vitest's
// globalSetup builds dist/). Typed from the source, loaded built.
const esm = (await import(
  new URL("../dist/index.js", import.meta.url).href
)) as typeof ProfileModule;
const cjs = createRequire(import.meta.url)("../dist/index.cjs") as typeof ProfileModule;

describe("ResourceProfileError across the ESM and CJS builds", () => {
  it("is recognised by the other build's class, and nothing else is", () => {
    const fromEsm = new esm.ResourceProfileError(esm.ResourceProfileErrorCode.InvalidJson, "x");
    expect(fromEsm).toBeInstanceOf(cjs.ResourceProfileError);
    expect(cjs.ResourceProfileError.from(fromEsm)).toBe(fromEsm);
    expect(new Error("x") instanceof cjs.ResourceProfileError).toBe(false);
  });

  it("is named ResourceProfileError in stacks and inspection", () => {
    const error = new cjs.ResourceProfileError(cjs.ResourceProfileErrorCode.Internal, "boom");
    expect(cjs.ResourceProfileError.name).toBe("ResourceProfileError");
    expect(inspect(error).split("\n")[0]).toBe("ResourceProfileError: boom");
  });
});
