// The schedule types are part of the authoring API (`OnSchedule`), so they live in the model.
export type {
  CatchUpPolicy,
  CronSchedule,
  IntervalSchedule,
  ScheduleDefinition,
  ScheduleUnit,
} from "../model/schedule.ts";
