#!/usr/bin/env node
// Pepr's command line, run by capstan (src/cli/pepr-cli.ts maps each command and flag).
// Sources in a checkout, dist/ when installed (see bin/capstan.js).
import { existsSync } from "node:fs";

const source = new URL("../src/cli/pepr-main.ts", import.meta.url);
const installed = import.meta.url.includes("/node_modules/");
const entry = !installed && existsSync(source) ? source : new URL("../dist/cli/pepr-main.js", import.meta.url);
const { peprMain } = await import(entry.href);
process.exitCode = await peprMain(process.argv);
