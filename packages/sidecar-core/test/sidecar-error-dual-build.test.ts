import { createRequire } from "node:module";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import type * as CoreModule from "../src/index.js";

// An application may load both builds of this package (one dependency imports it, another
// requires it): each build has its own SidecarError class. Typed from the source, loaded built.
const esm = (await import(new URL("../dist/index.js", import.meta.url).href)) as typeof CoreModule;
const cjs = createRequire(import.meta.url)("../dist/index.cjs") as typeof CoreModule;

describe("SidecarError across the ESM and CJS builds", () => {
  it("is two classes that recognise each other's errors", () => {
    expect(esm.SidecarError).not.toBe(cjs.SidecarError);
    const fromEsm = new esm.SidecarError(esm.ErrorCode.Unavailable, "draining");
    const fromCjs = new cjs.SidecarError(cjs.ErrorCode.NotFound, "no model");
    expect(fromEsm).toBeInstanceOf(cjs.SidecarError);
    expect(fromCjs).toBeInstanceOf(esm.SidecarError);
    expect(cjs.SidecarError.from(fromEsm)).toBe(fromEsm);
    expect(new cjs.ConfigError([])).toBeInstanceOf(esm.SidecarError);
  });

  it("recognises nothing else", () => {
    for (const other of [new Error("x"), { code: "NOT_FOUND" }, null, "SidecarError", 1]) {
      expect(other instanceof esm.SidecarError).toBe(false);
    }
  });

  it("keeps subclass checks exact", () => {
    const plain = new esm.SidecarError(esm.ErrorCode.Internal, "x");
    expect(plain instanceof esm.ConfigError).toBe(false);
    expect(new esm.ConfigError([]) instanceof esm.ConfigError).toBe(true);
  });

  it("is named SidecarError in stacks and inspection", () => {
    const error = new esm.SidecarError(esm.ErrorCode.Internal, "boom");
    expect(esm.SidecarError.name).toBe("SidecarError");
    expect(cjs.SidecarError.name).toBe("SidecarError");
    expect(error.stack?.split("\n")[0]).toBe("SidecarError: boom");
    expect(inspect(error).split("\n")[0]).toBe("SidecarError: boom");
  });
});
