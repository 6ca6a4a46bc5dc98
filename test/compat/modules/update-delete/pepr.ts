import { PeprModule } from "pepr";
import { HelloPeprUpdateDelete } from "./capabilities/hello-pepr-update-delete";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprUpdateDelete]);
