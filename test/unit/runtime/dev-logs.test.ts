import { appendFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { liveDevLogFile, prepareSessionFiles, tailLines } from "../../../src/runtime/dev-logs.ts";

describe("dev session files", () => {
  it("one folder per session; the live session's log is found, dead sessions' folders go", () => {
    const moduleDir = mkdtempSync(join(tmpdir(), "capstan-dev-logs-"));
    expect(existsSync(liveDevLogFile(moduleDir))).toBe(false);
    // A session whose process is gone (pid 2^22 + 1 is above Linux's pid_max).
    const dead = join(moduleDir, ".capstan", "dev", "4194305");
    mkdirSync(dead, { recursive: true });
    writeFileSync(join(dead, "session.json"), JSON.stringify({ pid: 4194305, startedAt: "x", logFile: "y" }));

    const files = prepareSessionFiles(moduleDir, new Date().toISOString());
    expect(files.dir).toBe(join(moduleDir, ".capstan", "dev", String(process.pid)));
    expect(files.outDir).toBe(join(".capstan", "dev", String(process.pid)));
    expect(existsSync(dead)).toBe(false);
    writeFileSync(files.logFile, "");
    expect(liveDevLogFile(moduleDir)).toBe(files.logFile);
  });

  it("tails complete lines, including multi-byte characters split across reads", () => {
    const file = join(mkdtempSync(join(tmpdir(), "capstan-dev-tail-")), "log.jsonl");
    const lines: string[] = [];
    const tail = tailLines(file, (line) => lines.push(line));
    appendFileSync(file, "one\ntw");
    tail.readNow();
    expect(lines).toEqual(["one"]);
    appendFileSync(file, Buffer.from("o ü\n", "utf8").subarray(0, 3));
    tail.readNow();
    appendFileSync(file, Buffer.from("o ü\nlast", "utf8").subarray(3));
    tail.stop();
    expect(lines).toEqual(["one", "two ü", "last"]);
  });
});
