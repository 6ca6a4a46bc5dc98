import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { jsonString, lineWriter } from "../../../src/telemetry/line-writer.ts";

function captured(options: pino.LoggerOptions = {}) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  stream.write = ((chunk: string) => {
    lines.push(chunk);
    return true;
  }) as Writable["write"];
  const logger = pino({ base: { pid: 7, hostname: "h" }, timestamp: () => ',"time":1', ...options }, stream);
  return { logger, lines };
}

const fields = {
  uid: 'u-"1"',
  namespace: "ns",
  name: "/pod",
  gvk: { group: "", version: "v1", kind: "Pod" },
  ok: true,
  ms: 1.5,
};
const members =
  `,"uid":${jsonString(fields.uid)},"namespace":"ns","name":"/pod","gvk":${JSON.stringify(fields.gvk)}` +
  `,"ok":true,"ms":1.5`;

describe("lineWriter", () => {
  it("writes the bytes pino writes for the same fields, child bindings included", () => {
    const { logger, lines } = captured();
    const child = logger.child({ component: "x" }, { redact: [] });
    child.info(fields, "Incoming request ü\n");
    lineWriter(child, "info")(members, "Incoming request ü\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(lines[0]);
  });

  it("follows the logger's level at each call", () => {
    const { logger, lines } = captured({ level: "warn" });
    const write = lineWriter(logger, "info");
    write(members, "hidden");
    expect(lines).toHaveLength(0);
    logger.level = "debug";
    write(members, "shown");
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 30, msg: "shown", uid: fields.uid });
  });

  it("goes through the logger when pino would shape the line itself (serializers, mixin, redaction)", () => {
    const plain = captured();
    plain.logger.info(fields, "m");
    for (const options of [
      { serializers: { uid: () => "S" } },
      { mixin: () => ({ extra: 1 }) },
      { redact: ["uid"] },
    ] satisfies pino.LoggerOptions[]) {
      const { logger, lines } = captured(options);
      logger.info(fields, "m");
      lineWriter(logger, "info")(members, "m");
      expect(lines[1]).toBe(lines[0]);
      expect(lines[0]).not.toBe(plain.lines[0]);
    }
  });
});
