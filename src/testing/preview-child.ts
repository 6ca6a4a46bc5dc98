// Forked by `capstan preview`: runs the module with the capstan the module itself resolves, so the
// module and the preview share one instance (one kinds registry, one K8s() dry-run scope).
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { runChild, sendToParent } from "./child-main.ts";
import type { PreviewCommandOptions } from "./preview-command.ts";

interface Kit {
  runPreviewCommand(options: PreviewCommandOptions): Promise<number>;
}

/** argv: bundle, then the options as JSON. The report goes to the parent over IPC, apart from the module's own logs. */
async function main([bundle, json]: string[]): Promise<number> {
  if (!bundle || !json) throw new Error("usage: preview-child <bundle> <options json>");
  const options = JSON.parse(json) as Omit<PreviewCommandOptions, "bundle">;
  const kitEntry = createRequire(bundle).resolve("capstan/testing");
  const kit = (await import(pathToFileURL(kitEntry).href)) as Kit;
  const report: string[] = [];
  let last = 0;
  const code = await kit.runPreviewCommand({
    ...options,
    bundle,
    write: (text) => report.push(text),
    onProgress: (progress) => {
      const now = performance.now();
      if (now - last < 100 && progress.done < progress.total) return;
      last = now;
      process.send?.({ progress });
    },
  });
  await sendToParent("preview-child", { report: report.join("") });
  return code;
}

runChild("capstan preview", main);
