import { capabilitySource, capabilityTestSource, scenarioFileSource } from "./capability.ts";
import { readmeSource } from "./readme.ts";

export interface InitAnswers {
  /** Folder and package name. */
  readonly name: string;
  readonly description: string;
  readonly onError: "audit" | "ignore" | "reject";
  readonly uuid: string;
  /** The capstan dependency spec: a version range, or `file:` a tarball or a folder. */
  readonly capstanVersion: string;
  /** capstan comes from a folder: an `.npmrc` makes npm copy it with its dependencies rather than link it. */
  readonly capstanFromFolder?: boolean;
}

export interface TemplateFile {
  readonly path: string;
  readonly content: string;
}

/** JSON as Biome formats it (the template's `npm run lint` checks it): short arrays of strings on one line. */
const json = (value: unknown) =>
  `${JSON.stringify(value, null, 2).replace(/\[\n\s*("[^"\n]*"(?:,\n\s*"[^"\n]*")*)\n\s*\]/g, (_, items: string) => `[${items.replace(/,\n\s*/g, ", ")}]`)}\n`;

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
import { HelloCapstan } from "./capabilities/hello-capstan.ts";
import pkg from "./package.json" with { type: "json" };

// The module: its config (package.json "capstan") and its capabilities. \`capstan build\` loads this
// file to discover the bindings; the capstan runtime loads it to serve them.
new PeprModule(pkg, [HelloCapstan]);
`;

// `.capstan/`: what `capstan dev` keeps per session (bundle, module log) and `dev --local`'s cluster state.
const gitignore = "node_modules/\ndist/\ncoverage/\n.capstan/\n*.tgz\n";

const npmrcForFolder =
  "# capstan is a folder dependency: copy it with its dependencies (a link would bring none of them)\ninstall-links=true\n";

/** Every file `capstan init` writes, relative to the new module's folder. */
export function moduleFiles(answers: InitAnswers): TemplateFile[] {
  return [
    { path: "package.json", content: json(packageJson(answers)) },
    { path: "tsconfig.json", content: json(tsconfig) },
    { path: "biome.json", content: json(biome) },
    { path: ".gitignore", content: gitignore },
    ...(answers.capstanFromFolder ? [{ path: ".npmrc", content: npmrcForFolder }] : []),
    { path: "README.md", content: readmeSource(answers) },
    { path: "capstan.ts", content: entrySource },
    { path: "capabilities/hello-capstan.ts", content: capabilitySource },
    { path: "capabilities/hello-capstan.test.ts", content: capabilityTestSource },
    { path: "scenarios/hello-capstan.scenarios.yaml", content: scenarioFileSource },
  ];
}
