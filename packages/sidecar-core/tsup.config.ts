import { libraryConfig } from "../../tooling/tsup.config.base.ts";

// Subpath entries let a client import only the part it needs: the codec and the protos
// carry no Node-only code; config (node:fs) is for the server side.
export default libraryConfig({
  index: "src/index.ts",
  codec: "src/codec/index.ts",
  rpc: "src/rpc/index.ts",
  config: "src/config/index.ts",
});
