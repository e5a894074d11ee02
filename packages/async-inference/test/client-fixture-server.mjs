// A minimal Open Inference Protocol server in its own process, so tests can SIGKILL it and
// start it again on the same socket. Serves gRPC and Connect on h2c: a Unix socket path or a
// TCP port (0 picks one) as argv[2]. Model "echo" answers every input back as y<i> after
// argv[3] milliseconds (default 0). Prints "listening <port|path>" when ready and "infer"
// each time a ModelInfer arrives, so a test knows which calls are in flight.
import { rmSync } from "node:fs";
import * as http2 from "node:http2";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import {
  createHealthService,
  createLifecycle,
  GRPCInferenceService,
  Health,
  LifecycleState,
} from "@gpu-sidecar/sidecar-core";

const where = process.argv[2] ?? "0";
const delayMs = Number(process.argv[3] ?? "0");
const lifecycle = createLifecycle({ models: ["echo"] });
lifecycle.setModelReady("echo", true);
lifecycle.transition(LifecycleState.Serving);

function echo(request) {
  return {
    modelName: request.modelName,
    id: request.id,
    outputs: request.inputs.map((input, index) => ({
      name: `y${index}`,
      datatype: input.datatype,
      shape: input.shape,
    })),
    rawOutputContents: request.rawInputContents,
  };
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

const handler = connectNodeAdapter({
  routes(router) {
    router.service(GRPCInferenceService, {
      serverLive: () => ({ live: lifecycle.live }),
      serverReady: () => ({ ready: lifecycle.ready }),
      modelReady: (request) => ({ ready: request.name === "echo" && lifecycle.ready }),
      async modelInfer(request, context) {
        process.stdout.write("infer\n");
        await sleep(delayMs, context.signal);
        return echo(request);
      },
      async *modelStreamInfer(requests) {
        for await (const request of requests) {
          await sleep(delayMs);
          yield { inferResponse: echo(request) };
        }
      },
    });
    router.service(Health, createHealthService(lifecycle));
  },
});

const server = http2.createServer(handler);
const onListening = () => {
  const address = server.address();
  process.stdout.write(
    `listening ${typeof address === "string" ? address : String(address?.port)}\n`,
  );
};
if (/^\d+$/.test(where)) {
  // A short accept queue, so that a test can fill it while the process is stopped.
  server.listen({ port: Number(where), host: "127.0.0.1", backlog: 1 }, onListening);
} else {
  rmSync(where, { force: true });
  server.listen(where, onListening);
}
