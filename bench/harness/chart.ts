// The latency chart of bench/RESULTS.md: one panel per distribution, each a quantile curve per
// target (x: latency in ms, log scale; y: fraction of requests at or under it), rendered to SVG by
// Vega-Lite without a browser.
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { ScenarioResult } from "./results.ts";
import { percentile } from "./stats.ts";

const QUANTILES = [...Array.from({ length: 99 }, (_, i) => i + 1), 99.5, 99.9];

interface Point {
  readonly panel: string;
  readonly target: string;
  readonly latencyMs: number;
  readonly quantile: number;
}

export async function latencyChart(results: readonly ScenarioResult[]): Promise<string> {
  const points: Point[] = [];
  for (const result of results) {
    for (const panel of result.distributions) {
      for (const series of panel.series) {
        for (const point of series.quantiles ?? quantileCurve(series.latenciesMs ?? [])) {
          points.push({ panel: panel.title, target: series.target, ...point });
        }
      }
    }
  }
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    data: { values: points },
    facet: { field: "panel", type: "nominal", title: null, header: { labelFontSize: 13, labelLimit: 400 } },
    columns: 2,
    resolve: { scale: { x: "independent" } },
    spec: {
      width: 380,
      height: 220,
      mark: { type: "line", point: false, interpolate: "monotone" },
      encoding: {
        x: { field: "latencyMs", type: "quantitative", scale: { type: "log" }, title: "latency (ms, log scale)" },
        y: { field: "quantile", type: "quantitative", title: "fraction at or below", scale: { domain: [0, 1] } },
        color: { field: "target", type: "nominal", title: "target", legend: { labelLimit: 320 } },
      },
    },
    config: { background: "white", font: "sans-serif" },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  return view.toSVG();
}

/** Quantile points of raw latency samples. */
function quantileCurve(values: readonly number[]): { latencyMs: number; quantile: number }[] {
  return QUANTILES.map((q) => ({ latencyMs: Math.max(percentile(values, q), 0.05), quantile: q / 100 }));
}
