import { PeprModule } from "pepr";
import { HelloPeprGeneric } from "./capabilities/hello-pepr-generic";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprGeneric]);
