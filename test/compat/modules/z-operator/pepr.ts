import { PeprModule } from "pepr";
import { WebAppController } from "./capabilities";
// The module's Pepr configuration is the `pepr` key of its package.json
import cfg from "./package.json";

new PeprModule(cfg, [WebAppController]);
