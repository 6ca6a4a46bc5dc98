// Installed as node_modules/kubernetes-fluent-client, a link into capstan (ADR 0010).
export * from "../../dist/compat/kubernetes-fluent-client.js";
