import { PeprModule } from "pepr";
import { HelloPeprMutate } from "./capabilities/hello-pepr-mutate";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprMutate]);
