export { type LeaderSignal, Leadership } from "./leadership.ts";
export type { ScheduleStore } from "./runner.ts";
export { Scheduler, type SchedulerOptions } from "./scheduler.ts";
export type { ScheduleState } from "./state.ts";
export { peprRecordOf, peprScheduleConverter } from "./state.ts";
export { intervalMs, MIN_INTERVAL_MS, validateSchedule } from "./validate.ts";
