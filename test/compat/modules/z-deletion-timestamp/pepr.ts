import { PeprModule } from "pepr";
import { HelloPeprDeletion } from "./capabilities/deletion";
// The module's Pepr configuration is the `pepr` key of its package.json
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprDeletion]);
