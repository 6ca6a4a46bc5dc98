// The Grafana dashboard the chart ships (ConfigMap with the sidecar label): every query reads a
// metric the runtime serves (test/integration/dashboard proves it against a scrape).

interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly queries: readonly string[];
  readonly description: string;
}

const scope = 'namespace="$namespace"';
/** The dashboard's data source variable. */
const datasource = { type: "prometheus", uid: "$datasource" } as const;
const rate = (metric: string, by: string, filter = "") =>
  `sum by (${by}) (rate(${metric}{${scope}${filter}}[$__rate_interval]))`;
const quantile = (q: number, metric: string, by: string) =>
  `histogram_quantile(${q}, sum by (le, ${by}) (rate(${metric}_bucket{${scope}}[$__rate_interval])))`;

const rows: readonly (readonly [string, readonly Panel[]])[] = [
  [
    "Admission",
    [
      {
        title: "Requests by webhook and decision",
        unit: "reqps",
        queries: [rate("capstan_admission_requests_total", "webhook, result")],
        description: "Admission requests answered per second",
      },
      {
        title: "Request latency p50 / p99",
        unit: "s",
        queries: [
          quantile(0.5, "capstan_admission_request_duration_seconds", "webhook"),
          quantile(0.99, "capstan_admission_request_duration_seconds", "webhook"),
        ],
        description: "From receiving a request to sending its answer",
      },
      {
        title: "Denials per binding",
        unit: "reqps",
        queries: [rate("capstan_admission_binding_decisions_total", "capability, binding", ', result="denied"')],
        description: "Validate callbacks that denied",
      },
      {
        title: "Callback errors and timeouts per binding",
        unit: "reqps",
        queries: [
          rate("capstan_admission_binding_decisions_total", "capability, binding, result", ', result=~"error|timeout"'),
        ],
        description: "Callbacks that threw or overran the webhook deadline",
      },
    ],
  ],
  [
    "Watches",
    [
      {
        title: "Seconds since each watch last heard from the API server",
        unit: "s",
        queries: [`max by (kind, pod) (capstan_informer_last_event_age_seconds{${scope}})`],
        description: "Freshness: events, bookmarks and list pages all count",
      },
      {
        title: "Stalled watches",
        unit: "short",
        queries: [`sum by (kind) (capstan_informer_stalled{${scope}})`, rate("capstan_informer_stalls_total", "stall")],
        description: "Watches detected as silent or not delivering, and detections per second",
      },
      {
        title: "Reconnects and relists",
        unit: "ops",
        queries: [rate("capstan_informer_reconnects_total", "kind"), rate("capstan_informer_relists_total", "kind")],
        description: "Watch connections reopened and full LISTs",
      },
      {
        title: "Watch and Reconcile callbacks",
        unit: "ops",
        queries: [rate("capstan_controller_callbacks_total", "action, result")],
        description: "Controller events handled per second, by outcome",
      },
    ],
  ],
  [
    "Work queues",
    [
      {
        title: "Queue depth",
        unit: "short",
        queries: [
          `sum by (queue) (capstan_workqueue_depth{${scope}})`,
          `sum by (queue) (capstan_workqueue_waiting{${scope}})`,
        ],
        description: "Items ready to run, and items waiting for a retry timer",
      },
      {
        title: "Retries and items given up",
        unit: "ops",
        queries: [rate("capstan_workqueue_retries_total", "queue"), rate("capstan_workqueue_given_up_total", "queue")],
        description: "Callbacks retried after throwing, and items dropped by their retry policy",
      },
      {
        title: "Queue wait p99",
        unit: "s",
        queries: [quantile(0.99, "capstan_workqueue_queue_duration_seconds", "queue")],
        description: "Time between an item becoming ready and its callback starting",
      },
    ],
  ],
  [
    "Store and leadership",
    [
      {
        title: "Store write acknowledged p50 / p99",
        unit: "s",
        queries: [
          quantile(0.5, "capstan_store_write_ack_seconds", "store"),
          quantile(0.99, "capstan_store_write_ack_seconds", "store"),
        ],
        description: "From setItem/removeItem to the API server acknowledging the write",
      },
      {
        title: "Leader",
        unit: "short",
        queries: [
          `max by (lease, pod) (capstan_leader_is_leader{${scope}})`,
          `sum by (lease) (increase(capstan_leader_changes_total{${scope}}[1h]))`,
        ],
        description: "Which replica leads, and leader changes seen in the last hour",
      },
      {
        title: "Event-loop lag p99 and resident memory",
        unit: "s",
        queries: [
          `max by (pod) (capstan_nodejs_eventloop_lag_p99_seconds{${scope}})`,
          `max by (pod) (capstan_process_resident_memory_bytes{${scope}}) / 1e9`,
        ],
        description: "Event-loop lag (s) and RSS (GB) per pod",
      },
    ],
  ],
];

/** The dashboard model (Grafana JSON), identical for identical input. */
export function grafanaDashboard(title: string, uid: string): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let y = 0;
  let id = 1;
  for (const [row, rowPanels] of rows) {
    panels.push({ id: id++, type: "row", title: row, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y } });
    y += 1;
    rowPanels.forEach((panel, index) => {
      panels.push({
        id: id++,
        type: "timeseries",
        title: panel.title,
        description: panel.description,
        datasource,
        fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
        gridPos: { h: 8, w: 12, x: (index % 2) * 12, y: y + Math.floor(index / 2) * 8 },
        targets: panel.queries.map((expr, q) => ({
          refId: String.fromCharCode(65 + q),
          expr,
          legendFormat: "__auto",
          datasource,
        })),
      });
    });
    y += Math.ceil(rowPanels.length / 2) * 8;
  }
  return {
    uid,
    title,
    tags: ["capstan"],
    timezone: "browser",
    schemaVersion: 39,
    refresh: "30s",
    time: { from: "now-1h", to: "now" },
    templating: {
      list: [
        { name: "datasource", type: "datasource", query: "prometheus", label: "Data source" },
        {
          name: "namespace",
          type: "query",
          label: "Namespace",
          datasource,
          query: { query: "label_values(capstan_process_start_time_seconds, namespace)", refId: "namespace" },
          refresh: 2,
        },
      ],
    },
    panels,
  };
}

/** The metric names a dashboard's queries read (histogram series by their base name). */
export function dashboardMetrics(dashboard: Record<string, unknown>): string[] {
  const names = new Set<string>();
  for (const panel of (dashboard.panels ?? []) as { targets?: { expr: string }[] }[]) {
    for (const { expr } of panel.targets ?? []) {
      for (const match of expr.matchAll(/\b((?:capstan|pepr)_[a-z0-9_]+)\{/g)) {
        names.add((match[1] as string).replace(/_bucket$/, ""));
      }
    }
  }
  return [...names].sort();
}
