// The `pepr` executable: Pepr 1.1.4's commands and flags, each mapped onto a capstan command, or
// refused with what to do instead. Nothing Pepr accepts is silently ignored.

/** What a Pepr flag becomes. */
type FlagRule =
  /** Pass to capstan as this flag (with the value, when the Pepr flag takes one). */
  | { readonly to: string }
  /** Accepted; capstan already behaves this way, so nothing is passed. */
  | { readonly same: string }
  /** Refused: what capstan lacks, and what to do instead. */
  | { readonly unsupported: string; readonly instead: string };

interface FlagSpec {
  readonly long: string;
  readonly short?: string;
  readonly takesValue: boolean;
  readonly rule: FlagRule;
}

interface CommandSpec {
  /** The capstan command line the Pepr command becomes (before flags), or why there is none. */
  readonly to: readonly string[] | { readonly unsupported: string; readonly instead: string };
  /** Positional arguments passed through (at most this many). */
  readonly args: number;
  readonly flags: readonly FlagSpec[];
  /** capstan flags added when the Pepr command line leaves them out (Pepr's defaults). */
  readonly defaults?: (given: ReadonlySet<string>, module: PeprModuleSettings) => readonly string[];
  /** capstan commands run before this one (Pepr's deploy builds first). */
  readonly before?: (module: PeprModuleSettings) => readonly (readonly string[])[];
}

/** What the module's package.json says that changes a command's defaults. */
export interface PeprModuleSettings {
  /** `pepr.rbacMode`. */
  readonly rbacMode?: string;
}

// Pepr's RBAC mode: the package.json setting, else admin (capstan's own default is scoped).
const peprRbacMode = (module: PeprModuleSettings): string => (module.rbacMode === "scoped" ? "scoped" : "admin");

const flag = (long: string, short: string | undefined, takesValue: boolean, rule: FlagRule): FlagSpec =>
  short ? { long, short, takesValue, rule } : { long, takesValue, rule };
const unsupported = (what: string, instead: string): FlagRule => ({ unsupported: what, instead });

const buildFlags: readonly FlagSpec[] = [
  flag("--entry-point", "-e", true, { to: "--entry-point" }),
  flag("--output", "-o", true, { to: "--output" }),
  flag("--rbac-mode", "-M", true, { to: "--rbac-mode" }),
  flag("--custom-image", "-i", true, { to: "--image" }),
  flag(
    "--registry-info",
    "-I",
    true,
    unsupported(
      "--registry-info (building and pushing a controller image with the module's includedFiles)",
      "build a runtime image from capstan's Dockerfile with your files added, push it, and pass --custom-image <image>",
    ),
  ),
  flag(
    "--registry",
    "-r",
    true,
    unsupported(
      "--registry (Pepr's GitHub or Iron Bank controller images)",
      "pass --custom-image <capstan runtime image>",
    ),
  ),
  flag(
    "--with-pull-secret",
    "-P",
    true,
    unsupported(
      "--with-pull-secret (imagePullSecrets in the generated YAML)",
      "install the generated Helm chart with --set 'imagePullSecrets[0].name=<secret>'",
    ),
  ),
  flag(
    "--timeout",
    "-t",
    true,
    unsupported(
      "--timeout (the webhook timeout as a build flag)",
      'set "webhookTimeout" (1-30) in package.json\'s "pepr" block',
    ),
  ),
  flag(
    "--zarf",
    "-z",
    true,
    unsupported("--zarf (writing dist/zarf.yaml)", "list dist/*.yaml or the Helm chart in your own zarf.yaml"),
  ),
  flag(
    "--custom-name",
    "-c",
    true,
    unsupported(
      "--custom-name (PEPR_CUSTOM_BUILD_NAME, the Zarf component name)",
      "leave it out; capstan names objects from the module's uuid",
    ),
  ),
  flag(
    "--no-embed",
    "-n",
    false,
    unsupported(
      "--no-embed (bundling the module as a library without deployment files)",
      "bundle the entry yourself with esbuild, keeping capstan external",
    ),
  ),
];

