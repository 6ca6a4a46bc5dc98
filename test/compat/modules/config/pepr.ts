import { PeprModule } from "pepr";
import { HelloPeprConfig } from "./capabilities/hello-pepr-config";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprConfig]);
