// CommonJS-format types for consumers that type-check as CommonJS (moduleResolution node16, no "type": "module").
import type * as esm from "../../dist/compat/pepr-lib-enums.js" with { "resolution-mode": "import" };
export = esm;
