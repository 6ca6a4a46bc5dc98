// Installed as node_modules/kubernetes-fluent-client, a link into capstan (ADR 0009).
export * from "../../dist/compat/kubernetes-fluent-client.js";
