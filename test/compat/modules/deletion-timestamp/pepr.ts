import { PeprModule } from "pepr";
import { HelloPeprDeletionTimestamp } from "./capabilities/hello-pepr-deletion-timestamp";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprDeletionTimestamp]);
