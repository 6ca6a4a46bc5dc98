import { PeprModule } from "pepr";
import { Left } from "./capabilities/left";
import { Right } from "./capabilities/right";
// The module's Pepr configuration is the `pepr` key of its package.json
import cfg from "./package.json";

new PeprModule(cfg, [Left, Right]);
