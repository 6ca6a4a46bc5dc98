// The WebApp custom resource's types, as `npx pepr crd generate` (kubernetes-fluent-client) writes them.
import { a, RegisterKind } from "pepr";

export class WebApp extends a.GenericKind {
  spec?: Spec;
  status?: Status;
}

export interface Spec {
  /** The page's language: English (en) or Spanish (es). */
  language: Language;
  /** How many replicas the Deployment runs. */
  replicas: number;
  /** The page's colours: dark or light. */
  theme: Theme;
}

export enum Language {
  En = "en",
  Es = "es",
}

export enum Theme {
  Dark = "dark",
  Light = "light",
}

export interface Status {
  observedGeneration?: number;
  phase?: Phase;
}

export enum Phase {
  Failed = "Failed",
  Pending = "Pending",
  Ready = "Ready",
}

RegisterKind(WebApp, {
  group: "z-operator.pepr.io",
  version: "v1alpha1",
  kind: "WebApp",
});
