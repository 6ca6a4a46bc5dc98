import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../", import.meta.url));

/** Folders the harness uses: the checkout, the bench module, and a git-ignored work folder. */
export const benchPaths = {
  repo,
  module: fileURLToPath(new URL("../module/", import.meta.url)),
  work: fileURLToPath(new URL("../.work/", import.meta.url)),
} as const;
