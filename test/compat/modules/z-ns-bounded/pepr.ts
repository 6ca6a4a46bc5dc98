import { PeprModule } from "pepr";
import { HelloPeprNamespace } from "./capabilities/namespace";
import { HelloPeprNamespaceAll } from "./capabilities/namespace-all";
// The module's Pepr configuration is the `pepr` key of its package.json
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprNamespace, HelloPeprNamespaceAll]);
