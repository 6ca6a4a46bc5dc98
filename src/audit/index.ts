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
export { MAX_MESSAGE_CHARS, REPORT_SOURCE } from "./report.ts";
export { REPORT_KINDS, type ReportKinds, reportCollection, reportCrds } from "./report-api.ts";
export { installReportCrds } from "./report-install.ts";
export { AuditRunner, type AuditRunnerOptions } from "./runner.ts";
