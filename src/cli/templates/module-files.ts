import { capabilitySource, capabilityTestSource, scenarioFileSource } from "./capability.ts";
import { readmeSource } from "./readme.ts";

export interface InitAnswers {
  /** Folder and package name. */
  readonly name: string;
  readonly description: string;
  readonly onError: "audit" | "ignore" | "reject";
  readonly uuid: string;
  /** The capstan version range the module depends on. */
  readonly capstanVersion: string;
}

export interface TemplateFile {
  readonly path: string;
  readonly content: string;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function packageJson(answers: InitAnswers) {
  return {
    name: answers.name,
    version: "0.0.1",
    description: answers.description,
    private: true,
    type: "module",
    scripts: {
      build: "capstan build",
      deploy: "capstan deploy",
      dev: "capstan dev",
      test: "vitest run && capstan test",
      typecheck: "tsc --noEmit",
      lint: "biome check .",
    },
    dependencies: { capstan: answers.capstanVersion },
    devDependencies: {
      "@biomejs/biome": "^2.6.8",
      "@types/node": "^24.19.2",
      typescript: "^7.0.2",
      vitest: "^5.1.1",
    },
    engines: { node: ">=22" },
    capstan: {
      uuid: answers.uuid,
      onError: answers.onError,
      webhookTimeout: 10,
      customLabels: { namespace: {} },
      alwaysIgnore: { namespaces: [] },
      env: {},
      rbac: [],
    },
  };
}

const tsconfig = {
  compilerOptions: {
    target: "es2024",
    module: "nodenext",
    moduleResolution: "nodenext",
    lib: ["es2024"],
    types: ["node"],
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    resolveJsonModule: true,
    verbatimModuleSyntax: true,
    skipLibCheck: true,
  },
  include: ["capstan.ts", "capabilities"],
};

const biome = {
  formatter: { enabled: true, indentStyle: "space", indentWidth: 2, lineWidth: 120 },
  linter: { enabled: true, rules: { preset: "recommended" } },
  files: { includes: ["capstan.ts", "capabilities/**", "*.json"] },
};

const entrySource = `import { PeprModule } from "capstan";
import pkg from "./package.json" with { type: "json" };
import { HelloCapstan } from "./capabilities/hello-capstan.ts";

// The module: its config (package.json "capstan") and its capabilities. \`capstan build\` loads this
// file to discover the bindings; the capstan runtime loads it to serve them.
new PeprModule(pkg, [HelloCapstan]);
`;

const gitignore = "node_modules/\ndist/\ncoverage/\n*.tgz\n";

/** Every file `capstan init` writes, relative to the new module's folder. */
export function moduleFiles(answers: InitAnswers): TemplateFile[] {
  return [
    { path: "package.json", content: json(packageJson(answers)) },
    { path: "tsconfig.json", content: json(tsconfig) },
    { path: "biome.json", content: json(biome) },
    { path: ".gitignore", content: gitignore },
    { path: "README.md", content: readmeSource(answers) },
    { path: "capstan.ts", content: entrySource },
    { path: "capabilities/hello-capstan.ts", content: capabilitySource },
    { path: "capabilities/hello-capstan.test.ts", content: capabilityTestSource },
    { path: "scenarios/hello-capstan.scenarios.yaml", content: scenarioFileSource },
  ];
}
