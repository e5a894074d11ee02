#!/usr/bin/env node
import { unlinkSync } from "node:fs";
import { ErrorCode, SidecarError } from "@gpu-sidecar/sidecar-core";
import {
  ConfigError,
  LOG_LEVELS,
  loadSidecarConfig,
  MODEL_CONTROL_MODES,
  type SidecarConfig,
  type SidecarConfigFlags,
} from "@gpu-sidecar/sidecar-core/config";
import { Command, CommanderError, Option } from "commander";
import { type Logger, pino } from "pino";
import { createConfiguredMetrics } from "./metrics/configured-metrics.js";
import { SERVER_VERSION } from "./server/server-info.js";
import { type Sidecar, startSidecar } from "./server/sidecar.js";
import { reloadSidecar } from "./server/sidecar-reload.js";

/** Exit code of a configuration the sidecar cannot start with (a usage error, as in sysexits). */
const EXIT_CONFIG = 2;
const EXIT_FAILURE = 1;
/**
 * Signals whose default action ends the process: each one drains like SIGTERM, so that no
 * signal leaves accepted work unanswered or the socket file behind. (SIGUSR1 stays Node's
 * inspector signal; SIGHUP reloads, see `reload`.)
 */
const TERMINATING_SIGNALS: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGQUIT", "SIGUSR2"];

