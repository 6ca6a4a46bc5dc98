import { PeprModule } from "pepr";
import { HelloPeprValidate } from "./capabilities/hello-pepr-validate";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprValidate]);
