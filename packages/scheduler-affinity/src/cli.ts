#!/usr/bin/env node
import { Command, Option } from "commander";
import { readExtenderConfig } from "./extender/extender-config.js";
import { nodeRegistration } from "./extender/extender-nodes.js";
import { createExtenderServer } from "./extender/extender-server.js";
import { createSchedulerExtender } from "./extender/scheduler-extender.js";
import { createPlacementEngine } from "./placement-engine.js";
import { PlacementError } from "./placement-error.js";
import { createSidecarLiveView } from "./sidecar-live-view.js";

const program = new Command()
  .name("gpu-sidecar-scheduler")
  .description("kube-scheduler extender: place GPU pods on nodes whose gpu-sidecar is live");

program
  .command("serve")
  .description("serve POST /filter, POST /prioritize and GET /healthz")
  .requiredOption("--config <file>", "nodes and strategy (YAML or JSON)")
  .addOption(new Option("--host <host>", "address to listen on").default("127.0.0.1"))
  .addOption(new Option("--port <port>", "port to listen on").default("8888").argParser(parsePort))
  .addOption(new Option("--path-prefix <path>", "path before each verb").default(""))
  .action(async (options: { config: string; host: string; port: number; pathPrefix: string }) => {
    const config = readExtenderConfig(options.config);
    const engine = createPlacementEngine({
      strategy: config.strategy,
      seed: config.seed,
      lossGraceMs: config.lossGraceMs,
    });
    const live = createSidecarLiveView({ engine, pollIntervalMs: config.pollIntervalMs });
    for (const node of config.nodes) live.add(nodeRegistration(node));
    const server = createExtenderServer({
      extender: createSchedulerExtender({ engine }),
      engine,
      pathPrefix: options.pathPrefix,
    });
    server.listen(options.port, options.host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : options.port;
      process.stdout.write(
        `${JSON.stringify({ msg: "listening", host: options.host, port, nodes: config.nodes.length, strategy: config.strategy })}\n`,
      );
    });
    const stop = () => {
      server.close();
      void live.close().then(() => engine.close());
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });

function parsePort(value: string): number {
  const port = Number(value);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    throw new PlacementError(
      "SA_ERR_INVALID_ARGUMENT",
      `--port is ${JSON.stringify(value)}, expected a port number from 0 to 65535`,
    );
  }
  return port;
}

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`gpu-sidecar-scheduler: ${PlacementError.from(error).message}\n`);
  process.exit(2);
});
