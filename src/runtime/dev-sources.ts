import { type FSWatcher, watch } from "node:fs";
import { join, resolve } from "node:path";

export interface SourceWatcher {
  /**
   * The files the last successful bundle was built from (esbuild's metafile inputs, dependencies
   * excluded); `undefined` after a failed build, when any source-like file counts until one succeeds.
   */
  setInputs(files: readonly string[] | undefined): void;
  close(): void;
}

const SOURCE_LIKE = /\.(m|c)?(t|j)sx?$|\.json$/;
const NEVER = /(^|\/)(node_modules|dist|\.git|\.capstan)(\/|$)/;
const SETTLE_MS = 200;

/**
 * Calls `changed` (once per burst of writes) when a file the bundle is built from, or the module's
 * package.json, changes. Tests, scenarios, logs and anything else written in the folder do not count.
 */
export function watchBundleInputs(moduleDir: string, changed: () => void): SourceWatcher {
  const dir = resolve(moduleDir);
  const packageJson = join(dir, "package.json");
  let inputs: ReadonlySet<string> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const relevant = (file: string) => {
    if (NEVER.test(file)) return false;
    const path = join(dir, file);
    if (path === packageJson) return true;
    return inputs ? inputs.has(path) : SOURCE_LIKE.test(file);
  };
  const watcher: FSWatcher = watch(dir, { recursive: true }, (_event, file) => {
    if (!file || !relevant(file.toString())) return;
    clearTimeout(timer);
    timer = setTimeout(changed, SETTLE_MS);
  });
  return {
    setInputs(files) {
      inputs = files ? new Set(files.map((file) => resolve(dir, file))) : undefined;
    },
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
