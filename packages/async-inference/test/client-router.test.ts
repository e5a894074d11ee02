import { describe, expect, it } from "vitest";
import type { EndpointState, EndpointStatus } from "../src/client/endpoint-state.js";
import { createLocalFirstRouter } from "../src/client/router.js";

function endpoint(
  index: number,
  locality: EndpointState["locality"],
  status: EndpointStatus,
): EndpointState {
  return {
    url: `endpoint-${index}`,
    locality,
    index,
    status,
    live: status === "serving",
    lastError: undefined,
  };
}

const request = { method: "ModelInfer", model: "m" } as const;

function pick(endpoints: EndpointState[]): string | undefined {
  return createLocalFirstRouter().pick(endpoints, request)?.url;
}

describe("createLocalFirstRouter", () => {
  it("prefers the Unix socket, then loopback, then remote, when all are live", () => {
    expect(
      pick([
        endpoint(0, "remote", "serving"),
        endpoint(1, "loopback", "serving"),
        endpoint(2, "unix", "serving"),
      ]),
    ).toBe("endpoint-2");
    expect(pick([endpoint(0, "remote", "serving"), endpoint(1, "loopback", "serving")])).toBe(
      "endpoint-1",
    );
  });

  it("keeps configuration order between equals", () => {
    expect(pick([endpoint(0, "remote", "serving"), endpoint(1, "remote", "serving")])).toBe(
      "endpoint-0",
    );
  });

  it("prefers a live remote endpoint to a local one that is down or draining", () => {
    expect(pick([endpoint(0, "unix", "unreachable"), endpoint(1, "remote", "serving")])).toBe(
      "endpoint-1",
    );
    expect(pick([endpoint(0, "unix", "not-serving"), endpoint(1, "remote", "serving")])).toBe(
      "endpoint-1",
    );
  });

  it("treats an endpoint not heard from yet like a live one, so start-up calls stay local", () => {
    expect(pick([endpoint(0, "remote", "serving"), endpoint(1, "unix", "connecting")])).toBe(
      "endpoint-1",
    );
  });

  it("still offers dead endpoints when nothing is live, draining before unreachable", () => {
    expect(pick([endpoint(0, "unix", "unreachable"), endpoint(1, "remote", "not-serving")])).toBe(
      "endpoint-1",
    );
    expect(pick([endpoint(0, "remote", "unreachable"), endpoint(1, "unix", "unreachable")])).toBe(
      "endpoint-1",
    );
  });

  it("picks nothing from nothing", () => {
    expect(pick([])).toBeUndefined();
  });
});
