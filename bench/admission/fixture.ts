// A realistic Pod AdmissionReview of about 10 KB: a few containers with env, probes, volumes.

function container(index: number) {
  return {
    name: `app-${index}`,
    image: `registry.example.com/team/app-${index}:1.2.${index}`,
    imagePullPolicy: "IfNotPresent",
    args: ["--config=/etc/app/config.yaml", "--log-level=info", `--shard=${index}`],
    ports: [{ name: "http", containerPort: 8080 + index, protocol: "TCP" }],
    env: Array.from({ length: 12 }, (_, i) => ({
      name: `APP_SETTING_${index}_${i}`,
      value: `value-${index}-${i}-${"x".repeat(12)}`,
    })),
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
    readinessProbe: { httpGet: { path: "/ready", port: 8080 + index }, periodSeconds: 10 },
    livenessProbe: { httpGet: { path: "/healthz", port: 8080 + index }, periodSeconds: 10 },
    volumeMounts: [
      { name: "config", mountPath: "/etc/app" },
      { name: "data", mountPath: "/var/lib/app" },
    ],
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  };
}

/** A Pod CREATE AdmissionReview; `containers` sets its size (6 ≈ 10 KB). */
export function podReview(containers = 6): Record<string, unknown> {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "web-7d9c6b5f4-abcde",
      namespace: "bench",
      generateName: "web-7d9c6b5f4-",
      labels: { app: "web", tier: "frontend", "pod-template-hash": "7d9c6b5f4", team: "payments" },
      annotations: { "example.com/owner": "payments", "example.com/config-hash": "a".repeat(64) },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: "web-7d9c6b5f4",
          uid: "6f1b9c1e-8d2f-4c1a-9f0e-1a2b3c4d5e6f",
          controller: true,
        },
      ],
    },
    spec: {
      containers: Array.from({ length: containers }, (_, i) => container(i)),
      volumes: [
        { name: "config", configMap: { name: "web-config" } },
        { name: "data", emptyDir: {} },
      ],
      serviceAccountName: "web",
      nodeSelector: { "kubernetes.io/os": "linux" },
      tolerations: [{ key: "dedicated", operator: "Equal", value: "web", effect: "NoSchedule" }],
    },
  };
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      requestKind: { group: "", version: "v1", kind: "Pod" },
      requestResource: { group: "", version: "v1", resource: "pods" },
      name: pod.metadata.name,
      namespace: "bench",
      operation: "CREATE",
      userInfo: {
        username: "system:serviceaccount:kube-system:replicaset-controller",
        groups: ["system:serviceaccounts"],
      },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions" },
    },
  };
}
