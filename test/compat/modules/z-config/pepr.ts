import { PeprModule } from "pepr";
import { HelloPeprConfig } from "./capabilities/config";
// The module's Pepr configuration is the `pepr` key of its package.json
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprConfig]);
