import { AuditRunner } from "../audit/index.ts";
import type { ApiClient } from "../k8s/index.ts";
import { auditSettings, type PeprModule } from "../model/index.ts";
import type { Leadership } from "../schedule/index.ts";
import type { Logger } from "../telemetry/index.ts";

/**
 * Runs the module's background audit (module config `audit`) on the elected leader only, so one
 * replica writes the reports; a new leader audits everything again. Returns the stop function, or
 * undefined when the module does not audit.
 */
export function auditOnLeader(options: {
  readonly client: ApiClient;
  readonly module: PeprModule;
  readonly leadership: Leadership;
  readonly logger: Logger;
  readonly extraIgnoredNamespaces?: readonly string[];
}): (() => Promise<void>) | undefined {
  const settings = auditSettings(options.module.config);
  if (!settings.enabled) return undefined;
  let runner: AuditRunner | undefined;
  const stop = async () => {
    const running = runner;
    runner = undefined;
    await running?.close();
  };
  const start = () => {
    if (runner) return;
    const started = new AuditRunner({
      client: options.client,
      module: options.module,
      settings,
      logger: options.logger,
      ...(options.extraIgnoredNamespaces ? { extraIgnoredNamespaces: options.extraIgnoredNamespaces } : {}),
    });
    runner = started;
    started.start().catch((error: unknown) => {
      options.logger.error(
        { err: error },
        `audit could not start: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  };
  const unsubscribe = options.leadership.onChange((leading) => (leading ? start() : void stop()));
  if (options.leadership.isLeader) start();
  return async () => {
    unsubscribe();
    await stop();
  };
}
