import { PeprModule } from "pepr";
import { HelloPeprStore } from "./capabilities/hello-pepr-store";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprStore]);
