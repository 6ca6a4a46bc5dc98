// The shape every scenario returns and the report renders.

export interface Metric {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly better: "lower" | "higher";
  /** Digits after the point in the table. */
  readonly digits?: number;
}

export interface EngineSamples {
  /** Row name: an engine ("capstan", "pepr") or a reference ("bare node:https, fixed allow", "no webhook"). */
  readonly target: string;
  /** One value per run for each metric key. */
  readonly samples: Record<string, number[]>;
}

/** Latency observations for the chart, per target: raw samples, or percentiles a load tool reported. */
export interface Distribution {
  readonly target: string;
  readonly latenciesMs?: readonly number[];
  readonly quantiles?: readonly { readonly quantile: number; readonly latencyMs: number }[];
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  /** What was measured and how, in a sentence or two. */
  readonly method: string;
  readonly metrics: readonly Metric[];
  readonly rows: readonly EngineSamples[];
  /** Panels of the chart: a title and one distribution per target. */
  readonly distributions: readonly { readonly title: string; readonly series: readonly Distribution[] }[];
  readonly notes: readonly string[];
}

/** Collects one value per run and per metric for each target. */
export class SampleTable {
  readonly #rows = new Map<string, Record<string, number[]>>();

  add(target: string, values: Record<string, number>): void {
    const row = this.#rows.get(target) ?? {};
    for (const [key, value] of Object.entries(values)) row[key] = [...(row[key] ?? []), value];
    this.#rows.set(target, row);
  }

  rows(): EngineSamples[] {
    return [...this.#rows].map(([target, samples]) => ({ target, samples }));
  }
}

/** Keeps every latency sample per target, for the chart. */
export class DistributionSet {
  readonly #series = new Map<string, number[]>();

  add(target: string, latenciesMs: readonly number[]): void {
    const list = this.#series.get(target) ?? [];
    list.push(...latenciesMs);
    this.#series.set(target, list);
  }

  series(): Distribution[] {
    return [...this.#series].map(([target, latenciesMs]) => ({ target, latenciesMs }));
  }
}
