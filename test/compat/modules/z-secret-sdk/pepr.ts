import { PeprModule } from "pepr";
import { HelloPeprSecrets } from "./capabilities/secrets";
// The module's Pepr configuration is the `pepr` key of its package.json
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprSecrets]);