async function serve(flags: SidecarConfigFlags): Promise<void> {
  let config: Awaited<ReturnType<typeof loadSidecarConfig>>;
  try {
    config = await loadSidecarConfig({ flags });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`gpu-sidecar: ${error.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  // Synchronous writes: the last lines before `process.exit` (the reason for a failed start,
  // "stopped") must reach a piped stdout. The sidecar logs events, not requests, so it is cheap.
  const logger = pino(
    { name: "gpu-sidecar", level: config.log.level },
    pino.destination({ dest: 1, sync: true }),
  );
  let sidecar: Sidecar | undefined;
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      // A second Ctrl-C means "now": the operator chose not to wait for the drain.
      logger.warn({ signal }, "second signal: exiting without finishing the drain");
      removeSocket(config.server.uds.path);
      process.exit(EXIT_FAILURE);
    }
    signalled = true;
    logger.info({ signal }, "shutting down");
    // A signal during start (models still loading) drains as soon as the start completes.
    if (sidecar !== undefined) drain(sidecar);
  };
  const drain = (running: Sidecar) => {
    running.drain().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.fatal({ err: error }, "shutdown failed");
        process.exit(EXIT_FAILURE);
      },
    );
  };
  for (const signal of TERMINATING_SIGNALS) process.on(signal, onSignal);
  // SIGHUP is "reload" for servers (and is sent when a terminal closes): re-read the settings
  // that can change in place rather than die. One reload at a time, in signal order.
  let running = config;
  let reloading = Promise.resolve();
  process.on("SIGHUP", () => {
    reloading = reloading.then(async () => {
      running = await reload(flags, logger, running, sidecar);
    });
  });
  const metrics = createConfiguredMetrics(config, logger);
  try {
    sidecar = await startSidecar(config, { logger, ...(metrics === undefined ? {} : { metrics }) });
  } catch (error) {
    const failure = SidecarError.from(error);
    // An expected failure (a port in use, a missing repository) is said in full by its
    // message; only a bug's stack helps anyone.
    logger.fatal(
      failure.code === ErrorCode.Internal
        ? { err: failure, code: failure.code }
        : { code: failure.code },
      `cannot start: ${failure.message}`,
    );
    // The log may go to a collector; whoever started the process reads stderr.
    process.stderr.write(`gpu-sidecar: cannot start: ${failure.message}\n`);
    process.exit(EXIT_FAILURE);
  }
  if (signalled) drain(sidecar);
}

/**
 * Applies what can change without a restart, from the config file, environment and flags read
 * again: the log level, and in explicit model control the models the config names. Logs what
 * it reloaded and which changed settings wait for a restart; returns the config in effect.
 */
async function reload(
  flags: SidecarConfigFlags,
  logger: Logger,
  running: SidecarConfig,
  sidecar: Sidecar | undefined,
): Promise<SidecarConfig> {
  const signal = "SIGHUP";
  let next: SidecarConfig;
  try {
    next = await loadSidecarConfig({ flags });
  } catch (error) {
    logger.error(
      { signal, reason: SidecarError.from(error).message },
      "reload failed: keeping the running settings",
    );
    return running;
  }
  logger.level = next.log.level;
  // Still starting: the models load as the start's config says; only the log level changes.
  const models = sidecar?.models;
  const outcome = models === undefined ? undefined : await reloadSidecar(models, running, next);
  const restartNeeded = outcome?.restartNeeded ?? [];
  if (outcome?.modelsReloaded) {
    const { loaded, unloaded, failed } = outcome;
    logger[failed.length > 0 ? "warn" : "info"](
      { signal, logLevel: next.log.level, loaded, unloaded, failed, restartNeeded },
      "reloaded the log level and the models the config names",
    );
  } else {
    logger.info(
      { signal, logLevel: next.log.level, restartNeeded },
      models === undefined
        ? "reloaded the log level; the models load as configured at start"
        : "reloaded the log level; models reload only with model_control_mode explicit",
    );
  }
  if (restartNeeded.length > 0) {
    logger.warn({ signal, settings: restartNeeded }, "changed settings take effect on restart");
  }
  return outcome?.running ?? { ...running, log: next.log };
}

function removeSocket(path: string | false): void {
  if (path === false) return;
  try {
    unlinkSync(path);
  } catch {
    // Already removed (the drain got that far) or never created.
  }
}

const program = new Command("gpu-sidecar")
  .description(
    "One long-lived inference sidecar per GPU node: dynamic batching behind the Open Inference Protocol (KServe v2 / Triton) over gRPC, REST and a Unix socket.",
  )
  .version(SERVER_VERSION, "-v, --version")
  // A usage error (an unknown flag, a missing value) is an unusable configuration: exit 2, as
  // documented, instead of commander's 1. Help and version still exit 0.
  .exitOverride();

program
  // The default: `gpu-sidecar --model-repository ./models` serves too.
  .command("serve", { isDefault: true })
  .description(
    "Load the model repository and serve it. Settings come from defaults < --config file < GPU_SIDECAR_* environment variables < these flags.",
  )
  .option("--config <file>", "JSON or YAML config file (or GPU_SIDECAR_CONFIG)")
  .option(
    "--model-repository <dir>",
    "model repository: <dir>/<model>/<version>/model.onnx with optional <dir>/<model>/config.json",
  )
  .option("--host <address>", "address the TCP listeners bind (default 127.0.0.1)")
  .option("--http-address <address>", "address of the HTTP/1.1 listener alone (default --host)")
  .option("--grpc-address <address>", "address of the gRPC (h2c) listener alone (default --host)")
  .option(
    "--metrics-address <address>",
    "address of the metrics listener alone (default --host), e.g. 0.0.0.0 for Prometheus",
  )
  .option(
    "--http-port <port>",
    "HTTP/1.1 port for REST v2 and Connect (default 8000; 0 = any free port, false = off)",
  )
  .option(
    "--grpc-port <port>",
    "cleartext HTTP/2 port for gRPC, gRPC-Web and Connect (default 8001; 0 = any free port, false = off)",
  )
  .option(
    "--metrics-port <port>",
    "Prometheus metrics port (default 8002; 0 = any free port, false = off)",
  )
  .option(
    "--uds <path>",
    "Unix domain socket (HTTP/2: gRPC and Connect) for co-located workers, created with mode server.uds.mode (default 0600); false = off",
  )
  .addOption(
    new Option(
      "--model-control-mode <mode>",
      "none: load every model at start; explicit: load and unload through the repository API",
    ).choices(MODEL_CONTROL_MODES),
  )
  .option(
    "--load-model <name...>",
    "with --model-control-mode explicit: models to load at start (repeatable)",
  )
  .option("--strict-model-load", "exit non-zero when any model fails to load at start")
  .option(
    "--metrics-require-auth",
    "scrapes of /metrics need the bearer token (server.auth.bearer_token); by default /metrics is open",
  )
  .addOption(new Option("--log-level <level>", "pino log level (default info)").choices(LOG_LEVELS))
  .addHelpText(
    "after",
    `
Every setting, its environment variable and the config file format: docs/config.md of
@gpu-sidecar/sidecar-core.

On SIGTERM, SIGINT, SIGQUIT or SIGUSR2 the sidecar reports NOT_SERVING, refuses new work,
finishes queued and running requests within server.limits.drain_timeout_ms, removes its socket
and exits 0. On SIGHUP it re-reads the config file, environment and flags and applies what can
change in place: the log level, and with model_control_mode explicit the models it names (new
ones load, removed ones unload); it logs what it reloaded and which changed settings need a
restart.`,
  )
  .action((flags: SidecarConfigFlags) => serve(flags));

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // commander has printed the message (or the help) already.
    process.exit(error.exitCode === 0 ? 0 : EXIT_CONFIG);
  }
  process.stderr.write(`gpu-sidecar: ${SidecarError.from(error).message}\n`);
  process.exit(EXIT_FAILURE);
});
