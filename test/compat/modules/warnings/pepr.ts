import { PeprModule } from "pepr";
import { ImagePolicy } from "./capabilities/image-policy";
import { LabelPolicy } from "./capabilities/label-policy";
// cfg loads the package.json: the module's Pepr configuration is under its `pepr` key
import cfg from "./package.json";

new PeprModule(cfg, [LabelPolicy, ImagePolicy]);
