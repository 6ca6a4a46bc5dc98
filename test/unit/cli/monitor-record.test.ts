import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AdmissionRecord } from "../../../src/admission/recording.ts";
import { ScenarioRecorder, scenarioOf, unreplayable } from "../../../src/cli/monitor/record.ts";
import { parseScenarioFile } from "../../../src/testing/scenario-file.ts";

const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "demo" } };

function record(overrides: Partial<AdmissionRecord> = {}, response: AdmissionRecord["response"] = { allowed: true }) {
  return {
    webhook: "mutate",
    request: {
      uid: "u-1",
      kind: { group: "", version: "v1", kind: "ConfigMap" },
      operation: "CREATE",
      name: "a",
      namespace: "demo",
      userInfo: { username: "alice" },
      object: configMap,
    },
    response,
    ...overrides,
  } as AdmissionRecord;
}

const line = (r: AdmissionRecord) => JSON.stringify({ level: 30, time: 1, pid: 1, ...r, msg: "admission record" });

describe("scenarioOf", () => {
  it("expects the values a mutation set, null for a removal, and the request as the module saw it", () => {
    const scenario = scenarioOf(
      record(
        {},
        {
          allowed: true,
          patch: [
            { op: "add", path: "/metadata/labels", value: { greeting: "hi" } },
            { op: "remove", path: "/metadata/annotations/old" },
            { op: "replace", path: "/data/password", redacted: true },
          ],
        },
      ),
      "one",
    );
    expect(scenario).toEqual({
      name: "one",
      webhook: "mutate",
      request: { operation: "CREATE", namespace: "demo", object: configMap, userInfo: { username: "alice" } },
      expect: { allowed: true, patched: { "/metadata/labels": { greeting: "hi" }, "/metadata/annotations/old": null } },
    });
  });

  it("expects unchanged for a mutation without a patch, and code and message for a denial", () => {
    expect(scenarioOf(record(), "x").expect).toEqual({ allowed: true, unchanged: true });
    const denied = scenarioOf(
      record({ webhook: "validate" }, { allowed: false, code: 403, message: "/etc/ is not allowed/" }),
      "y",
    );
    expect(denied.expect).toEqual({ allowed: false, code: 403, message: "/^\\/etc\\/ is not allowed\\/$/" });
    expect(/^\/etc\/ is not allowed\/$/.test("/etc/ is not allowed/")).toBe(true);
  });

  it("leaves out subresource and CONNECT requests", () => {
    expect(unreplayable(record({ request: { ...record().request, subResource: "status" } }))).toMatch(/subresource/);
    expect(unreplayable(record({ request: { ...record().request, operation: "CONNECT" } }))).toMatch(/CONNECT/);
    expect(unreplayable(record())).toBeUndefined();
  });
});

describe("ScenarioRecorder", () => {
  it("appends one scenario per record to a file the scenario parser reads, once per webhook call", () => {
    const file = join(mkdtempSync(join(tmpdir(), "capstan-record-")), "traffic.scenarios.yaml");
    const said: string[] = [];
    const recorder = new ScenarioRecorder(file, (text) => said.push(text));
    expect(recorder.take('{"msg":"admission decision"}')).toBe(false);
    expect(recorder.take(line(record()))).toBe(true);
    expect(recorder.take(line(record()))).toBe(true); // the same call seen twice
    expect(
      recorder.take(
        line(
          record(
            { webhook: "validate", request: { ...record().request, uid: "u-2" } },
            { allowed: false, code: 400, message: "no" },
          ),
        ),
      ),
    ).toBe(true);
    const parsed = parseScenarioFile(file);
    expect(parsed.scenarios.map((s) => s.name)).toEqual([
      "001 CREATE ConfigMap demo/a (mutate)",
      "002 CREATE ConfigMap demo/a (validate)",
    ]);
    expect(parsed.scenarios[1]).toMatchObject({
      kind: "admission",
      webhook: "validate",
      expect: { allowed: false, code: 400, message: "no" },
    });
    expect(parsed.scenarios[0]).toMatchObject({ request: { namespace: "demo", operation: "CREATE" } });
    expect(recorder.summary()).toBe(`recorded 2 scenario(s) in ${file}; replay them with \`capstan test ${file}\``);
    expect(readFileSync(file, "utf8")).toMatch(/^# Recorded by capstan/);
    expect(said).toEqual([]);
  });

  it("quotes strings other YAML readers would take for booleans or timestamps", () => {
    const file = join(mkdtempSync(join(tmpdir(), "capstan-record-")), "quoted.scenarios.yaml");
    const recorder = new ScenarioRecorder(file, () => {});
    const object = {
      ...configMap,
      metadata: { ...configMap.metadata, labels: { deny: "yes", at: "2026-12-04T23:27:56Z" } },
    };
    recorder.take(line(record({ request: { ...record().request, object } })));
    const text = readFileSync(file, "utf8");
    expect(text).toContain('deny: "yes"');
    expect(text).toContain('at: "2026-12-04T23:27:56Z"');
    const [scenario] = parseScenarioFile(file).scenarios;
    expect(scenario).toMatchObject({
      request: { object: { metadata: { labels: { deny: "yes", at: "2026-12-04T23:27:56Z" } } } },
    });
  });

  it("writes nothing when nothing arrives, and warns about a name `capstan test` would not find", () => {
    const file = join(mkdtempSync(join(tmpdir(), "capstan-record-")), "traffic.yaml");
    const said: string[] = [];
    const recorder = new ScenarioRecorder(file, (text) => said.push(text));
    expect(said[0]).toMatch(/does not end in \.scenarios\.yaml/);
    writeFileSync(file, "old");
    const again: string[] = [];
    new ScenarioRecorder(file, (text) => again.push(text));
    expect(again[0]).toBe(`${file} exists: it is replaced when the first request is recorded`);
    expect(recorder.summary()).toMatch(/^recorded no admission request; nothing written/);
  });
});
