#!/usr/bin/env node
// In a checkout the TypeScript sources run directly (Node >= 22.18 strips types); an installed
// package runs its compiled dist/ (it ships src/ too, for stack traces, but Node does not strip
// types under node_modules).
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
const installed = import.meta.url.includes("/node_modules/");
const entry = !installed && existsSync(source) ? source : new URL("../dist/cli/main.js", import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
