import { PeprModule } from "pepr";
import { HelloPeprAlias } from "./capabilities/hello-pepr-alias";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprAlias]);