const dockerSecret = unsupported(
  "--pull-secret and the --docker-* flags (creating an image pull Secret)",
  "kubectl create secret docker-registry <name> -n <module namespace> --docker-server=… --docker-username=… --docker-password=… --docker-email=…",
);

const commands: Readonly<Record<string, CommandSpec>> = {
  init: {
    to: ["init"],
    args: 0,
    flags: [
      flag("--name", "-n", true, { to: "--name" }),
      flag("--description", "-d", true, { to: "--description" }),
      flag("--error-behavior", "-e", true, { to: "--on-error" }),
      flag("--uuid", "-u", true, { to: "--uuid" }),
      flag("--skip-post-init", "-s", false, { to: "--skip-install" }),
      flag("--yes", "-y", false, { to: "--yes" }),
    ],
  },
  build: {
    to: ["build"],
    args: 0,
    flags: buildFlags,
    defaults: (given, module) => (given.has("--rbac-mode") ? [] : ["--rbac-mode", peprRbacMode(module)]),
  },
  deploy: {
    to: ["deploy"],
    args: 0,
    flags: [
      flag("--yes", "-y", false, { to: "--yes" }),
      flag("--force", "-f", false, { to: "--force" }),
      flag(
        "--image",
        "-i",
        true,
        unsupported("--image on deploy", "build with pepr build --custom-image <image>, then pepr deploy"),
      ),
      flag("--pull-secret", "-p", true, dockerSecret),
      flag("--docker-server", "-S", true, dockerSecret),
      flag("--docker-username", "-U", true, dockerSecret),
      flag("--docker-password", "-P", true, dockerSecret),
      flag("--docker-email", "-E", true, dockerSecret),
    ],
    // Pepr's deploy builds the module first.
    before: (module) => [["build", "--rbac-mode", peprRbacMode(module)]],
  },
  dev: {
    to: ["dev"],
    args: 0,
    flags: [
      flag("--host", "-H", true, { to: "--host" }),
      flag("--yes", "-y", false, { same: "capstan dev does not ask for confirmation" }),
    ],
    // The module runs as its ServiceAccount would under the rules `pepr build` generates.
    defaults: (_given, module) => ["--rbac-mode", peprRbacMode(module)],
  },
  monitor: { to: ["monitor"], args: 1, flags: [] },
  uuid: { to: ["uuid"], args: 1, flags: [] },
  crd: { to: ["crd"], args: 0, flags: [] },
  "crd create": {
    to: ["crd", "create"],
    args: 0,
    flags: [
      flag("--group", "-g", true, { to: "--group" }),
      flag("--kind", "-k", true, { to: "--kind" }),
      flag("--version", "-v", true, { to: "--version" }),
      flag("--short-name", "-s", true, { to: "--short-name" }),
      flag("--domain", "-d", true, { to: "--domain" }),
      flag("--plural", "-p", true, { to: "--plural" }),
      flag(
        "--scope",
        "-S",
        true,
        unsupported("--scope on crd create", "edit the scope in the generated file's details (Namespaced or Cluster)"),
      ),
    ],
  },
  "crd generate": {
    to: ["crd", "generate"],
    args: 0,
    flags: [flag("--output", "-o", true, { to: "--output" })],
  },
  format: {
    to: {
      unsupported: "format",
      instead: "run your formatter and linter directly (e.g. npx prettier --write . && npx eslint .)",
    },
    args: 0,
    flags: [],
  },
  update: {
    to: {
      unsupported: "update",
      instead:
        'change the "pepr" dependency to the capstan version you want ("npm:capstan@<version>") and run npm install',
    },
    args: 0,
    flags: [],
  },
  "update-templates": {
    to: {
      unsupported: "update-templates",
      instead: "keep your module's files as they are; capstan reads them unchanged",
    },
    args: 0,
    flags: [],
  },
  kfc: {
    to: {
      unsupported: "kfc (generating TypeScript classes from a CRD)",
      instead:
        "run the kubernetes-fluent-client CLI from a separate folder: npx --package kubernetes-fluent-client kubernetes-fluent-client crd <source> <dir>",
    },
    args: Number.POSITIVE_INFINITY,
    flags: [],
  },
};

