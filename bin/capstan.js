#!/usr/bin/env node
// In a checkout the TypeScript sources run directly (Node >= 22.18 strips types);
// an installed package runs its compiled dist/.
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
const entry = existsSync(source) ? source : new URL("../dist/cli/main.js", import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
