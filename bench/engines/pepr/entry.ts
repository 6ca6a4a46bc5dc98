// The bench module's entry for Pepr: bench/module/pepr.ts, except that the port comes from
// BENCH_PEPR_PORT. Pepr serves on 3000 unless a module defers its start and calls start(port), and
// the store scenario runs two Pepr processes side by side on one host.
import { PeprModule } from "pepr";
import { Bench } from "../../module/capabilities/bench.ts";
import cfg from "../../module/package.json" with { type: "json" };

const module = new PeprModule(cfg, [Bench], { deferStart: true });
// In build mode (PEPR_MODE=build) Pepr only reports the capabilities and builds no server.
if (process.env.PEPR_MODE !== "build") module.start(Number(process.env.BENCH_PEPR_PORT ?? "3000"));
