import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The install route of docs/migrating-from-pepr.md, end to end and as a Pepr team takes it: capstan is
// compiled and packed, and a Pepr-shaped module whose only dependency is `"pepr": "file:<tarball>"`
// is installed with npm (from the shared npm cache; what is missing comes from the registry). The
// module imports `pepr`, a Pepr deep path, `kubernetes-fluent-client` and `fast-json-patch`.

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const node = process.execPath;

function run(command: string, args: readonly string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: "pipe", env: envFor(cwd) });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(" ")} failed in ${cwd}:\n${failed.stdout ?? ""}\n${failed.stderr ?? failed.message}`,
    );
  }
}

// npm and npx run on the Node this test runs on; `npx` puts the module's node_modules/.bin first.
function envFor(cwd: string): NodeJS.ProcessEnv {
  const path = [join(cwd, "node_modules/.bin"), join(node, ".."), process.env.PATH ?? ""].join(":");
  return { ...process.env, PATH: path, npm_config_update_notifier: "false", npm_config_fund: "false" };
}

const npm = (args: readonly string[], cwd: string) => run("npm", args, cwd);
const npx = (args: readonly string[], cwd: string) =>
  spawnSync("npx", ["--no-install", ...args], { cwd, encoding: "utf8", env: envFor(cwd) });
// What npx runs, without npm's start-up (seconds on a busy machine).
const pepr = (args: readonly string[], cwd: string) =>
  spawnSync(join(cwd, "node_modules/.bin/pepr"), args, { cwd, encoding: "utf8", env: envFor(cwd) });

function packCapstan(workDir: string): string {
  const packageDir = join(workDir, "capstan");
  mkdirSync(packageDir, { recursive: true });
  try {
    execFileSync(
      node,
      [
        join(repoRoot, "node_modules/typescript/bin/tsc"),
        "-p",
        "tsconfig.build.json",
        "--outDir",
        join(packageDir, "dist"),
      ],
      {
        cwd: repoRoot,
        stdio: "pipe",
      },
    );
  } catch {
    // Type errors elsewhere in the checkout still emit JavaScript; the checks below decide.
  }
  for (const path of ["package.json", "README.md", "bin", "compat"])
    cpSync(join(repoRoot, path), join(packageDir, path), { recursive: true });
  npm(["pack", packageDir, "--pack-destination", workDir, "--silent"], workDir);
  const tarball = readdirSync(workDir).find((name) => name.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${workDir}`);
  return join(workDir, tarball);
}

// The version capstan itself depends on (typescript-api), so npm finds it in the cache.
const typescriptVersion = JSON.parse(
  readFileSync(join(repoRoot, "node_modules/typescript-api/package.json"), "utf8"),
).version;
const peprConfig = { uuid: "install-route", onError: "reject", webhookTimeout: 10, alwaysIgnore: { namespaces: [] } };

const files: Readonly<Record<string, string>> = {
  "pepr.ts": `import { PeprModule } from "pepr";
import cfg from "./package.json";
import { Widgets } from "./capabilities/widgets";
import type { MutateResponse, ValidateResponse } from "pepr/src/lib/k8s";
import type { AdmissionRequest } from "pepr/src/lib/common-types";

new PeprModule(cfg, [Widgets], {
  beforeHook: (request: AdmissionRequest) => void request.uid,
  afterHook: (response: MutateResponse | ValidateResponse) => void response.allowed,
});
`,
  "capabilities/widgets.ts": `import { a, Capability, K8s, Log, metricsCollector, PeprUtils, R } from "pepr";
import { GenericKind, K8s as FluentK8s, kind, type KubernetesObject, RegisterKind, WatchPhase } from "kubernetes-fluent-client";
import { compare, type Operation } from "fast-json-patch";

export class Widget extends GenericKind {
  declare spec?: { size?: number };
}
// Registered through kubernetes-fluent-client, used through pepr: one registry or the build fails.
RegisterKind(Widget, { group: "example.dev", version: "v1", kind: "Widget", plural: "widgets" });

export const Widgets = new Capability({ name: "widgets", description: "install route", namespaces: ["widgets"] });
const { When } = Widgets;
metricsCollector.addCounter("widgets_seen", "Widgets seen");

When(a.ConfigMap)
  .IsCreatedOrUpdated()
  .Mutate((request) => {
    request.SetLabel("same", String(R.equals(request.Raw.data, { a: "b" })));
  });

When(kind.Secret)
  .IsCreated()
  .Validate((request) => (PeprUtils.convertFromBase64Map(request.Raw).length ? request.Deny("binary") : request.Approve()));

When(Widget)
  .IsCreatedOrUpdated()
  .Watch(async (widget: Widget, phase: WatchPhase) => {
    metricsCollector.incCounter("widgets_seen");
    const operations: Operation[] = compare({}, { metadata: { labels: { phase } } });
    await K8s(Widget).Patch(operations);
    const object: KubernetesObject = widget;
    const configMaps = await FluentK8s(kind.ConfigMap).InNamespace("widgets").Get();
    Log.info(\`\${object.metadata?.name}: \${configMaps.items.length}\`);
  });
`,
};

