import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { type KindClass, kindOf, models } from "../k8s/index.ts";
import type { Flavor } from "../model/index.ts";
import { type PolicyRule, rulesGrant, ruleToAdd } from "./rbac.ts";

/** One `K8s(kind.X)…Action(…)` call found in a source file. */
export interface K8sCall {
  readonly file: string;
  readonly line: number;
  /** The model's name: `ConfigMap` in `K8s(kind.ConfigMap)`. */
  readonly model: string;
  readonly action: string;
  /** Whether the action got arguments (`Get()` lists, `Get("name")` reads one object). */
  readonly withArguments: boolean;
}

const FILTERS = new Set(["InNamespace", "WithLabel", "WithField"]);

/** The RBAC verbs (and subresource) each fluent action needs; `Raw` cannot be told statically. */
const ACTIONS: Readonly<Record<string, (withArguments: boolean) => { verbs: string[]; subresource?: string }>> = {
  Get: (withArguments) => ({ verbs: [withArguments ? "get" : "list"] }),
  // Server-side apply is a PATCH; when the object is missing the API server also checks create.
  Apply: () => ({ verbs: ["create", "patch"] }),
  Create: () => ({ verbs: ["create"] }),
  Patch: () => ({ verbs: ["patch"] }),
  PatchStatus: () => ({ verbs: ["patch"], subresource: "status" }),
  Delete: () => ({ verbs: ["delete"] }),
  Evict: () => ({ verbs: ["create"], subresource: "eviction" }),
  Logs: () => ({ verbs: ["get"], subresource: "log" }),
  Proxy: () => ({ verbs: ["get"], subresource: "proxy" }),
  Scale: () => ({ verbs: ["patch"], subresource: "scale" }),
  Finalize: () => ({ verbs: ["get", "patch"] }),
  Watch: () => ({ verbs: ["list", "watch"] }),
};

/** The index just past the bracket that closes the one at `open`, skipping strings; -1 if unclosed. */
function skipBalanced(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === "`") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === "\\") i++;
    } else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * Finds `K8s(kind.X)` / `K8s(a.X)` calls followed (after any filters) by an action, across lines.
 * A heuristic: a client held in a variable, a kind passed as a parameter, or `Raw` are not seen.
 */
export function findK8sCalls(text: string, file = ""): K8sCall[] {
  const calls: K8sCall[] = [];
  const start = /\bK8s\s*\(\s*(?:kind|a)\s*\.\s*([A-Za-z_$][\w$]*)/g;
  for (let match = start.exec(text); match; match = start.exec(text)) {
    let at = skipBalanced(text, text.indexOf("(", match.index));
    while (at > 0) {
      const next = /^\s*\.\s*([A-Za-z_$][\w$]*)\s*\(/.exec(text.slice(at, at + 200));
      if (!next?.[1]) break;
      const open = at + next[0].length - 1;
      const close = skipBalanced(text, open);
      if (FILTERS.has(next[1])) {
        at = close;
        continue;
      }
      if (ACTIONS[next[1]]) {
        calls.push({
          file,
          line: text.slice(0, match.index).split("\n").length,
          model: match[1] as string,
          action: next[1],
          withArguments: close > 0 && text.slice(open + 1, close - 1).trim() !== "",
        });
      }
      break;
    }
  }
  return calls;
}

interface Gap {
  readonly apiGroup: string;
  readonly resource: string;
  readonly verbs: Set<string>;
  readonly where: string[];
}

/**
 * One warning per group and resource the calls need and the rules do not grant, with the rule to
 * add. Calls on kinds capstan does not know by name (custom kinds) are skipped.
 */
export function rbacGapWarnings(calls: readonly K8sCall[], rules: readonly PolicyRule[], flavor: Flavor): string[] {
  const gaps = new Map<string, Gap>();
  const known = models as unknown as Record<string, KindClass | undefined>;
  for (const call of calls) {
    const model = known[call.model];
    if (!model) continue;
    let kind: ReturnType<typeof kindOf>;
    try {
      kind = kindOf(model);
    } catch {
      continue;
    }
    const needs = ACTIONS[call.action]?.(call.withArguments);
    if (!needs) continue;
    const resource = needs.subresource ? `${kind.plural}/${needs.subresource}` : kind.plural;
    for (const verb of needs.verbs) {
      if (rulesGrant(rules, kind.group, resource, verb)) continue;
      const key = `${kind.group}/${resource}`;
      const gap = gaps.get(key) ?? { apiGroup: kind.group, resource, verbs: new Set<string>(), where: [] };
      gap.verbs.add(verb);
      const where = `K8s(kind.${call.model}).${call.action} at ${call.file}:${call.line}`;
      if (!gap.where.includes(where)) gap.where.push(where);
      gaps.set(key, gap);
    }
  }
  return [...gaps.values()].map((gap) => {
    const verbs = [...gap.verbs].sort();
    const where = gap.where.slice(0, 3).join(", ") + (gap.where.length > 3 ? ` and ${gap.where.length - 3} more` : "");
    const rule = { apiGroups: [gap.apiGroup], resources: [gap.resource], verbs };
    return `${where} needs ${verbs.join(", ")} on ${gap.resource} (apiGroup "${gap.apiGroup}"), which the generated RBAC rules do not grant; ${ruleToAdd(rule, flavor)}`;
  });
}

/** Scans the module's own source files (not its dependencies) for calls the rules do not cover. */
export async function scanRbacGaps(
  files: readonly string[],
  rules: readonly PolicyRule[],
  flavor: Flavor,
  baseDir: string,
): Promise<string[]> {
  const calls: K8sCall[] = [];
  for (const file of files) {
    const text = await readFile(file, "utf8").catch(() => "");
    calls.push(...findK8sCalls(text, relative(baseDir, file)));
  }
  return rbacGapWarnings(calls, rules, flavor);
}
