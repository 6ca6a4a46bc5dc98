// The capability `npm run bench` runs under every engine. It imports Pepr's API, so the same source
// runs on Pepr and on capstan. Environment variables pick what a run exercises:
//   BENCH_NAMESPACE       the namespace every binding watches (and the capability's only namespace)
//   BENCH_SCENARIO        admission | watch | store | cel | audit: which bindings exist
//   BENCH_AUDIT           audit: 1 turns the module's background audit on (pepr.ts)
//   BENCH_WATCH_BINDINGS  watch: how many Watch bindings on ConfigMaps (only the first reports)
//   BENCH_STALL_MS        watch: on SIGUSR2, block the event loop this long, then report `stall-end`
//   BENCH_STORE_ROLE      store: writer | reader
//   BENCH_STORE_KEYS      store: how many keys the writer sets
//   BENCH_STORE_PACE_MS   store: the writer's gap between two writes (0 writes them all at once)
//   BENCH_RUN             store: the writer's key prefix is `k-<BENCH_RUN>-`, unique to the run
// Callbacks report to the harness one line each, `BENCH {"event":…,"name":…,"at":epochMs}`, on the
// file descriptor BENCH_EVENTS_FD (stdout when unset).
import { writeSync } from "node:fs";
import { a, Capability } from "pepr";

const namespace = process.env.BENCH_NAMESPACE ?? "bench";
const scenario = process.env.BENCH_SCENARIO ?? "admission";

export const Bench = new Capability({
  name: "bench",
  description: "The benchmark capability: one Mutate and one Validate per kind, Watch bindings, Store traffic",
  namespaces: [namespace],
});
const { When, Store } = Bench;

// The harness passes a pipe as file descriptor BENCH_EVENTS_FD, so reports never queue behind the
// engine's own log lines (which go straight to a file).
const eventsFd = process.env.BENCH_EVENTS_FD ? Number(process.env.BENCH_EVENTS_FD) : undefined;

function report(event: string, name: string, extra: Record<string, number | string> = {}): void {
  const at = performance.timeOrigin + performance.now();
  const line = `BENCH ${JSON.stringify({ event, name, at, ...extra })}\n`;
  if (eventsFd === undefined) process.stdout.write(line);
  else writeSync(eventsFd, line);
}

if (scenario === "admission") {
  When(a.Pod)
    .IsCreated()
    .InNamespace(namespace)
    .Mutate((req) => {
      req.SetLabel("bench", "yes");
    })
    .Validate((req) => (req.Raw.spec?.containers?.length ? req.Approve() : req.Deny("a Pod needs containers")));
  When(a.ConfigMap)
    .IsCreated()
    .InNamespace(namespace)
    .Mutate((req) => {
      req.SetAnnotation("bench/seen", "yes");
    })
    .Validate((req) => (req.Raw.data?.forbidden ? req.Deny("forbidden key") : req.Approve()));
}

if (scenario === "audit") {
  // Five rules over ConfigMaps, audited when BENCH_AUDIT=1 (pepr.ts), and a Watch binding, so the
  // module caches ConfigMaps with or without the audit (the audit shares that cache).
  const rules: [string, (data: Record<string, string>) => boolean][] = [
    ["needs-a", (data) => "a" in data],
    ["short-values", (data) => Object.values(data).every((value) => value.length < 64)],
    ["no-forbidden", (data) => !("forbidden" in data)],
    ["few-keys", (data) => Object.keys(data).length <= 8],
    ["no-secrets", (data) => !Object.keys(data).some((key) => key.includes("password"))],
  ];
  for (const [alias, ok] of rules) {
    When(a.ConfigMap)
      .IsCreatedOrUpdated()
      .InNamespace(namespace)
      .Alias(alias)
      .Validate((req) => (ok(req.Raw.data ?? {}) ? req.Approve() : req.Deny(`${alias} failed`)));
  }
  When(a.ConfigMap)
    .IsCreatedOrUpdated()
    .InNamespace(namespace)
    .Watch(() => {});
  // The heap that stays after a full collection (the process runs with --expose-gc).
  process.on("SIGUSR2", () => {
    (globalThis as { gc?: () => void }).gc?.();
    report("heap", "audit", { heap: process.memoryUsage().heapUsed });
  });
}

if (scenario === "cel") {
  // The rule bench/scenarios/cel.ts also runs as a ValidatingAdmissionPolicy.
  When(a.ConfigMap)
    .IsCreated()
    .InNamespace(namespace)
    .Validate((req) => (req.Raw.metadata?.labels?.app ? req.Approve() : req.Deny("a ConfigMap needs an app label")));
}

if (scenario === "watch") {
  const stallMs = Number(process.env.BENCH_STALL_MS ?? "0");
  if (stallMs > 0) {
    // What a callback doing synchronous work does to the engine: nothing else runs meanwhile.
    process.on("SIGUSR2", () => {
      const until = performance.now() + stallMs;
      while (performance.now() < until) {
        // busy
      }
      report("stall-end", "loop");
    });
  }
  const bindings = Number(process.env.BENCH_WATCH_BINDINGS ?? "1");
  for (let index = 0; index < bindings; index++) {
    When(a.ConfigMap)
      .IsCreatedOrUpdated()
      .InNamespace(namespace)
      .Watch((cm) => {
        if (index === 0) report("watch", cm.metadata?.name ?? "");
      });
  }
}

if (scenario === "store") {
  const role = process.env.BENCH_STORE_ROLE ?? "reader";
  const keys = Number(process.env.BENCH_STORE_KEYS ?? "100");
  const paceMs = Number(process.env.BENCH_STORE_PACE_MS ?? "0");
  const prefix = `k-${process.env.BENCH_RUN ?? "0"}-`;
  Store.onReady(() => {
    report("store-ready", role);
    if (role === "reader") {
      const seen = new Set<string>();
      Store.subscribe((data) => {
        for (const stored of Object.keys(data)) {
          // Pepr 1.1.4 hands subscribers its stored key names, which carry a "v2-" prefix.
          const key = stored.replace(/^v2-/, "");
          if (!key.startsWith("k-") || seen.has(key)) continue;
          seen.add(key);
          report("store-seen", key);
        }
      });
      return;
    }
    void (async () => {
      for (let index = 0; index < keys; index++) {
        const key = `${prefix}${index}`;
        report("store-write", key);
        Store.setItem(key, String(index));
        if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs));
      }
    })();
  });
}
