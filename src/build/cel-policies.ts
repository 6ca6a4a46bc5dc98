import { relative } from "node:path";
import { Environment, ParseError } from "@marcbachmann/cel-js";
import { celPolicies } from "../admission/index.ts";
import { celTypeError } from "./cel-typecheck.ts";
import type { KubeObject } from "./manifest-input.ts";
import type { BindingDescription, ModuleDescription } from "./module-description.ts";
import { capabilitiesOf } from "./webhooks.ts";

// The syntax of every expression is checked here, so a typo fails `capstan build` with the file,
// binding and column instead of a 422 from the API server at deploy; then its types against the
// kind's schema (cel-typecheck.ts), which the API server would only report in the policy's status.
const parser = new Environment({ enableOptionalTypes: true });

function position(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return before.length > 1
    ? `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`
    : `column ${offset + 1}`;
}

function syntaxErrors(capability: string, binding: BindingDescription): string[] {
  const cel = binding.cel;
  if (!cel) return [];
  const where = cel.source ? `${relative(process.cwd(), cel.source) || cel.source}: ` : "";
  return cel.validations.flatMap((validation, index) =>
    (["expression", "messageExpression"] as const).flatMap((field) => {
      const text = validation[field];
      if (text === undefined) return [];
      try {
        parser.parse(text);
      } catch (error) {
        if (!(error instanceof ParseError)) throw error;
        const offset = (error as { node?: { pos?: number } }).node?.pos ?? 0;
        const reason = error.message.split("\n")[0];
        return [
          `${where}Capability ${capability}, binding ${binding.name}, validation ${index}: ${field} does not compile at ${position(text, offset)}: ${reason} in ${JSON.stringify(text)}`,
        ];
      }
      const typeError = celTypeError(binding.kind, text, field === "expression" ? "bool" : "string");
      if (!typeError) return [];
      return [
        `${where}Capability ${capability}, binding ${binding.name}, validation ${index}: ${field} does not type-check against ${binding.kind.kind} at ${position(text, typeError.offset)}: ${typeError.message} in ${JSON.stringify(text)}`,
      ];
    }),
  );
}

/**
 * The ValidatingAdmissionPolicies and bindings of the module's ValidateCEL bindings (each policy
 * before its binding), from admission's generator; throws naming the binding when an expression
 * does not parse or type-check, or a filter has no exact CEL form.
 */
export function moduleCelPolicies(module: ModuleDescription, namespace: string): KubeObject[] {
  const errors = module.capabilities.flatMap((capability) =>
    capability.bindings.flatMap((binding) => syntaxErrors(capability.name, binding)),
  );
  if (errors.length > 0) throw new Error(errors.join("\n"));
  const pairs = celPolicies({ config: { ...module.config, namespace }, capabilities: capabilitiesOf(module) });
  return pairs.flatMap(({ policy, binding }) => [policy as KubeObject, binding as KubeObject]);
}
