import { Capability, Log } from "pepr";

export const HelloPeprSchedule = new Capability({
  name: "hello-pepr-schedule",
  description: "OnSchedule() jobs",
  namespaces: [],
});

const { OnSchedule } = HelloPeprSchedule;

// Ten seconds is the shortest interval Pepr accepts.
OnSchedule({
  name: "every-ten-seconds",
  every: 10,
  unit: "seconds",
  run: () => {
    Log.info({ schedule: "every-ten-seconds", at: Date.now() }, "schedule ran");
  },
});

OnSchedule({
  name: "once",
  every: 10,
  unit: "seconds",
  completions: 1,
  run: async () => {
    Log.info({ schedule: "once", at: Date.now() }, "schedule ran");
  },
});
