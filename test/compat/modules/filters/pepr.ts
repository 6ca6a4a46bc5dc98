import { PeprModule } from "pepr";
import { HelloPeprFilters } from "./capabilities/hello-pepr-filters";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprFilters]);
