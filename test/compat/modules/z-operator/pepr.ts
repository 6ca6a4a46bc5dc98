import { PeprModule } from "pepr";
// The module's Pepr configuration is the `pepr` key of its package.json
import cfg from "./package.json";

import { WebAppController } from "./capabilities";

new PeprModule(cfg, [WebAppController]);
