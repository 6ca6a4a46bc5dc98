export { Backoff, type BackoffCurve, backoffCeiling, equalJitter, symmetricJitter } from "./backoff.ts";
export { type Clock, systemClock, type TimerHandle } from "./clock.ts";
export { FakeClock, settle } from "./fake-clock.ts";
