export * from "./module-chunks.ts";
export * from "./resource-names.ts";
export * from "./runtime-contract.ts";
export * from "./shard-contract.ts";
