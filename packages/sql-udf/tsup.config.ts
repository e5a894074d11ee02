import { libraryConfig } from "../../tooling/tsup.config.base.ts";

export default libraryConfig({ index: "src/index.ts", shell: "src/shell/shell.ts" });
