export {
  type BindingEvaluation,
  type EvaluationResult,
  type EvaluatorOptions,
  ModuleEvaluator,
} from "./evaluate.ts";
