import { Counter, Gauge } from "prom-client";
import { registry } from "../telemetry/index.ts";

/** Leader election, labelled by Lease (`<namespace>/<name>`). */
export const leaderMetrics = {
  isLeader: new Gauge({
    name: "capstan_leader_is_leader",
    help: "1 while this replica holds the Lease, else 0",
    labelNames: ["lease"],
    registers: [registry],
  }),
  changes: new Counter({
    name: "capstan_leader_changes_total",
    help: "Times this replica saw the Lease's holder change (itself included)",
    labelNames: ["lease"],
    registers: [registry],
  }),
};
