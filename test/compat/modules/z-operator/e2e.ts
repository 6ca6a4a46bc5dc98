import { expect } from "vitest";
import type { CompatTest } from "../../harness/context.ts";

const ns = "z-operator-webapps";
const crd = "webapps.z-operator.pepr.io";

interface Meta {
  name: string;
  uid: string;
  generation?: number;
  labels?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
}
interface Obj {
  metadata: Meta;
  status?: { phase?: string; observedGeneration?: number };
  data?: Record<string, string>;
  spec?: { replicas?: number };
}
interface EventList {
  items: {
    reason: string;
    message: string;
    type: string;
    reportingComponent?: string;
    involvedObject: { kind: string; name: string; uid: string };
  }[];
}

const ownedObjects: [kind: string, name: string][] = [
  ["deployment", "webapp-light-en"],
  ["service", "webapp-light-en"],
  ["configmap", "web-content-webapp-light-en"],
];

const webapp = (theme: string, language: string, replicas: number, namespace = ns) => `kind: WebApp
apiVersion: z-operator.pepr.io/v1alpha1
metadata:
  name: webapp-light-en
  namespace: ${namespace}
spec:
  theme: ${theme}
  language: ${language}
  replicas: ${replicas}
`;

export default {
  description:
    "Operator: the module registers its CRD, validates WebApps, reconciles them into owned objects, PatchStatus and events",
  async run(t) {
    const get = async (what: string, name: string): Promise<Obj> =>
      JSON.parse(await t.kubectl("get", what, name, "-n", ns, "-o", "json"));
    const exists = async (what: string, name: string) => (await t.kubectlRun(["get", what, name, "-n", ns])).code === 0;

    // The module applies its CRD when it loads.
    await t.waitForLog(/"msg":"WebApp CRD registered"/);
    await t.kubectl("wait", "--for=condition=Established", `crd/${crd}`, "--timeout=30s");
    await t.apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`);

    // Validate denies with the module's message, in Pepr's webhook name.
    const tooMany = await t.kubectlRun(["apply", "-f", "-"], webapp("light", "en", 8));
    expect(tooMany.code).not.toBe(0);
    expect(tooMany.stderr).toContain(
      'admission webhook "pepr-z-operator.pepr.dev" denied the request: a WebApp runs at most 7 replicas',
    );
    const inDefault = await t.kubectlRun(["apply", "-f", "-"], webapp("light", "en", 1, "default"));
    expect(inDefault.code).not.toBe(0);
    expect(inDefault.stderr).toContain("WebApps are not allowed in namespace default");

    // Create: Pending, then Ready with the generation observed; the owned objects exist.
    await t.apply(webapp("light", "en", 1));
    const ready = await t.waitFor("the WebApp's status Ready for generation 1", async () => {
      const app = await get("webapp", "webapp-light-en");
      return app.status?.phase === "Ready" && app.status.observedGeneration === 1 ? app : undefined;
    });
    for (const [what, name] of ownedObjects) {
      const owned = await t.waitFor(`${what}/${name}`, async () =>
        (await exists(what, name)) ? get(what, name) : undefined,
      );
      expect(owned.metadata.labels?.["pepr.dev/operator"]).toBe("webapp-light-en");
      expect(owned.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: "WebApp", name: "webapp-light-en", uid: ready.metadata.uid }),
      ]);
    }
    expect((await get("configmap", "web-content-webapp-light-en")).data?.["index.html"]).toContain(
      "Hello from the WebApp operator",
    );

    // writeEvent: one event per status the reconciler wrote, on the WebApp.
    const events = async () => {
      const list = JSON.parse(await t.kubectl("get", "events", "-n", ns, "-o", "json")) as EventList;
      return list.items.filter(
        (e) => e.involvedObject.name === "webapp-light-en" && e.reason === "InstanceCreatedOrUpdated",
      );
    };
    const first = await t.waitFor("the Pending and Ready events", async () => {
      const found = await events();
      return found.length >= 2 ? found : undefined;
    });
    expect(first.map((e) => e.message).sort()).toEqual(["Pending", "Ready"]);
    for (const event of first) {
      expect(event.type).toBe("Normal");
      expect(event.reportingComponent).toBe("webapp-light-en");
      expect(event.involvedObject).toEqual(expect.objectContaining({ kind: "WebApp", uid: ready.metadata.uid }));
    }

    // A ConfigMap deleted by hand comes back from the Store.
    const before = await get("configmap", "web-content-webapp-light-en");
    await t.kubectl("delete", "configmap", "web-content-webapp-light-en", "-n", ns);
    await t.waitFor("the ConfigMap applied again", async () => {
      if (!(await exists("configmap", "web-content-webapp-light-en"))) return undefined;
      const again = await get("configmap", "web-content-webapp-light-en");
      return again.metadata.uid !== before.metadata.uid ? again : undefined;
    });

    // An update is a new generation: reconciled again, the page follows the spec.
    await t.apply(webapp("dark", "es", 2));
    await t.waitFor("the WebApp's status Ready for generation 2", async () => {
      const app = await get("webapp", "webapp-light-en");
      return app.status?.phase === "Ready" && app.status.observedGeneration === 2 ? app : undefined;
    });
    await t.waitFor("the Spanish page and 2 replicas", async () => {
      const page = (await get("configmap", "web-content-webapp-light-en")).data?.["index.html"] ?? "";
      const replicas = (await get("deployment", "webapp-light-en")).spec?.replicas;
      return page.includes("Hola desde el operador WebApp") && replicas === 2 ? true : undefined;
    });
    expect((await events()).map((e) => e.message).sort()).toEqual(["Pending", "Pending", "Ready", "Ready"]);

    // Deleting the WebApp removes it from the Store first (Mutate on DELETE), so the owned objects
    // the garbage collector deletes stay deleted.
    // Each event is reconciled, the status patches' included, and each reconcile writes the WebApp
    // to the Store first: one still running when the WebApp goes would put it back (under Pepr 1.1.4
    // its store writes take seconds). So the delete waits until no reconcile has run for 2 s.
    let counts = "";
    let since = Date.now();
    await t.waitFor(
      "every reconcile finished and none started for 2 s",
      async () => {
        const messages = t.moduleLogRecords().map((record) => record.msg);
        const started = messages.filter((m) => m === "WebApp reconcile started").length;
        const finished = messages.filter((m) => m === "WebApp reconcile finished").length;
        if (`${started}/${finished}` !== counts) {
          counts = `${started}/${finished}`;
          since = Date.now();
          return undefined;
        }
        return started > 0 && started === finished && Date.now() - since >= 2000 ? true : undefined;
      },
      60_000,
    );
    await t.kubectl("delete", "webapp", "webapp-light-en", "-n", ns);
    await t.waitFor(
      "the owned objects gone",
      async () => {
        for (const [what, name] of ownedObjects) if (await exists(what, name)) return undefined;
        return true;
      },
      60_000,
    );
    await t.sleep(2000);
    expect(await exists("configmap", "web-content-webapp-light-en")).toBe(false);

    // The CRD comes back when deleted.
    const crdBefore = JSON.parse(await t.kubectl("get", "crd", crd, "-o", "json")) as Obj;
    await t.kubectl("delete", "crd", crd);
    await t.waitFor("the CRD registered again", async () => {
      const result = await t.kubectlRun(["get", "crd", crd, "-o", "json"]);
      if (result.code !== 0) return undefined;
      return (JSON.parse(result.stdout) as Obj).metadata.uid !== crdBefore.metadata.uid ? true : undefined;
    });
    await t.kubectl("delete", "namespace", ns, "--wait=false");
  },
} satisfies CompatTest;
