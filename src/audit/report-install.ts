import { type ApiClient, ApiError, NotFoundError } from "../k8s/index.ts";
import type { ReportApi } from "../model/index.ts";
import { REPORT_KINDS, reportCrds } from "./report-api.ts";

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

async function served(client: ApiClient, api: ReportApi): Promise<boolean> {
  const kinds = REPORT_KINDS[api];
  try {
    await client.request({ path: `/apis/${kinds.group}/${kinds.version}/${kinds.clusterPlural}`, query: { limit: 1 } });
    await client.request({ path: `/apis/${kinds.group}/${kinds.version}/${kinds.plural}`, query: { limit: 1 } });
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}

/**
 * Makes sure the cluster serves the report kinds: the module's manifests and chart install their
 * CRDs; a runtime that finds them missing (`capstan dev`, tests) creates them when it may.
 */
export async function installReportCrds(client: ApiClient, api: ReportApi, timeoutMs = 30_000): Promise<void> {
  if (await served(client, api)) return;
  for (const crd of reportCrds(api)) {
    await client.request({ method: "POST", path: CRDS, body: crd }).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 409) return;
      if (error instanceof ApiError && error.status === 403) {
        throw new Error(
          `the ${REPORT_KINDS[api].group} report CRDs are not installed and this identity may not create them: apply the module's manifests or chart (they include them), or install them once as a cluster admin`,
        );
      }
      throw error;
    });
  }
  const deadline = Date.now() + timeoutMs;
  while (!(await served(client, api))) {
    if (Date.now() > deadline)
      throw new Error(
        `the ${REPORT_KINDS[api].group} report CRDs were created but are not served after ${timeoutMs / 1000} s`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
