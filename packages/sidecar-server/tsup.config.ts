import { libraryConfig } from "../../tooling/tsup.config.base.ts";

export default libraryConfig(
  {
    index: "src/index.ts",
    // Each model instance runs this file in a worker thread (Node 20 cannot run the TypeScript).
    "instance-worker": "src/executor/instance-worker.ts",
    // Tests start real workers, which only exist built; they reach the pool through this entry.
    "executor-pool": "src/executor/executor-pool.ts",
    // The `gpu-sidecar` command (package.json `bin`).
    cli: "src/cli.ts",
    // The demo model's JS reference and ONNX encoder, importable without the server or onnxruntime.
    "demo-model": "src/demo-model/index.ts",
    // `spawnSidecar` for tests, users' included: runs the `cli` entry beside it.
    testing: "src/testing/index.ts",
  },
  // The pool finds the worker entry via `import.meta.url`, which the CJS build gets as a shim.
  { shims: true },
);
