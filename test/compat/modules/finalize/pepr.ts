import { PeprModule } from "pepr";
import { HelloPeprFinalize } from "./capabilities/hello-pepr-finalize";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprFinalize]);
