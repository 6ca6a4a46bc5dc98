export { LineReader, sessionLogFile } from "./dev-logs.ts";
export { type ModuleRuntime, startModuleRuntime } from "./module-runtime.ts";
export { localCredentials } from "./webhook-credentials.ts";
