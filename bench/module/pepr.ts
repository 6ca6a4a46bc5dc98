import { PeprModule } from "pepr";
import { Bench } from "./capabilities/bench.ts";
import cfg from "./package.json" with { type: "json" };

// Scenario "audit" (capstan only): the same module with and without its background audit.
new PeprModule(process.env.BENCH_AUDIT === "1" ? { ...cfg, pepr: { ...cfg.pepr, audit: true } } : cfg, [Bench]);
