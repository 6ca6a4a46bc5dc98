import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startProcess } from "../../../src/testing/control-plane/processes.ts";
import { waitFor } from "../../../src/testing/control-plane/readiness.ts";

const logDir = () => mkdtempSync(join(tmpdir(), "capstan-readiness-"));

describe("waitFor", () => {
  it("fails early with the tail of the log when the process dies", async () => {
    const proc = startProcess({
      name: "dies",
      command: "sh",
      args: ["-c", "echo first line; echo 'fatal: cannot open data dir'; exit 3"],
      logFile: join(logDir(), "dies.log"),
      detached: false,
    });
    const error = await waitFor(proc, 10_000, async () => false).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/dies exited early \(3\)/);
    expect((error as Error).message).toContain("fatal: cannot open data dir");
  });

  it("says when a port was taken", async () => {
    const proc = startProcess({
      name: "apiserver",
      command: "sh",
      args: ["-c", "echo 'listen tcp 127.0.0.1:6443: bind: address already in use'; exit 1"],
      logFile: join(logDir(), "a.log"),
      detached: false,
    });
    await expect(waitFor(proc, 10_000, async () => false)).rejects.toThrow(
      /port it was given is taken; run the command again/,
    );
  });

  it("times out naming the process when it never becomes ready", async () => {
    const proc = startProcess({
      name: "slow",
      command: "sleep",
      args: ["30"],
      logFile: join(logDir(), "s.log"),
      detached: false,
    });
    await expect(waitFor(proc, 300, async () => false)).rejects.toThrow(/slow was not ready after 0.3 s/);
    process.kill(proc.pid, "SIGKILL");
  });

  it("returns once the check passes", async () => {
    const proc = startProcess({
      name: "ok",
      command: "sleep",
      args: ["30"],
      logFile: join(logDir(), "o.log"),
      detached: false,
    });
    let calls = 0;
    await waitFor(proc, 5_000, async () => ++calls >= 2);
    expect(calls).toBe(2);
    process.kill(proc.pid, "SIGKILL");
  });
});