// Pepr's module template options, with each moduleResolution the acceptance names.
const tsconfig = (module: string, moduleResolution: string) =>
  JSON.stringify({
    compilerOptions: {
      allowSyntheticDefaultImports: true,
      esModuleInterop: true,
      lib: ["ES2022"],
      module,
      moduleResolution,
      noEmit: true,
      resolveJsonModule: true,
      strict: false,
      target: "ES2022",
    },
    include: ["**/*.ts"],
    exclude: ["node_modules", "dist"],
  });

describe('"pepr": "file:<capstan tarball>" and nothing else', () => {
  let work: string;
  let moduleDir: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "capstan-install-route-"));
    const tarball = packCapstan(work);
    moduleDir = join(work, "module");
    mkdirSync(join(moduleDir, "capabilities"), { recursive: true });
    for (const [path, text] of Object.entries(files)) writeFileSync(join(moduleDir, path), text);
    const pkg = {
      name: "install-route",
      version: "0.0.1",
      description: "Pepr-shaped",
      pepr: peprConfig,
      dependencies: { pepr: `file:${tarball}` },
      // As Pepr's module template has it; capstan build type-checks with the module's TypeScript.
      devDependencies: { typescript: typescriptVersion },
    };
    writeFileSync(join(moduleDir, "package.json"), JSON.stringify(pkg, null, 2));
    writeFileSync(join(moduleDir, "tsconfig.json"), tsconfig("es2022", "bundler"));
    npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], moduleDir);
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("npm installs capstan as pepr, with the names capstan and kubernetes-fluent-client beside it", () => {
    const installed = (name: string) =>
      JSON.parse(readFileSync(join(moduleDir, "node_modules", name, "package.json"), "utf8")).name;
    expect(installed("pepr")).toBe("capstan");
    expect(installed("capstan")).toBe("capstan");
    expect(installed("kubernetes-fluent-client")).toBe("kubernetes-fluent-client");
    expect(existsSync(join(moduleDir, "node_modules/fast-json-patch/package.json"))).toBe(true);
    expect(existsSync(join(moduleDir, "node_modules/.bin/pepr"))).toBe(true);
  });

  it("the module type-checks with moduleResolution node, node16 and bundler", async () => {
    const modes = [
      ["node", "commonjs"],
      ["node16", "node16"],
      ["bundler", "es2022"],
    ] as const;
    const tsc = join(moduleDir, "node_modules/typescript/bin/tsc");
    // The three checks run at once: each is a separate tsc process over the same module.
    const results = await Promise.all(
      modes.map(([moduleResolution, module]) => {
        writeFileSync(join(moduleDir, `tsconfig.${moduleResolution}.json`), tsconfig(module, moduleResolution));
        return new Promise<{ mode: string; code: number | null; output: string }>((resolve) => {
          const child = spawn(node, [tsc, "-p", `tsconfig.${moduleResolution}.json`], { cwd: moduleDir });
          let output = "";
          child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
          child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
          child.on("close", (code) => resolve({ mode: moduleResolution, code, output }));
        });
      }),
    );
    expect(results).toEqual(modes.map(([mode]) => ({ mode, code: 0, output: "" })));
  });

  it("npx pepr build writes the manifests; kinds registered through kubernetes-fluent-client reach When()", () => {
    const result = npx(["pepr", "build"], moduleDir);
    expect(result.status, result.stderr).toBe(0);
    const manifests = readdirSync(join(moduleDir, "dist")).filter((name) => name.endsWith(".yaml"));
    expect(manifests).toEqual([expect.stringMatching(/^pepr-module-.+\.yaml$/)]);
    const yaml = readFileSync(join(moduleDir, "dist", manifests[0] as string), "utf8");
    expect(yaml).toContain("kind: MutatingWebhookConfiguration");
    expect(yaml).toContain("kind: ValidatingWebhookConfiguration");
    const description = JSON.parse(readFileSync(join(moduleDir, "dist/module-description.json"), "utf8"));
    const kinds = description.capabilities[0].bindings.map(
      (binding: { kind: { kind: string; group: string } }) => binding.kind,
    );
    expect(kinds).toContainEqual(expect.objectContaining({ kind: "Widget", group: "example.dev", plural: "widgets" }));
    const bundle = readFileSync(join(moduleDir, "dist/module.mjs"), "utf8");
    const imported = new Set([...bundle.matchAll(/from\s*"([^"]+)"/g)].map((match) => match[1]));
    expect([...imported].sort()).toEqual(["capstan", "capstan/kubernetes-fluent-client", "node:module"]);
  });

  it("npx pepr --version prints capstan's version", () => {
    const result = pepr(["--version"], moduleDir);
    const version = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version;
    expect(result.stdout.trim()).toBe(version);
  });

  it("an unknown command or a flag capstan cannot honour exits non-zero and says so", () => {
    const unknown = npx(["pepr", "frobnicate"], moduleDir);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain("pepr: unknown command 'frobnicate'");
    const zarf = pepr(["build", "--zarf", "chart"], moduleDir);
    expect(zarf.status).not.toBe(0);
    expect(zarf.stderr).toContain("pepr: not supported by capstan yet: pepr build --zarf");
  });
});
