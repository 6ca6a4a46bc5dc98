import { PeprModule } from "pepr";
import { HelloPeprStoreRedactLogs } from "./capabilities/store";
// The module's Pepr configuration is the `pepr` key of its package.json
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprStoreRedactLogs]);
