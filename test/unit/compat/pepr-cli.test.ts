import { describe, expect, it } from "vitest";
import { PEPR_COMMANDS, translatePeprArgs } from "../../../src/cli/pepr-cli.ts";

const steps = (args: string[], module = {}) => {
  const result = translatePeprArgs(args, module);
  if (result.kind !== "run") throw new Error(`expected a run, got ${JSON.stringify(result)}`);
  return result.steps;
};
const error = (args: string[]) => {
  const result = translatePeprArgs(args);
  if (result.kind !== "error") throw new Error(`expected an error, got ${JSON.stringify(result)}`);
  return result.message;
};

describe("pepr command line → capstan", () => {
  it("maps build flags to capstan's, with Pepr's admin RBAC default unless package.json or -M says otherwise", () => {
    expect(steps(["build", "-e", "main.ts", "-o", "out", "--custom-image", "registry.example/capstan:1"])).toEqual([
      [
        "build",
        "--entry-point",
        "main.ts",
        "--output",
        "out",
        "--image",
        "registry.example/capstan:1",
        "--rbac-mode",
        "admin",
      ],
    ]);
    expect(steps(["build"], { rbacMode: "scoped" })).toEqual([["build", "--rbac-mode", "scoped"]]);
    expect(steps(["build", "-M", "scoped"])).toEqual([["build", "--rbac-mode", "scoped"]]);
    expect(steps(["build", "--rbac-mode=admin"], { rbacMode: "scoped" })).toEqual([["build", "--rbac-mode", "admin"]]);
  });

  it.each([
    [["build", "--registry-info", "ghcr.io/acme"], "--registry-info", "--custom-image"],
    [["build", "-I", "ghcr.io/acme"], "--registry-info", "--custom-image"],
    [["build", "--zarf", "chart"], "--zarf", "zarf.yaml"],
    [["build", "--with-pull-secret", "regcred"], "--with-pull-secret", "imagePullSecrets"],
    [["build", "--timeout", "20"], "--timeout", "webhookTimeout"],
    [["build", "--no-embed"], "--no-embed", "esbuild"],
    [["build", "--custom-name", "x"], "--custom-name", "uuid"],
    [["build", "-r", "Iron Bank"], "--registry", "--custom-image"],
    [["deploy", "--pull-secret", "regcred"], "--pull-secret", "kubectl create secret docker-registry"],
    [["deploy", "-i", "img"], "--image", "--custom-image"],
    [["kfc", "crd", "x", "y"], "kfc", "kubernetes-fluent-client"],
    [["format"], "format", "formatter"],
    [["update"], "update", "npm:capstan@"],
    [["--features", "a=b"], "--features", "feature flags"],
  ])("refuses %j: names %s and what to do instead", (args, what, instead) => {
    const message = error(args);
    expect(message).toMatch(/^not supported by capstan yet: /);
    expect(message).toContain(what);
    expect(message).toContain(instead);
  });

  it("refuses unknown commands and options, listing what it accepts", () => {
    expect(error(["frobnicate"])).toMatch(/^unknown command 'frobnicate': capstan's pepr accepts init, build, deploy/);
    expect(error(["build", "--frobnicate"])).toMatch(/^unknown option '--frobnicate' for pepr build/);
    expect(error(["build", "-o"])).toBe("option '-o' of pepr build needs a value");
    expect(error(["build", "extra"])).toMatch(/takes no argument/);
  });

  it("builds before deploying, as Pepr's deploy does", () => {
    expect(steps(["deploy", "-y", "--force"])).toEqual([
      ["build", "--rbac-mode", "admin"],
      ["deploy", "--yes", "--force"],
    ]);
  });

  it("maps init, dev, monitor, uuid and crd", () => {
    expect(steps(["init", "-n", "hello", "-d", "desc", "-e", "reject", "-u", "abc", "-s", "-y"])).toEqual([
      [
        "init",
        "--name",
        "hello",
        "--description",
        "desc",
        "--on-error",
        "reject",
        "--uuid",
        "abc",
        "--skip-install",
        "--yes",
      ],
    ]);
    expect(steps(["dev", "--host", "10.0.0.1", "-y"])).toEqual([["dev", "--host", "10.0.0.1", "--rbac-mode", "admin"]]);
    expect(steps(["dev"], { rbacMode: "scoped" })).toEqual([["dev", "--rbac-mode", "scoped"]]);
    expect(steps(["monitor", "abc"])).toEqual([["monitor", "abc"]]);
    expect(steps(["uuid"])).toEqual([["uuid"]]);
    expect(steps(["crd", "create", "-g", "acme", "-k", "Widget", "-v", "v1", "-s", "wd"])).toEqual([
      ["crd", "create", "--group", "acme", "--kind", "Widget", "--version", "v1", "--short-name", "wd"],
    ]);
    expect(steps(["crd", "generate", "-o", "out"])).toEqual([["crd", "generate", "--output", "out"]]);
    expect(steps(["build", "--help"])).toEqual([["build", "--help"]]);
  });

  it("answers --version and help itself", () => {
    expect(translatePeprArgs(["--version"]).kind).toBe("version");
    expect(translatePeprArgs(["-V"]).kind).toBe("version");
    const help = translatePeprArgs([]);
    expect(help.kind).toBe("help");
    for (const command of ["init", "build", "deploy", "dev", "monitor", "uuid", "format", "crd", "update", "kfc"])
      expect(PEPR_COMMANDS).toContain(command);
  });
});
