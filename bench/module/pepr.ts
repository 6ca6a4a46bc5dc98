import { PeprModule } from "pepr";
import { Bench } from "./capabilities/bench.ts";
import cfg from "./package.json" with { type: "json" };

new PeprModule(cfg, [Bench]);
