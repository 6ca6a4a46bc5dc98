import { PeprModule } from "pepr";
import { HelloPeprSchedule } from "./capabilities/hello-pepr-schedule";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [HelloPeprSchedule]);
