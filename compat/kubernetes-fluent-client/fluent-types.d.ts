// The types of capstan's client under the name kubernetes-fluent-client (ADR 0010), usable from CommonJS and ES modules.
import type * as esm from "../../dist/compat/kfc-fluent-types.js" with { "resolution-mode": "import" };
export = esm;
