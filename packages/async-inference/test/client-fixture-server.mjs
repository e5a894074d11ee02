// A minimal Open Inference Protocol server in its own process, so tests can SIGKILL it and
// start it again on the same socket. Serves gRPC and Connect on h2c: a Unix socket path or a
// TCP port (0 picks one) as argv[2]. Model "echo" answers every input back as y<i> after
// argv[3] milliseconds (default 0). Prints "listening <port|path>" when ready and "infer"
// each time a ModelInfer arrives, so a test knows which calls are in flight. argv[4], when
// given, ends every inference stream without an answer, as a draining or restarting server
// does: "refused-stream" (RST_STREAM REFUSED_STREAM), "no-error-reset" (RST_STREAM NO_ERROR)
// or "goaway-not-covered" (a GOAWAY whose last stream id is below the stream's); it prints
// "refused" for each. Two more refuse streams only, once their first request arrived, while
// the client's side is still open: "stream-unimplemented" (UNIMPLEMENTED, as servers without
// ModelStreamInfer answer) and "stream-ends" (ended with OK and no answer); they print
// "stream refused".
import { rmSync } from "node:fs";
import * as http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
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
const STREAM_REFUSALS = new Set(["stream-unimplemented", "stream-ends"]);
const streamRefusal = STREAM_REFUSALS.has(process.argv[4]) ? process.argv[4] : undefined;
const refusal = streamRefusal === undefined ? process.argv[4] : undefined;
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
        if (streamRefusal !== undefined) {
          await requests[Symbol.asyncIterator]().next();
          process.stdout.write("stream refused\n");
          if (streamRefusal === "stream-ends") return;
          throw new ConnectError("Method not found: ModelStreamInfer", Code.Unimplemented);
        }
        for await (const request of requests) {
          await sleep(delayMs);
          yield { inferResponse: echo(request) };
        }
      },
    });
    router.service(Health, createHealthService(lifecycle));
  },
});

const INFERENCE = /^\/inference\.GRPCInferenceService\/Model(Stream)?Infer$/;
const wentAway = new WeakSet();

function refuse(stream) {
  process.stdout.write("refused\n");
  const { session } = stream;
  if (refusal === "no-error-reset") {
    stream.close(http2.constants.NGHTTP2_NO_ERROR);
  } else if (refusal === "goaway-not-covered" && !wentAway.has(session) && stream.id > 1) {
    // Once per connection (a later GOAWAY may not raise the last stream id); a connection's
    // first stream has no id below it and is refused outright.
    wentAway.add(session);
    session.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id - 2);
  } else {
    stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
  }
}

const server = http2.createServer((request, response) => {
  if (refusal !== undefined && INFERENCE.test(request.url)) refuse(request.stream);
  else handler(request, response);
});
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
