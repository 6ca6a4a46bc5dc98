// `capstan/testing`: test a module offline (admission, controller, scenario files) and on a real cluster (docs/testing.md).

export { ExponentialBackoff, FixedInterval, NoRetry, type RetryPolicy } from "../controller/index.ts";
export { MemoryStore } from "../store/index.ts";
export { FakeClock } from "../time/index.ts";
export {
  type AdmissionResult,
  type AdmissionTester,
  type AdmissionTesterOptions,
  admissionTester,
  type SkippedBinding,
} from "./admission.ts";
export type { BindingTrace } from "./binding-trace.ts";
export {
  type CelDecision,
  type CelDenyReason,
  type CelEvaluationOptions,
  type CelPolicyUnderTest,
  type CelValidationAction,
  type CelValidationRule,
  type CelVerdict,
  evaluateCelPolicy,
} from "./cel-evaluate.ts";
export {
  eventually,
  type RunModuleOptions,
  type RunningModule,
  runModule,
  startTestCluster,
  TEST_NAMESPACE_LABEL,
  type TestCluster,
  type TestClusterOptions,
  withModuleOnCluster,
} from "./cluster.ts";
export {
  type ControlPlaneOptions,
  type ControlPlaneState,
  isControlPlaneReady,
  readControlPlaneState,
  startControlPlane,
  stopControlPlane,
} from "./control-plane/control-plane.ts";
export {
  type CallbackCall,
  type ControllerTester,
  type ControllerTesterOptions,
  controllerTester,
} from "./controller.ts";
export { type ExpectedCall, expectCalls, expectStore } from "./controller-expect.ts";
export { durationMs } from "./duration.ts";
export {
  type DeniedExpectation,
  ExpectationError,
  expectAllowed,
  expectAnnotations,
  expectDenied,
  expectLabels,
  expectMatched,
  expectNotMatched,
  expectPatched,
  expectUnchanged,
  expectWarnings,
} from "./expect.ts";
export * from "./fault-proxy.ts";
export { importModule } from "./load-module.ts";
export { MemoryCluster } from "./memory-cluster.ts";
export { attachMemoryStore } from "./memory-store.ts";
export { type ModuleUnderTest, moduleUnderTest, type TestTarget } from "./module-under-test.ts";
export { type ObjectInput, objectsFromYaml } from "./objects.ts";
export {
  PREVIEW_DENIED_EXIT,
  type PreviewCommandOptions,
  previewExitCode,
  runPreviewCommand,
} from "./preview-command.ts";
export { admissionRequest, DEFAULT_USER, type RequestInput } from "./requests.ts";
export { runScenarioFiles, type ScenarioCommandOptions } from "./scenario-command.ts";
export {
  type AdmissionExpectation,
  type AdmissionScenario,
  type ControllerExpectation,
  type ControllerScenario,
  type ControllerStep,
  findScenarioFiles,
  parseScenarioFile,
  SCENARIO_FILE,
  type Scenario,
  type ScenarioFile,
  ScenarioFileError,
} from "./scenario-file.ts";
export {
  formatScenarioReport,
  patternOf,
  runScenarios,
  type ScenarioReport,
  type ScenarioResult,
} from "./scenario-runner.ts";
