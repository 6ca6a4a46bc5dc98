#!/usr/bin/env node
// Pepr's command line, run by capstan (src/cli/pepr-cli.ts maps each command and flag).
import { existsSync } from "node:fs";

const source = new URL("../src/cli/pepr-main.ts", import.meta.url);
const entry = existsSync(source) ? source : new URL("../dist/cli/pepr-main.js", import.meta.url);
const { peprMain } = await import(entry.href);
process.exitCode = await peprMain(process.argv);