export const PEPR_COMMANDS: readonly string[] = [
  ...new Set(Object.keys(commands).map((name) => name.split(" ")[0] as string)),
];

/** The outcome of reading a Pepr command line. */
export type PeprTranslation =
  /** Run these capstan command lines in order (each without the program name). */
  | { readonly kind: "run"; readonly steps: readonly (readonly string[])[] }
  /** Print capstan's version. */
  | { readonly kind: "version" }
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "error"; readonly message: string };

const notSupported = (what: string, instead: string): PeprTranslation => ({
  kind: "error",
  message: `not supported by capstan yet: ${what}; ${instead}`,
});

export function peprHelp(): string {
  return [
    "Usage: pepr <command> [options]   (capstan's implementation of Pepr's CLI)",
    "",
    `Commands: ${PEPR_COMMANDS.join(", ")}`,
    "Flags map to capstan's commands (npx capstan <command> --help); a flag capstan cannot honour stops",
    "with 'not supported by capstan yet: …' and what to do instead. See docs/migrating-from-pepr.md.",
    "",
  ].join("\n");
}

/** Maps Pepr's command line (without `node pepr`) onto capstan's. */
export function translatePeprArgs(args: readonly string[], module: PeprModuleSettings = {}): PeprTranslation {
  const [first, ...rest] = args;
  if (first === undefined || first === "help" || first === "-h" || first === "--help")
    return { kind: "help", text: peprHelp() };
  if (first === "-V" || first === "--version") return { kind: "version" };
  if (first === "--features" || first.startsWith("--features="))
    return notSupported("--features (Pepr's feature flags)", "leave it out; capstan has no feature flags");
  let name = first;
  let tail = rest;
  const sub = rest[0];
  if (sub !== undefined && commands[`${first} ${sub}`]) {
    name = `${first} ${sub}`;
    tail = rest.slice(1);
  }
  const spec = commands[name];
  if (!spec) {
    return {
      kind: "error",
      message: `unknown command '${first}': capstan's pepr accepts ${PEPR_COMMANDS.join(", ")} (pepr --help)`,
    };
  }
  if (!Array.isArray(spec.to)) {
    const refusal = spec.to as { unsupported: string; instead: string };
    return notSupported(`pepr ${refusal.unsupported}`, refusal.instead);
  }
  const out: string[] = [...(spec.to as readonly string[])];
  const given = new Set<string>();
  const positional: string[] = [];
  for (let index = 0; index < tail.length; index++) {
    const arg = tail[index] as string;
    if (arg === "-h" || arg === "--help")
      return { kind: "run", steps: [[...(spec.to as readonly string[]), "--help"]] };
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const [key, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg, undefined];
    const option = spec.flags.find((candidate) => candidate.long === key || candidate.short === key);
    if (!option) {
      const known = spec.flags.map((candidate) => candidate.long).join(", ") || "none";
      return { kind: "error", message: `unknown option '${key}' for pepr ${name} (Pepr's options here: ${known})` };
    }
    let value: string | undefined;
    if (option.takesValue) {
      value = inline ?? tail[++index];
      if (value === undefined) return { kind: "error", message: `option '${key}' of pepr ${name} needs a value` };
    } else if (inline !== undefined) {
      return { kind: "error", message: `option '${key}' of pepr ${name} takes no value` };
    }
    const rule = option.rule;
    if ("unsupported" in rule) return notSupported(`pepr ${name} ${rule.unsupported}`, rule.instead);
    given.add(option.long);
    if ("to" in rule) out.push(rule.to, ...(value === undefined ? [] : [value]));
  }
  if (positional.length > spec.args) {
    return {
      kind: "error",
      message: `pepr ${name} takes ${spec.args === 0 ? "no" : `at most ${spec.args}`} argument(s); got ${positional.join(" ")}`,
    };
  }
  out.push(...(spec.defaults?.(given, module) ?? []), ...positional);
  return { kind: "run", steps: [...(spec.before?.(module) ?? []), out] };
}
