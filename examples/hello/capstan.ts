import { PeprModule } from "capstan";
import pkg from "./package.json" with { type: "json" };
import { hello } from "./capabilities/hello.ts";

new PeprModule(pkg, [hello]);
