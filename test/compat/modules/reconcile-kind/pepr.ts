import { PeprModule } from "pepr";
import { Reconciler } from "./capabilities/reconciler";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [Reconciler]);
