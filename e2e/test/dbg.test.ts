import { createSidecarClient } from "@gpu-sidecar/async-inference";
import { parseSidecarConfig } from "@gpu-sidecar/sidecar-core/config";
import { startSidecar } from "@gpu-sidecar/sidecar-server";
import { it } from "vitest";

it("dbg", async () => {
  const config = parseSidecarConfig({
    model_repository: "/work/wt/i14/packages/sidecar-server/models",
    server: {
      http_port: 0,
      grpc_port: 0,
      metrics_port: false,
      uds: { path: false },
      auth: { bearer_token: "x" },
    },
    log: { level: "silent" },
  });
  const sidecar = await startSidecar(config, { hotPath: process.env.HOT === "1" });
  const t = {
    name: "features",
    datatype: "FP32" as const,
    shape: [1, 16],
    data: new Uint8Array(64),
  };
  for (let i = 0; i < 3; i++) {
    const client = createSidecarClient({
      endpoint: `http://127.0.0.1:${sidecar.addresses.grpc?.port}`,
    });
    if (process.env.MODE === "unary") await client.infer("fraud-mock", [t]).catch((e) => e.message);
    else {
      const s = client.createStreamSession("fraud-mock");
      await s.infer([t]).catch((e) => e.message);
      await s.close();
    }
    await client.close();
  }
  await sidecar.close();
}, 10000);
