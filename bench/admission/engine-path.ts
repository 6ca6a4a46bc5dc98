// The admission path without HTTP or TLS: JSON.parse of the body, readAdmissionReview, the engine's
// review (1 Mutate binding SetLabel, or 1 Validate binding) and the encoded answer, for one or more
// checkouts loaded side by side in one process. Batches of 1,000 requests take turns; each row is the
// fastest batch, which on a shared machine is the closest to the uncontended cost. Not part of `npm test`:
//   node bench/admission/engine-path.ts [--rounds 25] [DIR ...] >/dev/null
// The table goes to stderr: stdout carries the decision log (info level, as in the server benchmark).
// Each DIR holds a checkout's src/ (default: this one), e.g. one made with
// `git archive <commit> src bench package.json | tar -x -C DIR` plus a node_modules link.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { podReview } from "./fixture.ts";

const { values, positionals } = parseArgs({
  options: { rounds: { type: "string", default: "25" } },
  allowPositionals: true,
});
const here = path.resolve(fileURLToPath(new URL("../..", import.meta.url)));
const roots = positionals.length > 0 ? positionals.map((root) => path.resolve(root)) : [here];
const body = Buffer.from(JSON.stringify(podReview()));

interface Review {
  readonly ok: boolean;
  readonly apiVersion: string;
  readonly request: unknown;
}
interface Engine {
  review(webhook: string, request: unknown, receivedAt: number): Promise<unknown>;
}
interface BenchRequest {
  readonly Raw: { spec?: { containers?: unknown[] } };
  SetLabel(key: string, value: string): unknown;
  Approve(): unknown;
  Deny(message: string): unknown;
}

async function load(root: string): Promise<[string, () => Promise<unknown>][]> {
  const src = (file: string) => import(path.join(root, "src", file));
  const { AdmissionEngine } = await src("admission/engine.ts");
  const { readAdmissionReview, admissionReviewJson } = await src("admission/review.ts");
  const a = await src("k8s/models.ts");
  const { Capability } = await src("model/capability.ts");
  const { PeprModule } = await src("model/module.ts");
  const cap = new Capability({ name: "bench", description: "one Mutate and one Validate binding" });
  cap
    .When(a.Pod)
    .IsCreated()
    .Mutate((req: BenchRequest) => {
      req.SetLabel("bench", "yes");
    })
    .Validate((req: BenchRequest) => (req.Raw.spec?.containers?.length ? req.Approve() : req.Deny("no containers")));
  const module = new PeprModule({ pepr: { uuid: "bench", onError: "reject" } }, [cap], { deferStart: true });
  const engine: Engine = new AdmissionEngine(module);
  const label = path.relative(process.cwd(), root) || ".";
  return ["mutate", "validate"].map((webhook) => [
    `${label} /${webhook}`,
    async () => {
      const review: Review = readAdmissionReview(JSON.parse(body.toString("utf8")));
      const response = await engine.review(webhook, review.request, performance.now());
      return admissionReviewJson(review.apiVersion, response);
    },
  ]);
}

const targets: [string, () => Promise<unknown>][] = [
  [
    "JSON.parse + fixed allow (the floor)",
    async () => {
      const review = JSON.parse(body.toString("utf8"));
      return JSON.stringify({ apiVersion: review.apiVersion, response: { uid: review.request.uid, allowed: true } });
    },
  ],
];
for (const root of roots) targets.push(...(await load(root)));

const batch = 1000;
const best = new Map<string, number>();
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [name, run] of targets) {
    const started = performance.now();
    for (let i = 0; i < batch; i++) await run();
    const us = ((performance.now() - started) * 1000) / batch;
    // The first rounds warm up the JIT.
    if (round >= 3) best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, us));
    // Lets the logger's asynchronous writes go out between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
console.error("| path | µs per request (fastest batch) |");
console.error("|---|---:|");
for (const [name, us] of best) console.error(`| ${name} | ${us.toFixed(1)} |`);
