import { libraryConfig } from "../../tooling/tsup.config.base.ts";

export default libraryConfig({
  index: "src/index.ts",
  // The `gpu-sidecar-scheduler` command (package.json `bin`): the kube-scheduler extender.
  cli: "src/cli.ts",
});
