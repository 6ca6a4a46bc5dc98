import { pino } from "pino";
import type { Logger } from "./logger.ts";

/**
 * Writes one line from members already serialised as JSON: `members` is `,"key":value…` (each
 * member led by a comma, as pino joins them), `message` the plain message text.
 */
export type LineWriter = (members: string, message: string) => void;

type Level = "info" | "debug";

interface PinoInternals {
  readonly [key: symbol]: unknown;
}

const s = pino.symbols as unknown as Record<string, symbol>;
const sym = (name: string): symbol => s[name] as symbol;

/** `value` as a JSON string literal, exactly as pino writes a string field or message. */
export const jsonString = (value: string): string => JSON.stringify(value);

/**
 * The part of a pino line before and after the members, when pino would write nothing of its own
 * there: no mixin, log formatter, serializer, redaction, nested key or message prefix, and a stream
 * that takes plain lines. Otherwise undefined, and lines go through the logger itself.
 */
function plainShape(
  logger: Logger,
): { stream: { write(line: string): unknown }; time: () => string; hook?: (line: string) => string } | undefined {
  const internals = logger as unknown as PinoInternals;
  const stream = internals[sym("streamSym")] as ({ write(line: string): unknown } & PinoInternals) | undefined;
  const time = internals[sym("timeSym")];
  const formatters = internals[sym("formattersSym")] as { log?: unknown } | undefined;
  const serializers = internals[sym("serializersSym")] as Record<string, unknown> | undefined;
  const stringifiers = internals[sym("stringifiersSym")] as Record<string | symbol, unknown> | undefined;
  const plain =
    stream !== undefined &&
    typeof stream.write === "function" &&
    stream[sym("needsMetadataGsym")] !== true &&
    typeof time === "function" &&
    internals[sym("messageKeySym")] === "msg" &&
    !internals[sym("mixinSym")] &&
    !internals[sym("nestedKeySym")] &&
    internals[sym("msgPrefixSym")] === undefined &&
    internals[sym("endSym")] === "}\n" &&
    formatters !== undefined &&
    formatters.log === undefined &&
    Object.keys(serializers ?? {}).every((key) => key === "err") &&
    (stringifiers === undefined ||
      (Object.keys(stringifiers).length === 0 && stringifiers[sym("wildcardFirstSym")] === undefined));
  if (!plain) return undefined;
  const hook = (internals[sym("hooksSym")] as { streamWrite?: (line: string) => string } | undefined)?.streamWrite;
  return { stream, time: (time as () => string).bind(logger), hook };
}

/**
 * A writer of `level` lines through `logger` that skips pino's per-line work (walking an object,
 * escaping each field): the caller serialises each field once, and the line is the same bytes pino
 * would write for those fields. Each call checks the level, so a level changed later is followed.
 * A logger pino would shape differently (mixin, serializers, redaction, formatters) gets the same
 * fields through its own `info`/`debug`.
 */
export function lineWriter(logger: Logger, level: Level): LineWriter {
  const shape = plainShape(logger);
  const internals = logger as unknown as PinoInternals;
  const levelCache = internals[sym("lsCacheSym")] as Record<number, string> | undefined;
  const value = logger.levels.values[level] as number;
  const prefix = levelCache?.[value];
  const chindings = internals[sym("chindingsSym")];
  if (!shape || prefix === undefined || typeof chindings !== "string") {
    return (members, message) => {
      if (logger.isLevelEnabled(level)) logger[level](JSON.parse(`{${members.slice(1)}}`) as object, message);
    };
  }
  const { stream, time, hook } = shape;
  return (members, message) => {
    if (!logger.isLevelEnabled(level)) return;
    const line = `${prefix}${time()}${chindings}${members},"msg":${jsonString(message)}}\n`;
    stream.write(hook ? hook(line) : line);
  };
}
