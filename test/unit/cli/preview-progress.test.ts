import { describe, expect, it } from "vitest";
import { progressBar } from "../../../src/cli/commands/preview.ts";

describe("capstan preview's progress bar", () => {
  it("draws nothing for a small cluster, redraws one line for a large one and clears it", () => {
    const written: string[] = [];
    const bar = progressBar((text) => written.push(text));
    bar.update({ done: 10, total: 999 });
    bar.clear();
    expect(written).toEqual([]);

    bar.update({ done: 2500, total: 10_000 });
    bar.update({ done: 10_000, total: 10_000 });
    bar.clear();
    expect(written).toEqual([
      `\rpreview [########......................] 2500/10000 objects`,
      `\rpreview [##############################] 10000/10000 objects`,
      "\r\u001b[2K",
    ]);
  });
});
