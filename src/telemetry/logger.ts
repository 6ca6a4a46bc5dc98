import { type Logger as PinoLogger, pino } from "pino";

export type Logger = PinoLogger;

/**
 * The process logger: JSON lines on stdout, level from LOG_LEVEL (default info). Fields that may
 * hold secrets or Store values are redacted wherever they appear.
 */
export const Log: Logger = pino({
  level: process.env.LOG_LEVEL ?? "info",
  base: { pid: process.pid },
  timestamp: process.env.PINO_TIME_STAMP === "iso" ? pino.stdTimeFunctions.isoTime : pino.stdTimeFunctions.epochTime,
  redact: {
    paths: ["*.data", "*.stringData", "*.token", "*.authorization", "*.value", "*.values", "headers.authorization"],
    censor: "[redacted]",
  },
});
