export {
  type BindingEvaluation,
  type EvaluationResult,
  type EvaluatorOptions,
  ModuleEvaluator,
} from "./evaluate.ts";
export {
  type PreviewFinding,
  type PreviewOptions,
  type PreviewOutcome,
  type PreviewPlace,
  type PreviewProgress,
  type PreviewReport,
  type PreviewRow,
  runPreview,
} from "./preview.ts";
export { formatPreview, type PreviewFormat, previewFormats } from "./preview-format.ts";
