import { PeprModule } from "pepr";
import { HelloPeprIgnoredNS } from "./capabilities/ignored-ns";
// The module's Pepr configuration is the `pepr` key of its package.json
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprIgnoredNS]);
