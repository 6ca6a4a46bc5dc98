import { PeprModule } from "pepr";
import { HelloPeprWatch } from "./capabilities/hello-pepr-watch";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprWatch]);
