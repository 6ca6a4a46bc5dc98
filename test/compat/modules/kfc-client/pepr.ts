import { PeprModule } from "pepr";
import { HelloPeprKfc } from "./capabilities/hello-pepr-kfc";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprKfc]);
