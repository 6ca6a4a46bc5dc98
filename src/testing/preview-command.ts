import {
  formatPreview,
  type PreviewFormat,
  type PreviewProgress,
  type PreviewReport,
  runPreview,
} from "../audit/index.ts";
import { setDefaultClient } from "../fluent/index.ts";
import { ApiClient } from "../k8s/index.ts";
import { importModule } from "./load-module.ts";

export interface PreviewCommandOptions {
  /** The bundled module. */
  readonly bundle: string;
  readonly format: PreviewFormat;
  readonly namespaces?: readonly string[];
  readonly pageSize?: number;
  readonly write?: (text: string) => void;
  readonly onProgress?: (progress: PreviewProgress) => void;
}

/** Exit status of `capstan preview` when an object would be denied (or a callback fails on it, which admission also denies). */
export const PREVIEW_DENIED_EXIT = 3;

/** The exit status a report gives: 3 when anything would be denied or a callback failed, else 0. */
export function previewExitCode(report: PreviewReport): number {
  return report.totals.deny > 0 || report.totals.error > 0 ? PREVIEW_DENIED_EXIT : 0;
}

/**
 * What `capstan preview` runs inside the module's own capstan: load the bundle (nothing is
 * registered or served), connect with the kubeconfig in the environment, run every Validate and
 * Mutate binding over the objects they select (K8s() writes in callbacks become dry runs), print.
 */
export async function runPreviewCommand(options: PreviewCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const module = await importModule(options.bundle);
  const client = await ApiClient.fromKubeconfig();
  // Callbacks' K8s() calls go to the same cluster; their writes are dry runs (see runPreview).
  setDefaultClient(client);
  try {
    const report = await runPreview(module, {
      client,
      ...(options.namespaces ? { namespaces: options.namespaces } : {}),
      ...(options.pageSize ? { pageSize: options.pageSize } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    write(formatPreview(report, options.format));
    return previewExitCode(report);
  } finally {
    await client.close();
  }
}
