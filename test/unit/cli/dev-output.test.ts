import { describe, expect, it } from "vitest";
import { devOutput, type LogFormat, type OutputStream, prettyLine } from "../../../src/cli/dev-output.ts";

// issue 21, problem 10: `capstan dev` prints a line per event on a terminal, JSON when piped or asked.

const time = Date.UTC(2026, 11, 4, 23, 41, 7, 123);

class Capture implements OutputStream {
  text = "";
  readonly isTTY: boolean;
  constructor(isTTY: boolean) {
    this.isTTY = isTTY;
  }
  write(text: string) {
    this.text += text;
    return true;
  }
  get lines() {
    return this.text.split("\n").filter(Boolean);
  }
}

function session(format: LogFormat, tty: boolean) {
  const stdout = new Capture(tty);
  const stderr = new Capture(tty);
  return { stdout, stderr, output: devOutput({ format, stdout, stderr, color: false, now: () => time }) };
}

const watchLine = JSON.stringify({
  level: 30,
  time,
  pid: 4242,
  hostname: "laptop",
  "capstan.capability": "hello-capstan",
  "capstan.binding": "2-watch-configmap",
  alias: "no alias provided",
  name: "example",
  phase: "ADDED",
  msg: "ConfigMap changed",
});

describe("prettyLine", () => {
  it("shows time, level, capability/binding, message and the other fields", () => {
    expect(prettyLine(watchLine)).toBe(
      "23:41:07.123 INFO  hello-capstan/2-watch-configmap: ConfigMap changed name=example phase=ADDED",
    );
  });

  it("quotes values with spaces, writes objects as JSON, shows an error's message and first frame", () => {
    const line = JSON.stringify({
      level: 50,
      time,
      "capstan.component": "controller",
      reason: "backend not ready",
      patch: [{ op: "add", path: "/a", value: 1 }],
      err: {
        type: "TypeError",
        message: "boom",
        stack: "TypeError: boom\n    at run (capabilities/hello.ts:12:7)\n    at x",
      },
      msg: "callback failed",
    });
    expect(prettyLine(line)).toBe(
      '23:41:07.123 ERROR callback failed component=controller reason="backend not ready" patch=[{"op":"add","path":"/a","value":1}] err="TypeError: boom (at run (capabilities/hello.ts:12:7))"',
    );
  });

  it("leaves text that is not a JSON object as it is", () => {
    expect(prettyLine("plain text from console.log")).toBe("plain text from console.log");
    expect(prettyLine("[1,2]")).toBe("[1,2]");
  });

  it("colours warnings and errors only when asked", () => {
    expect(prettyLine(JSON.stringify({ level: 40, time, msg: "careful" }), true)).toBe(
      "23:41:07.123 \u001b[33mWARN \u001b[0m careful",
    );
    expect(prettyLine(JSON.stringify({ level: 40, time, msg: "careful" }))).toBe("23:41:07.123 WARN  careful");
  });
});

describe("devOutput", () => {
  it("auto on a terminal: pretty lines for the module's log and the session's own", () => {
    const { stdout, stderr, output } = session("auto", true);
    output.module(watchLine);
    output.session("capstan dev: NO MODULE IS SERVING: build failed", "error");
    output.moduleStderr("TypeError: boom");
    expect(stdout.lines).toEqual([
      "23:41:07.123 INFO  hello-capstan/2-watch-configmap: ConfigMap changed name=example phase=ADDED",
    ]);
    expect(stderr.lines).toEqual([
      "23:41:07.123 ERROR capstan dev: NO MODULE IS SERVING: build failed",
      "TypeError: boom",
    ]);
  });

  it("auto when piped: JSON lines, the module's as they are and the session's in the same shape", () => {
    const { stdout, stderr, output } = session("auto", false);
    output.module(watchLine);
    output.session("capstan dev: module serving");
    output.moduleStderr("TypeError: boom");
    expect(stdout.lines).toEqual([watchLine]);
    const [own, relayed] = stderr.lines.map((line) => JSON.parse(line));
    expect(own).toEqual({
      level: 30,
      time,
      pid: process.pid,
      hostname: expect.any(String),
      "capstan.component": "dev",
      msg: "capstan dev: module serving",
    });
    expect(relayed).toMatchObject({ level: 50, time, stream: "module stderr", msg: "TypeError: boom" });
  });

  it("--log-format pretty when piped, and json on a terminal", () => {
    const piped = session("pretty", false);
    piped.output.module(watchLine);
    expect(piped.stdout.lines).toEqual([
      "23:41:07.123 INFO  hello-capstan/2-watch-configmap: ConfigMap changed name=example phase=ADDED",
    ]);
    const terminal = session("json", true);
    terminal.output.module(watchLine);
    terminal.output.session("capstan dev: module reloaded");
    expect(terminal.stdout.lines).toEqual([watchLine]);
    expect(JSON.parse(terminal.stderr.lines[0] as string).msg).toBe("capstan dev: module reloaded");
  });
});
